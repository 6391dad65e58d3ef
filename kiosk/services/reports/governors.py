"""The governors' summary: hand-ins, confiscations and devices kept, counted from one
snapshot, with the audit chain's state."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kiosk.clock import LocalClock, to_local, utcnow
from kiosk.db import Database
from kiosk.record import lines
from kiosk.services import chain_check, settings
from kiosk.services.reports import ofsted
from kiosk.services.reports.filter import BATCH, ReportFilter, local_date, pupil_filters, raw_time
from kiosk.tables import Confiscation, Custody, CustodyKind, CustodyState, Pupil


@dataclass(frozen=True)
class RepeatedConfiscation:
    pupil_ref: str  # admission number: the summary names no pupil
    year_group: int
    reg_group: str
    count: int
    last_on: dt.date


@dataclass(frozen=True)
class DeviceStay:
    """A device kept overnight, or collected late."""

    pupil_ref: str
    reg_group: str
    kind: str
    received: str  # school-local text
    released: str | None


@dataclass(frozen=True)
class Summary:
    school_name: str
    which: ReportFilter
    generated_at: str  # school-local text
    handins_per_day: tuple[tuple[dt.date, int], ...]
    confiscations_per_week: tuple[tuple[dt.date, int], ...]  # week starting Monday
    confiscations_per_year: tuple[tuple[int, int], ...]
    repeated: tuple[RepeatedConfiscation, ...]
    overnight: tuple[DeviceStay, ...]
    late: tuple[DeviceStay, ...]
    collection_closes: dt.time
    referred_to_dsl: int
    handed_to_police: int
    chain: chain_check.ChainReport
    fingerprint: str | None = None  # the school audit fingerprint the log claims, as printed
    evidence: ofsted.Evidence | None = None  # the page for inspectors

    @property
    def handins(self) -> int:
        return sum(count for _day, count in self.handins_per_day)

    @property
    def confiscations(self) -> int:
        return sum(count for _year, count in self.confiscations_per_year)


class _Stay(NamedTuple):
    pupil_ref: str
    year_group: int
    reg_group: str
    kind: str
    state: str
    received: str  # school-local text
    released: str | None
    marked_overnight: bool
    dsl_referred: bool
    late: bool


# the values compared on every row of a year's pass, looked up once
_CANCELLED, _DAILY = CustodyState.CANCELLED.value, CustodyKind.DAILY.value
_POLICE = CustodyState.HANDED_TO_POLICE.value


def _kept_overnight(stay: _Stay, today: str) -> bool:
    if stay.state == _CANCELLED:
        return False
    if stay.marked_overnight:
        return True
    if stay.released is None:
        return stay.received[:10] < today
    return stay.released[:10] > stay.received[:10]


@dataclass
class _Tally:
    closes: str  # "HH:MM"
    today: str  # "YYYY-MM-DD", school-local
    evidence: ofsted.EvidenceTally
    per_day: Counter[dt.date] = field(default_factory=Counter)
    per_week: Counter[dt.date] = field(default_factory=Counter)
    per_year: Counter[int] = field(default_factory=Counter)
    by_pupil: defaultdict[str, list[_Stay]] = field(default_factory=lambda: defaultdict(list))
    overnight: list[DeviceStay] = field(default_factory=list)
    late: list[DeviceStay] = field(default_factory=list)
    dsl: int = 0
    police: int = 0
    days: dict[str, dt.date] = field(default_factory=dict)  # "YYYY-MM-DD": its date

    def add(self, stay: _Stay) -> None:
        text = stay.received[:10]
        day = self.days.get(text) or self.days.setdefault(text, local_date(text))
        self.evidence.add(stay.pupil_ref, stay.year_group, stay.kind, stay.state, day, stay.late)
        if _kept_overnight(stay, self.today):
            self.overnight.append(_public(stay))
        if stay.kind == _DAILY:
            self._daily(stay, day)
        else:
            self._confiscation(stay, day)

    def _daily(self, stay: _Stay, day: dt.date) -> None:
        if stay.state == _CANCELLED:
            return
        self.per_day[day] += 1
        released = stay.released
        if released and released[:10] == stay.received[:10] and released[11:16] > self.closes:
            self.late.append(_public(stay))

    def _confiscation(self, stay: _Stay, day: dt.date) -> None:
        self.per_week[day - dt.timedelta(days=day.weekday())] += 1
        self.per_year[stay.year_group] += 1
        self.by_pupil[stay.pupil_ref].append(stay)
        self.dsl += stay.dsl_referred
        self.police += stay.state == _POLICE


def _public(stay: _Stay) -> DeviceStay:
    return DeviceStay(stay.pupil_ref, stay.reg_group, stay.kind, stay.received, stay.released)


def _summary_query(which: ReportFilter) -> Select[Any]:
    query = (
        select(
            Pupil.admission_number,
            Pupil.year_group,
            Pupil.reg_group,
            Custody.kind,
            Custody.state,
            raw_time(Custody.received_at),
            raw_time(Custody.released_at),
            Custody.keep_overnight_on,
            Confiscation.dsl_referred_at.is_not(None),
            Custody.late,
        )
        .join(Pupil, Pupil.id == Custody.pupil_id)
        .outerjoin(Confiscation, Confiscation.custody_id == Custody.id)
        .where(Custody.received_at >= which.starts, Custody.received_at < which.ends)
    )
    return pupil_filters(query, which).order_by(Custody.received_at)


def _year_groups(session: Session, which: ReportFilter) -> list[int]:
    """Year groups on roll (so a year with no confiscations shows as a zero)."""
    query = select(Pupil.year_group).where(Pupil.active.is_(True)).distinct()
    if which.year_group is not None:
        query = query.where(Pupil.year_group == which.year_group)
    if which.reg_group:
        query = query.where(func.upper(Pupil.reg_group) == which.reg_group)
    return list(session.scalars(query))


def _repeated(tally: _Tally) -> tuple[RepeatedConfiscation, ...]:
    found = [
        RepeatedConfiscation(
            ref,
            stays[-1].year_group,
            stays[-1].reg_group,
            len(stays),
            local_date(stays[-1].received),
        )
        for ref, stays in tally.by_pupil.items()
        if len(stays) >= 2
    ]
    return tuple(sorted(found, key=lambda r: (-r.count, r.year_group, r.pupil_ref)))


def _tally(session: Session, which: ReportFilter, closes: dt.time) -> _Tally:
    today = to_local(utcnow()).strftime("%Y-%m-%d")
    tally = _Tally(closes.strftime("%H:%M"), today, ofsted.start(session, which))
    clock = LocalClock()
    query = _summary_query(which).execution_options(yield_per=BATCH)
    for row in session.connection().execute(query):
        ref, year, form, kind, state, received, released, overnight_on, dsl, late = row
        tally.add(
            _Stay(
                ref,
                year,
                form,
                kind,
                state,
                clock.text(received) or "",
                clock.text(released),
                overnight_on is not None,
                bool(dsl),
                bool(late),
            )
        )
    return tally


def school_fingerprint(sessions: Database) -> str | None:
    """The school audit fingerprint the log claims, as printed on exports; None while the
    log is not signed."""
    with sessions() as session:
        return lines.school_fingerprint(session.connection())


def summary(sessions: Database, which: ReportFilter, *, verify_chain: bool = True) -> Summary:
    """Everything the governors' PDF shows, from one snapshot."""
    which = which.checked()
    with sessions.snapshot() as reader:
        school = settings.load(reader)
        with reader() as session:
            tally = _tally(session, which, school.collection_closes)
            years = sorted(set(_year_groups(session, which)) | set(tally.per_year))
            fingerprint = lines.school_fingerprint(session.connection())
            today = to_local(utcnow()).date()
            evidence = ofsted.collect(session, which, tally.evidence, years, today)
        evidence = ofsted.with_services(evidence, reader, which)
        chain = (
            chain_check.verify(reader)
            if verify_chain
            else chain_check.ChainReport(True, 0, None, None)
        )
    return Summary(
        school_name=school.school_name,
        which=which,
        generated_at=LocalClock().text(utcnow()) or "",
        handins_per_day=tuple(sorted(tally.per_day.items())),
        confiscations_per_week=tuple(sorted(tally.per_week.items())),
        confiscations_per_year=tuple((year, tally.per_year[year]) for year in years),
        repeated=_repeated(tally),
        overnight=tuple(reversed(tally.overnight)),  # newest first: what a reader wants
        late=tuple(reversed(tally.late)),
        collection_closes=school.collection_closes,
        referred_to_dsl=tally.dsl,
        handed_to_police=tally.police,
        chain=chain,
        fingerprint=fingerprint,
        evidence=evidence,
    )
