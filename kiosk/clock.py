"""Time in one place: stored times are naive UTC; the school day is in the school's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SCHOOL_ZONE = ZoneInfo("Europe/London")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def to_local(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC).astimezone(SCHOOL_ZONE)


def local_date(value: dt.datetime) -> dt.date:
    return to_local(value).date()


def start_of_local_day(day: dt.date) -> dt.datetime:
    """The naive-UTC instant at which ``day`` begins at school."""
    local = dt.datetime.combine(day, dt.time.min, tzinfo=SCHOOL_ZONE)
    return local.astimezone(dt.UTC).replace(tzinfo=None)
