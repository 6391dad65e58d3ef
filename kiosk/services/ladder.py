"""The escalation ladder's rules and the school's terms, as the school settings hold them:
which release condition the n-th confiscation in a term gets, and when each term starts.
Pure (no database): ``kiosk.services.escalation`` counts a pupil's confiscations with it,
``kiosk.services.settings`` validates the settings with it.

Rules are a list of conditions, one a step (``end_of_day,end_of_week,parent``): the
first confiscation in a term takes the first, and the last step applies to every later
one. Term starts are dates (``2026-09-03``) or month-days that repeat every year
(``09-01``); a term runs from its start to the next one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from kiosk.clock import day_text
from kiosk.errors import InvalidInput

MAX_STEPS = 6
MAX_TERM_STARTS = 30


class Condition(StrEnum):
    """When a confiscated device may go back, and to whom."""

    words: str
    short: str

    def __new__(cls, value: str, words: str, short: str) -> Condition:
        member = str.__new__(cls, value)
        member._value_ = value
        member.words = words
        member.short = short
        return member

    END_OF_DAY = "end_of_day", "returned at the end of the school day", "End of day"
    NEXT_DAY = "next_day", "returned at the end of the next school day", "Next day"
    END_OF_WEEK = "end_of_week", "returned at the end of the school week", "End of week"
    PARENT = "parent", "a parent or carer must collect it", "Parent collects"


# 1st in a term: end of the day; 2nd: end of the week; 3rd and later: a parent collects.
DEFAULT_RULES = "end_of_day,end_of_week,parent"
# English state schools: autumn from September, spring from January, summer after Easter.
# 7 April falls in the Easter holidays in nearly every year (spring term ends by ~4 April,
# summer term starts from ~8 April), so a count never straddles a real term's start.
DEFAULT_TERM_STARTS = "09-01,01-01,04-07"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


CONDITIONS = {condition.value: condition for condition in Condition}


def condition_of(value: str) -> Condition:
    found = CONDITIONS.get(value.strip().lower())
    if found is None:
        known = "; ".join(f"{c.value} ({c.words})" for c in Condition)
        raise InvalidInput(
            f"'{value.strip()}' is not a release condition. The conditions are: {known}."
        )
    return found


def parse_rules(text: str) -> tuple[Condition, ...]:
    parts = [part for part in text.replace("\n", ",").split(",") if part.strip()]
    if not parts:
        raise InvalidInput("The ladder needs at least one step (the 1st confiscation's rule).")
    if len(parts) > MAX_STEPS:
        raise InvalidInput(f"The ladder has at most {MAX_STEPS} steps; the last one repeats.")
    return tuple(condition_of(part) for part in parts)


def format_rules(rules: tuple[Condition, ...]) -> str:
    return ",".join(rule.value for rule in rules)


@dataclass(frozen=True, order=True)
class TermStart:
    """A term's first day: ``year`` None for a month-day that repeats every year."""

    month: int
    day: int
    year: int | None = None

    def on(self, year: int) -> dt.date:
        return dt.date(self.year or year, self.month, self.day)

    def text(self) -> str:
        month_day = f"{self.month:02d}-{self.day:02d}"
        return f"{self.year:04d}-{month_day}" if self.year else month_day


def _term_start(text: str, line: int) -> TermStart:
    value = text.strip()
    try:
        if len(value) == 5:  # MM-DD
            day = dt.date.fromisoformat(f"2024-{value}")  # a leap year, so 02-29 parses
            if day.month == 2 and day.day == 29:
                raise ValueError
            return TermStart(day.month, day.day)
        day = dt.date.fromisoformat(value)
        if len(value) != 10:
            raise ValueError
        return TermStart(day.month, day.day, day.year)
    except ValueError:
        raise InvalidInput(
            f"Term start {line}, '{value}', is not a date: write it as 2026-09-03, "
            "or as 09-01 for the same day every year."
        ) from None


def parse_term_starts(text: str) -> tuple[TermStart, ...]:
    parts = [part for part in text.replace("\n", ",").split(",") if part.strip()]
    if not parts:
        raise InvalidInput("Give at least one term start date (e.g. 09-01 for 1 September).")
    if len(parts) > MAX_TERM_STARTS:
        raise InvalidInput(f"At most {MAX_TERM_STARTS} term start dates.")
    starts = [_term_start(part, line) for line, part in enumerate(parts, start=1)]
    if len(set(starts)) != len(starts):
        raise InvalidInput("A term start date is given twice.")
    return tuple(sorted(starts, key=lambda s: (s.year or 0, s.month, s.day)))


def format_term_starts(starts: tuple[TermStart, ...]) -> str:
    return ",".join(start.text() for start in starts)


@dataclass(frozen=True)
class Term:
    starts: dt.date
    ends: dt.date  # the next term's first day (exclusive)

    @property
    def name(self) -> str:
        month = self.starts.month
        return "autumn term" if month >= 9 else "spring term" if month <= 3 else "summer term"

    def words(self) -> str:
        return f"{self.name} from {day_text(self.starts)}"


def _candidates(starts: tuple[TermStart, ...], years: range) -> list[dt.date]:
    days = {s.on(year) for s in starts if s.year is None for year in years}
    days |= {s.on(0) for s in starts if s.year is not None}
    return sorted(days)


def term_of(day: dt.date, starts: tuple[TermStart, ...]) -> Term:
    """The term ``day`` falls in. Before the first of only dated starts (or after the last),
    a term is taken to last a year up to (or from) the nearest one."""
    days = _candidates(starts, range(day.year - 1, day.year + 2))
    before = [d for d in days if d <= day]
    after = [d for d in days if d > day]
    begins = before[-1] if before else after[0] - dt.timedelta(days=365)
    ends = after[0] if after else begins + dt.timedelta(days=365)
    while ends <= day:  # long after the last dated start: whole years from it
        begins, ends = ends, ends + dt.timedelta(days=365)
    return Term(begins, ends)


def terms_between(first: dt.date, last: dt.date, starts: tuple[TermStart, ...]) -> list[Term]:
    """Every term that overlaps ``first``..``last`` (inclusive), in order."""
    terms, day = [], first
    while day <= last:
        term = term_of(day, starts)
        terms.append(term)
        day = term.ends
    return terms


@dataclass(frozen=True)
class Ladder:
    rules: tuple[Condition, ...]
    term_starts: tuple[TermStart, ...]

    def rule_for(self, step: int) -> Condition:
        """The condition for the ``step``-th confiscation in a term (1 is the first)."""
        return self.rules[min(max(step, 1), len(self.rules)) - 1]

    def describe(self) -> list[str]:
        """Each step in words: "1st confiscation in a term: returned at the end of ..."."""
        lines = [
            f"{ordinal(n)} confiscation in a term: {rule.words}"
            for n, rule in enumerate(self.rules, start=1)
        ]
        lines[-1] = lines[-1].replace(" confiscation in a term", " and later confiscations", 1)
        return lines


def ladder_of(rules: str, term_starts: str) -> Ladder:
    return Ladder(parse_rules(rules), parse_term_starts(term_starts))
