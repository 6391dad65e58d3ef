"""The evidence inspectors ask for, beside the governors' summary: hand-in compliance by
year group and week (handed in against expected), late hand-ins, mid-day releases by
reason, confiscations per 100 pupils by year group and term with repeat pupils, searches
with their outcomes, exemptions in force with their review dates, and devices unclaimed
beyond the school's limit.

The custodies are read once, in the governors' summary's own pass (``EvidenceTally.add``
takes each row); the rest are small grouped queries on the same snapshot."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.clock import local_date
from kiosk.db import Database
from kiosk.services import escalation, searches, unclaimed
from kiosk.services.day_outs import reason_words
from kiosk.services.exemptions import CATEGORY_WORDS
from kiosk.services.ladder import Term, TermStart, term_of, terms_between
from kiosk.services.reports.filter import ReportFilter
from kiosk.services.searches import SearchOutcomes
from kiosk.services.unclaimed import UnclaimedDevice
from kiosk.tables import CustodyKind, CustodyState, DayOut, Exemption, Pupil

DAILY = CustodyKind.DAILY.value
CANCELLED = CustodyState.CANCELLED.value


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class Compliance:
    """One year group's hand-ins in one week (or the whole period when ``week`` is None):
    pupil-days handed in, against pupil-days expected (on roll, bringing a device, not
    exempt, on the days the kiosk took hand-ins)."""

    year_group: int
    week: dt.date | None
    handed_in: int
    expected: int
    others: int = 0  # handed in though not expected (exempt, or brings no device)

    @property
    def percent(self) -> float | None:
        return 100 * self.handed_in / self.expected if self.expected else None


@dataclass(frozen=True)
class TermConfiscations:
    term: Term
    year_group: int
    on_roll: int
    confiscations: int
    pupils: int  # pupils with one or more
    repeat_pupils: int  # pupils with two or more in the term

    @property
    def per_100(self) -> float | None:
        return 100 * self.confiscations / self.on_roll if self.on_roll else None


@dataclass(frozen=True)
class ExemptionInForce:
    pupil_ref: str
    year_group: int
    reg_group: str
    category: str  # words
    starts_on: dt.date
    review_on: dt.date | None  # None: granted before exemptions had review dates

    def overdue(self, today: dt.date) -> bool:
        return self.review_on is not None and self.review_on < today


@dataclass(frozen=True)
class Evidence:
    compliance: tuple[Compliance, ...]  # by week, then year group
    compliance_by_year: tuple[Compliance, ...]  # the whole period
    late_per_week: tuple[tuple[dt.date, int], ...]
    late_by_year: tuple[tuple[int, int], ...]
    day_outs_by_reason: tuple[tuple[str, int], ...]
    confiscations_by_term: tuple[TermConfiscations, ...]
    exemptions: tuple[ExemptionInForce, ...]
    searches: SearchOutcomes | None = None
    unclaimed: tuple[UnclaimedDevice, ...] = ()
    unclaimed_limit: int | None = None

    @property
    def late(self) -> int:
        return sum(count for _week, count in self.late_per_week)


@dataclass
class EvidenceTally:
    """What the evidence needs from each custody row of the governors' pass."""

    term_starts: tuple[TermStart, ...]
    roll: _Roll
    handed: Counter[tuple[dt.date, int]] = field(default_factory=Counter)  # (day, year)
    others: Counter[tuple[dt.date, int]] = field(default_factory=Counter)  # not expected
    days: set[dt.date] = field(default_factory=set)  # school days: the kiosk took hand-ins
    late_week: Counter[dt.date] = field(default_factory=Counter)
    late_year: Counter[int] = field(default_factory=Counter)
    per_term: Counter[tuple[dt.date, int]] = field(default_factory=Counter)  # (term, year)
    per_pupil: Counter[tuple[dt.date, int, str]] = field(default_factory=Counter)
    terms: dict[dt.date, Term] = field(default_factory=dict)
    _term_of_day: dict[dt.date, Term] = field(default_factory=dict)
    _day: dt.date | None = None
    _seen: set[str] = field(default_factory=set)  # pupils handed in on ``_day``

    def add(self, ref: str, year: int, kind: str, state: str, day: dt.date, late: bool) -> None:
        """One custody of the pass; rows come in time order, so one day at a time."""
        if state == CANCELLED:
            return
        if kind != DAILY:
            term = self._term(day)
            self.per_term[(term.starts, year)] += 1
            self.per_pupil[(term.starts, year, ref)] += 1
            return
        if day != self._day:
            self._day, self._seen = day, set()
            self.days.add(day)
        if ref not in self._seen:  # a pupil-day counts once (out and back, several slots)
            self._seen.add(ref)
            excused = ref in self.roll.excusals and self.roll.excused(ref, day)
            (self.others if excused else self.handed)[(day, year)] += 1
        if late:
            self.late_week[week_of(day)] += 1
            self.late_year[year] += 1

    def _term(self, day: dt.date) -> Term:
        term = self._term_of_day.get(day)
        if term is None:
            term = self._term_of_day[day] = term_of(day, self.term_starts)
            self.terms.setdefault(term.starts, term)
        return term


# -- who was expected ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Roll:
    """The pupils the filter covers: who was on roll, bringing a device, and exempt, when."""

    always: Counter[int]  # on roll and bringing a device throughout, by year
    leavers: tuple[tuple[int, dt.date], ...]  # (year, left on) bringing a device
    on_roll_now: Counter[int]  # every pupil on roll today, by year
    all_leavers: tuple[tuple[int, dt.date], ...]
    exempt: tuple[tuple[int, dt.date, dt.date | None], ...]  # (year, from, to incl.)
    # pupils not always expected, by admission number: None brings no device; else the
    # days they were exempt
    excusals: dict[str, tuple[tuple[dt.date, dt.date | None], ...] | None]

    def excused(self, ref: str, day: dt.date) -> bool:
        if ref not in self.excusals:
            return False
        spans = self.excusals[ref]
        return spans is None or any(a <= day and (b is None or day <= b) for a, b in spans)

    def expected(self, day: dt.date, year: int) -> int:
        count = self.always[year] + sum(1 for y, left in self.leavers if y == year and left > day)
        exempt = sum(
            1
            for y, start, end in self.exempt
            if y == year and start <= day and (end is None or day <= end)
        )
        return count - exempt

    def on_roll(self, day: dt.date, year: int) -> int:
        return self.on_roll_now[year] + sum(
            1 for y, left in self.all_leavers if y == year and left > day
        )


def _of_pupils(query: Any, which: ReportFilter) -> Any:
    """``query`` kept to the year group and form asked for (its kind filter is the logs')."""
    if which.year_group is not None:
        query = query.where(Pupil.year_group == which.year_group)
    if which.reg_group:
        query = query.where(func.upper(Pupil.reg_group) == which.reg_group)
    return query


def _pupils(which: ReportFilter) -> Any:
    query = select(
        Pupil.id,
        Pupil.admission_number,
        Pupil.year_group,
        Pupil.active,
        Pupil.left_on,
        Pupil.brings_device,
    )
    return _of_pupils(query, which).where(Pupil.purged_at.is_(None))


def _roll(session: Session, which: ReportFilter) -> _Roll:
    always: Counter[int] = Counter()
    now: Counter[int] = Counter()
    leavers, all_leavers, years, refs = [], [], {}, {}
    excusals: dict[str, tuple[tuple[dt.date, dt.date | None], ...] | None] = {}
    for pupil_id, ref, year, active, left_on, brings in session.execute(_pupils(which)):
        years[pupil_id] = (year, brings and (active or left_on is not None))
        refs[pupil_id] = ref
        if not brings:
            excusals[ref] = None
        if active:
            now[year] += 1
            always[year] += bool(brings)
        elif left_on is not None:
            all_leavers.append((year, left_on))
            if brings:
                leavers.append((year, left_on))
    exempt = []
    for pupil_id, starts, ends, ended_at in session.execute(
        select(Exemption.pupil_id, Exemption.starts_on, Exemption.ends_on, Exemption.ended_at)
    ):
        year, counted = years.get(pupil_id, (0, False))
        if counted:
            last = ends
            if ended_at is not None:
                ended = local_date(ended_at) - dt.timedelta(days=1)
                last = ended if last is None else min(last, ended)
            exempt.append((year, starts, last))
            ref = refs[pupil_id]
            excusals[ref] = (*(excusals.get(ref) or ()), (starts, last))
    return _Roll(always, tuple(leavers), now, tuple(all_leavers), tuple(exempt), excusals)


def start(session: Session, which: ReportFilter) -> EvidenceTally:
    """An empty tally for the governors' pass: the school's terms and who was expected."""
    return EvidenceTally(escalation.load_ladder(session).term_starts, _roll(session, which))


def _compliance(
    tally: EvidenceTally, roll: _Roll, years: Iterable[int]
) -> tuple[tuple[Compliance, ...], tuple[Compliance, ...]]:
    weekly: defaultdict[tuple[dt.date, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for day in sorted(tally.days):
        for year in years:
            cell = weekly[(week_of(day), year)]
            cell[0] += tally.handed[(day, year)]
            cell[1] += roll.expected(day, year)
            cell[2] += tally.others[(day, year)]
    by_week = tuple(
        Compliance(year, week, handed, expected, others)
        for (week, year), (handed, expected, others) in sorted(weekly.items())
    )
    totals = tuple(
        Compliance(
            year,
            None,
            sum(c.handed_in for c in by_week if c.year_group == year),
            sum(c.expected for c in by_week if c.year_group == year),
            sum(c.others for c in by_week if c.year_group == year),
        )
        for year in years
    )
    return by_week, totals


def _confiscations_by_term(
    tally: EvidenceTally, roll: _Roll, years: Iterable[int], today: dt.date
) -> tuple[TermConfiscations, ...]:
    """Per term and year group; "on roll" is counted at the middle of the term (or today,
    for the term under way), so leavers count in the terms they were there."""
    pupils: Counter[tuple[dt.date, int]] = Counter()
    repeats: Counter[tuple[dt.date, int]] = Counter()
    for (starts, year, _ref), count in tally.per_pupil.items():
        pupils[(starts, year)] += 1
        repeats[(starts, year)] += count >= 2
    rows = []
    for starts, term in sorted(tally.terms.items()):
        middle = min(starts + (term.ends - starts) / 2, today)
        for year in years:
            key = (starts, year)
            rows.append(
                TermConfiscations(
                    term,
                    year,
                    roll.on_roll(middle, year),
                    tally.per_term[key],
                    pupils[key],
                    repeats[key],
                )
            )
    return tuple(rows)


def _day_outs(session: Session, which: ReportFilter) -> tuple[tuple[str, int], ...]:
    query = (
        select(DayOut.reason, func.count())
        .join(Pupil, Pupil.id == DayOut.pupil_id)
        .where(DayOut.out_at >= which.starts, DayOut.out_at < which.ends)
        .group_by(DayOut.reason)
    )
    query = _of_pupils(query, which)
    found = [(reason_words(reason), int(count)) for reason, count in session.execute(query)]
    return tuple(sorted(found, key=lambda pair: (-pair[1], pair[0])))


def _exemptions(
    session: Session, which: ReportFilter, today: dt.date
) -> tuple[ExemptionInForce, ...]:
    query = (
        select(
            Pupil.admission_number,
            Pupil.year_group,
            Pupil.reg_group,
            Exemption.category,
            Exemption.starts_on,
            Exemption.review_on,
        )
        .join(Pupil, Pupil.id == Exemption.pupil_id)
        .where(
            Pupil.active.is_(True),
            Exemption.ended_at.is_(None),
            Exemption.starts_on <= today,
            (Exemption.ends_on.is_(None)) | (Exemption.ends_on >= today),
        )
    )
    query = _of_pupils(query, which)
    rows = [
        ExemptionInForce(ref, year, form, CATEGORY_WORDS.get(category, category), starts, review)
        for ref, year, form, category, starts, review in session.execute(query)
    ]
    return tuple(sorted(rows, key=lambda e: (e.review_on is not None, e.review_on, e.pupil_ref)))


def collect(
    session: Session,
    which: ReportFilter,
    tally: EvidenceTally,
    years: list[int],
    today: dt.date,
) -> Evidence:
    """The evidence from the pass's tally and the small queries (searches and unclaimed
    devices are added by the caller, from their own services)."""
    roll = tally.roll
    by_week, by_year = _compliance(tally, roll, years)
    last = min(which.date_to, today)
    if which.date_from <= last:  # a term with no confiscations shows as zeros
        for term in terms_between(which.date_from, last, tally.term_starts):
            tally.terms.setdefault(term.starts, term)
    return Evidence(
        compliance=by_week,
        compliance_by_year=by_year,
        late_per_week=tuple(sorted(tally.late_week.items())),
        late_by_year=tuple((year, tally.late_year[year]) for year in years),
        day_outs_by_reason=_day_outs(session, which),
        confiscations_by_term=_confiscations_by_term(tally, roll, years, today),
        exemptions=_exemptions(session, which, today),
    )


def with_services(evidence: Evidence, reader: Database, which: ReportFilter) -> Evidence:
    """The evidence with the searches made in the period (the whole school's: search
    records are not kept by form) and the devices unclaimed now beyond the limit."""
    found = searches.outcome_counts(reader, which.starts, which.ends)
    with reader() as session:
        limit = unclaimed.limit_days(session)
    devices = tuple(
        device
        for device in unclaimed.unclaimed(reader)
        if (which.year_group is None or device.device.pupil.year_group == which.year_group)
        and (not which.reg_group or device.device.pupil.reg_group.upper() == which.reg_group)
    )
    return replace(evidence, searches=found, unclaimed=devices, unclaimed_limit=limit)
