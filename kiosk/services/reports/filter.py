"""What to report on (a period and filters), and what a log's columns and rows are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Select, String, func, type_coerce

from kiosk.clock import day_text, start_of_local_day
from kiosk.errors import InvalidInput
from kiosk.services.reports.cells import Column
from kiosk.tables import Custody, CustodyKind, Pupil

BATCH = 10000
Progress = Callable[[int, int], None]  # (rows done, rows in all); may raise to cancel
LogKind = Literal["custody", "audit"]
LOG_TITLES: dict[str, str] = {
    "custody": "Custody log",
    "audit": "Audit log",
    "searches": "Search records",
}


@dataclass(frozen=True)
class ReportFilter:
    """A date range (inclusive, school days as the school counts them) and optional filters."""

    date_from: dt.date
    date_to: dt.date
    year_group: int | None = None
    reg_group: str | None = None
    custody_kind: str | None = None  # "daily" or "confiscation"

    def checked(self) -> ReportFilter:
        """The same filter, tidied; InvalidInput with plain words if it makes no sense."""
        if self.date_to < self.date_from:
            raise InvalidInput("The end date is before the start date.")
        if self.year_group is not None and not 1 <= self.year_group <= 14:
            raise InvalidInput("Year group is a number from 1 to 14.")
        kinds = {kind.value for kind in CustodyKind}
        if self.custody_kind is not None and self.custody_kind not in kinds:
            raise InvalidInput("Kind is daily or confiscation.")
        form = (self.reg_group or "").strip().upper() or None
        if form is not None and len(form) > 20:
            raise InvalidInput("A form is at most 20 characters, like 7B.")
        return ReportFilter(
            self.date_from, self.date_to, self.year_group, form, self.custody_kind or None
        )

    @property
    def starts(self) -> dt.datetime:
        return start_of_local_day(self.date_from)

    @property
    def ends(self) -> dt.datetime:
        return start_of_local_day(self.date_to + dt.timedelta(days=1))

    def describe(self) -> dict[str, Any]:
        """For audit events and report headers."""
        return {
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "year_group": self.year_group,
            "form": self.reg_group,
            "custody_kind": self.custody_kind,
        }

    def words(self) -> str:
        parts = [f"{day_text(self.date_from)} to {day_text(self.date_to)}"]
        if self.year_group is not None:
            parts.append(f"year {self.year_group}")
        if self.reg_group:
            parts.append(f"form {self.reg_group}")
        if self.custody_kind:
            parts.append("confiscations" if self.custody_kind == "confiscation" else "daily")
        return ", ".join(parts)


@dataclass
class LogTable:
    """A log being read: its columns, how many rows, and the rows as an iterator (valid
    only inside the ``open_log`` block that made it)."""

    title: str
    columns: tuple[Column, ...]
    total: int
    rows: Iterator[tuple[Any, ...]]


def raw_time(column: Any) -> Any:
    """Select a DateTime column without parsing it (a string on SQLite; LocalClock reads
    either form)."""
    return type_coerce(column, String)


def local_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


def pupil_filters(query: Select[Any], which: ReportFilter) -> Select[Any]:
    if which.year_group is not None:
        query = query.where(Pupil.year_group == which.year_group)
    if which.reg_group:
        query = query.where(func.upper(Pupil.reg_group) == which.reg_group)
    if which.custody_kind:
        query = query.where(Custody.kind == which.custody_kind)
    return query
