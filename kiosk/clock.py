"""Time in one place: stored times are naive UTC; the school day is in the school's zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo

SCHOOL_ZONE = ZoneInfo("Europe/London")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def stored_time(value: str | dt.datetime) -> dt.datetime:
    """A stored time as the database driver gives it (SQLite's text, PostgreSQL's
    ``datetime``) as a naive-UTC ``datetime``."""
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def to_local(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC).astimezone(SCHOOL_ZONE)


def local_date(value: dt.datetime) -> dt.date:
    return to_local(value).date()


# How documents for people (the PDFs, a spreadsheet's About sheet and date cells) write a
# date: the school's way, day first, one format throughout. CSV files keep ISO 8601
# (LocalClock's text): one format too, read the same in every locale, and shown by a
# spreadsheet in the computer's own date format.
DAY_FORMAT = "%d/%m/%Y"
MOMENT_FORMAT = "%d/%m/%Y %H:%M"


def day_text(day: dt.date) -> str:
    """A date as the school writes it: 01/09/2026."""
    return day.strftime(DAY_FORMAT)


def moment_text(local: dt.datetime | str) -> str:
    """A school-local time (or LocalClock's ``YYYY-MM-DD HH:MM[:SS]`` text of one) as the
    school writes it: 01/09/2026 08:05."""
    if isinstance(local, str):
        local = dt.datetime.fromisoformat(local)
    return local.strftime(MOMENT_FORMAT)


def start_of_local_day(day: dt.date) -> dt.datetime:
    """The naive-UTC instant at which ``day`` begins at school."""
    local = dt.datetime.combine(day, dt.time.min, tzinfo=SCHOOL_ZONE)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


class LocalClock:
    """Stored naive-UTC times to school-local text ``YYYY-MM-DD HH:MM:SS``. The zone's
    offset is looked up once per distinct UTC hour (Europe/London changes it twice a year,
    on the hour): when it is a whole number of hours and the same at both ends of that
    hour, only the hour part of the text changes. Any other hour (a clock change inside
    it, or a zone with half-hour offsets) is converted once per distinct minute."""

    def __init__(self) -> None:
        self._hours: dict[str, str | None] = {}
        self.hours: Mapping[str, str | None] = self._hours  # UTC "YYYY-MM-DD HH" -> local
        self._minutes: dict[str, str] = {}

    def text(self, value: object) -> str | None:
        if value is None:
            return None
        if type(value) is str and len(value) >= 19 and value[10] == " ":
            hour = self._hours.get(value[:13], "")
            if hour:
                return hour + value[13:19]
            if hour == "":
                hour = self._hour(value[:13])
                if hour:
                    return hour + value[13:19]
            minute = self._minutes.get(value[:16])
            if minute is None:
                minute = self._minute(value[:16])
            return minute + value[16:19]
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if not isinstance(value, dt.datetime):
            raise TypeError(f"not a time: {value!r}")
        return to_local(value.replace(tzinfo=None)).strftime("%Y-%m-%d %H:%M:%S")

    def hour(self, key: str) -> str | None:
        """School-local ``YYYY-MM-DD HH`` for the UTC hour ``key`` (``YYYY-MM-DD HH``) when
        every time in that hour moves by the same whole hours, so that only the hour part
        of its text changes; None for any other hour (``text`` goes by the minute there)."""
        local = self._hours.get(key, "")
        return self._hour(key) if local == "" else local

    def _hour(self, key: str) -> str | None:
        local: str | None = None
        try:
            start = dt.datetime.fromisoformat(key + ":00")
        except ValueError:
            start = None
        if start is not None:
            first = to_local(start)
            last = to_local(start + dt.timedelta(minutes=59, seconds=59, microseconds=999999))
            offset = first.utcoffset()
            if offset == last.utcoffset() and offset is not None and not offset % ONE_HOUR:
                local = first.strftime("%Y-%m-%d %H")
        self._hours[key] = local
        return local

    def _minute(self, key: str) -> str:
        local = to_local(dt.datetime.fromisoformat(key)).strftime("%Y-%m-%d %H:%M")
        self._minutes[key] = local
        return local


ONE_HOUR = dt.timedelta(hours=1)
