"""Queries behind the headteacher's exports and the governors' summary.

The logs are streamed (``yield_per``), never loaded whole: a year of a large school is
600,000 audit events. Long reads go through ``reading()``, which on SQLite reads from a
snapshot without taking the write lock, so an export never holds up the kiosk.

Times leave this module as school-local text, ``YYYY-MM-DD HH:MM:SS`` in Europe/London:
converting each stored UTC time through a per-minute cache is what keeps a 600,000-row
export within seconds; the writers turn the text into what their format needs.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal, NamedTuple

from sqlalchemy import (
    Select,
    String,
    case,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session, aliased

from kiosk.clock import SCHOOL_ZONE, start_of_local_day, to_local, utcnow
from kiosk.db import Sessions
from kiosk.errors import InvalidInput
from kiosk.services import audit
from kiosk.tables import (
    AuditEvent,
    Confiscation,
    Custody,
    CustodyKind,
    CustodyState,
    Pupil,
    ReleasedTo,
    Slot,
    Staff,
)

ZONE_NAME = str(SCHOOL_ZONE)
BATCH = 10000
ColumnType = Literal["int", "text", "datetime", "date", "bool"]
Progress = Callable[[int, int], None]  # (rows done, rows in all); may raise to cancel


# -- what to report on --------------------------------------------------------------------


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
        parts = [f"{self.date_from:%d %b %Y} to {self.date_to:%d %b %Y}"]
        if self.year_group is not None:
            parts.append(f"year {self.year_group}")
        if self.reg_group:
            parts.append(f"form {self.reg_group}")
        if self.custody_kind:
            parts.append("confiscations" if self.custody_kind == "confiscation" else "daily")
        return ", ".join(parts)


@dataclass(frozen=True)
class Column:
    title: str
    type: ColumnType
    width: int = 12  # characters, a hint for spreadsheets
    free_text: bool = False  # typed by people: guarded against formula injection in CSV


@dataclass
class LogTable:
    """A log being read: its columns, how many rows, and the rows as an iterator (valid
    only inside the ``open_log`` block that made it)."""

    title: str
    columns: tuple[Column, ...]
    total: int
    rows: Iterator[tuple[Any, ...]]
    formulas_guarded: bool = False  # free text already made spreadsheet-safe (for CSV)


# -- reading without blocking the kiosk ----------------------------------------------------


@contextmanager
def reading(sessions: Sessions) -> Iterator[Sessions]:
    """Sessions for a long read-only job (an export, a summary, a verification)."""
    with sessions.snapshot() as reader:
        yield reader


# -- school-local times, fast --------------------------------------------------------------


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


def raw_time(column: Any) -> Any:
    """Select a DateTime column without parsing it (a string on SQLite; LocalClock reads
    either form)."""
    return type_coerce(column, String)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TextGuard = Callable[[Any], Any]


def formula_safe(expr: Any) -> Any:
    """Text typed by people, with a leading apostrophe when it would start a spreadsheet
    formula ("CSV injection"). Done in the query, where it costs next to nothing; row by
    row in Python it was a fifth of a CSV export's time."""
    return case((func.substr(expr, 1, 1).in_(FORMULA_STARTS), literal("'") + expr), else_=expr)


def as_is(expr: Any) -> Any:
    return expr


def local_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


# -- the custody log -----------------------------------------------------------------------

CUSTODY_COLUMNS: tuple[Column, ...] = (
    Column("Record", "int", 8),
    Column("Admission no.", "text", 13, free_text=True),
    Column("Surname", "text", 18, free_text=True),
    Column("Forename", "text", 14, free_text=True),
    Column("Year", "int", 6),
    Column("Form", "text", 7, free_text=True),
    Column("Kind", "text", 12),
    Column("Outcome", "text", 16),
    Column("Slot", "int", 6),
    Column(f"Received ({ZONE_NAME})", "datetime", 20),
    Column("Received by", "text", 18, free_text=True),
    Column(f"Released ({ZONE_NAME})", "datetime", 20),
    Column("Released by", "text", 18, free_text=True),
    Column("Released to", "text", 14),
    Column("Released to (name)", "text", 22, free_text=True),
    Column("Relationship", "text", 13, free_text=True),
    Column("ID seen", "bool", 8),
    Column("Kept overnight on", "date", 12),
    Column("Reason", "text", 20, free_text=True),
    Column("Referred to DSL", "bool", 9),
)
OUTCOME_WORDS = {
    CustodyState.HELD.value: "Held",
    CustodyState.RELEASED.value: "Given back",
    CustodyState.HANDED_TO_POLICE.value: "Handed to police",
    CustodyState.CANCELLED.value: "Hand-in undone",
}
RELEASED_TO_WORDS = {ReleasedTo.PUPIL.value: "Pupil", ReleasedTo.PARENT.value: "Parent/carer"}
SELF_SERVICE = "Kiosk (self-service)"


def _custody_query(which: ReportFilter, safe: TextGuard = as_is) -> Select[Any]:
    received_by, released_by = aliased(Staff), aliased(Staff)
    query = (
        select(
            Custody.id,
            safe(Pupil.admission_number),
            safe(Pupil.surname),
            safe(func.coalesce(Pupil.preferred_forename, Pupil.legal_forename)),
            Pupil.year_group,
            safe(Pupil.reg_group),
            Custody.kind,
            Custody.state,
            Slot.number,
            raw_time(Custody.received_at),
            safe(received_by.name),
            raw_time(Custody.released_at),
            safe(released_by.name),
            Custody.released_to,
            safe(Custody.released_to_name),
            safe(Custody.released_to_relationship),
            Custody.id_seen,
            Custody.keep_overnight_on,
            safe(Confiscation.reason_category),
            Confiscation.dsl_referred_at.is_not(None),
        )
        .join(Pupil, Pupil.id == Custody.pupil_id)
        .outerjoin(Slot, Slot.id == Custody.slot_id)
        .outerjoin(received_by, received_by.id == Custody.received_by_id)
        .outerjoin(released_by, released_by.id == Custody.released_by_id)
        .outerjoin(Confiscation, Confiscation.custody_id == Custody.id)
        .where(Custody.received_at >= which.starts, Custody.received_at < which.ends)
    )
    return _pupil_filters(query, which).order_by(Custody.received_at, Custody.id)


def _lean_custody_query(which: ReportFilter, safe: TextGuard = as_is) -> Select[Any]:
    """``_custody_query`` with the pupil, slot and staff columns left as their ids (for a
    log not filtered by pupil): ``_joined_custody_rows`` looks them up in Python, which
    took half the time of joining them for every row."""
    query = (
        select(
            Custody.id,
            Custody.pupil_id,
            Custody.kind,
            Custody.state,
            Custody.slot_id,
            raw_time(Custody.received_at),
            Custody.received_by_id,
            raw_time(Custody.released_at),
            Custody.released_by_id,
            Custody.released_to,
            safe(Custody.released_to_name),
            safe(Custody.released_to_relationship),
            Custody.id_seen,
            Custody.keep_overnight_on,
            safe(Confiscation.reason_category),
            Confiscation.dsl_referred_at.is_not(None),
        )
        .outerjoin(Confiscation, Confiscation.custody_id == Custody.id)
        .where(Custody.received_at >= which.starts, Custody.received_at < which.ends)
    )
    if which.custody_kind:
        query = query.where(Custody.kind == which.custody_kind)
    return query.order_by(Custody.received_at, Custody.id)


@dataclass(frozen=True)
class _CustodyLookups:
    """What ``_custody_query`` joins, by id (small tables: pupils, slots, staff)."""

    pupils: dict[Any, tuple[Any, ...]]
    slots: dict[Any, Any]
    staff: dict[Any, Any]

    @classmethod
    def read(cls, session: Session, safe: TextGuard) -> _CustodyLookups:
        connection = session.connection()
        forename = func.coalesce(Pupil.preferred_forename, Pupil.legal_forename)
        pupil_columns = (
            safe(Pupil.admission_number),
            safe(Pupil.surname),
            safe(forename),
            Pupil.year_group,
            safe(Pupil.reg_group),
        )
        pupils = connection.execute(select(Pupil.id, *pupil_columns))
        slots = connection.execute(select(Slot.id, Slot.number))
        staff = connection.execute(select(Staff.id, safe(Staff.name)))
        return cls(
            {row[0]: tuple(row[1:]) for row in pupils},
            {row[0]: row[1] for row in slots},
            {row[0]: row[1] for row in staff},
        )


def _joined_custody_rows(rows: Iterator[Any], lookups: _CustodyLookups) -> Iterator[Any]:
    """``_lean_custody_query``'s rows as ``_custody_query`` gives them: the inner join to
    pupils drops a custody whose pupil is missing, the outer joins give None."""
    pupil_of, slot_of, staff_of = lookups.pupils.get, lookups.slots.get, lookups.staff.get
    for cid, pupil_id, kind, state, slot_id, received, by_in, released, by_out, *rest in rows:
        pupil = pupil_of(pupil_id)
        if pupil is not None:
            yield (
                cid,
                *pupil,
                kind,
                state,
                slot_of(slot_id),
                received,
                staff_of(by_in),
                released,
                staff_of(by_out),
                *rest,
            )


def _pupil_filters(query: Select[Any], which: ReportFilter) -> Select[Any]:
    if which.year_group is not None:
        query = query.where(Pupil.year_group == which.year_group)
    if which.reg_group:
        query = query.where(func.upper(Pupil.reg_group) == which.reg_group)
    if which.custody_kind:
        query = query.where(Custody.kind == which.custody_kind)
    return query


_POLICE = CustodyState.HANDED_TO_POLICE.value
_CONFISCATION = CustodyKind.CONFISCATION.value


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


def redacted_flag(value: Any) -> bool | None:
    """The audit log's "Redacted" from SQLite's 0/1 (or a bool); the row loops below have
    it inlined (a call a row costs a tenth of their time)."""
    return value if value is None else value is True or value == 1


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if type(value) is str else value


def _custody_rows(rows: Iterator[Any], clock: LocalClock) -> Iterator[tuple[Any, ...]]:
    """Rows as the reports show them, from SQLAlchemy rows or the DBAPI's own tuples (on
    SQLite: flags as 0/1 and days as text, turned into bool and date here)."""
    text = clock.text
    for row in rows:
        (cid, adm, surname, forename, year, form, kind, state, slot, received, by_in) = row[:11]
        (released, by_out, to, to_name, relationship, id_seen, overnight, reason, dsl) = row[11:]
        to_words = "Police" if state == _POLICE else RELEASED_TO_WORDS.get(to or "")
        yield (
            cid,
            adm,
            surname,
            forename,
            year,
            form,
            kind,
            OUTCOME_WORDS.get(state, state),
            slot,
            text(received),
            by_in or SELF_SERVICE,
            text(released),
            by_out or (SELF_SERVICE if released else None),
            to_words,
            to_name,
            relationship,
            None if id_seen is None else id_seen is True or id_seen == 1,
            None if overnight is None else _day(overnight),
            reason,
            (dsl is True or dsl == 1) if kind == _CONFISCATION else None,
        )


# -- the audit log -------------------------------------------------------------------------

AUDIT_COLUMNS: tuple[Column, ...] = (
    Column("Event no.", "int", 10),
    Column(f"Time ({ZONE_NAME})", "datetime", 20),
    Column("Event", "text", 20),
    Column("Staff", "text", 18, free_text=True),
    Column("Pupil record", "int", 8),
    Column("Admission no.", "text", 13, free_text=True),
    Column("Pupil", "text", 22, free_text=True),
    Column("Year", "int", 6),
    Column("Form", "text", 7, free_text=True),
    Column("Slot", "int", 6),
    Column("Custody record", "int", 9),
    Column("Details", "text", 40),  # JSON written by the services: always starts with "{"
    Column("Redacted", "bool", 9),
    Column("Hash (SHA-256)", "text", 20),
)


def _audit_seqs(session: Session, which: ReportFilter) -> tuple[int, int]:
    """The first and last event numbers in the period (found through the index on time), so
    the export walks the log in its own order instead of sorting 600,000 rows first."""
    first, last = session.execute(
        select(func.min(AuditEvent.seq), func.max(AuditEvent.seq)).where(
            AuditEvent.at >= which.starts, AuditEvent.at < which.ends
        )
    ).one()
    return (first, last) if first is not None else (1, 0)


def _pupil_columns(safe: TextGuard) -> tuple[Any, ...]:
    """The audit log's pupil columns: admission number, name, year, form."""
    name = func.coalesce(Pupil.preferred_forename, Pupil.legal_forename) + " " + Pupil.surname
    return (safe(Pupil.admission_number), safe(name), Pupil.year_group, safe(Pupil.reg_group))


def _audit_query(
    which: ReportFilter, seqs: tuple[int, int], safe: TextGuard = as_is
) -> Select[Any]:
    adm, name, year, form = _pupil_columns(safe)
    query = (
        select(
            AuditEvent.seq,
            raw_time(AuditEvent.at),
            AuditEvent.kind,
            safe(AuditEvent.actor_name),
            AuditEvent.pupil_id,
            adm,
            name,
            year,
            form,
            AuditEvent.slot_number,
            AuditEvent.custody_id,
            AuditEvent.details,
            AuditEvent.redacted,
            AuditEvent.hash,
        )
        .outerjoin(Pupil, Pupil.id == AuditEvent.pupil_id)
        .where(AuditEvent.seq.between(*seqs))
        .where(AuditEvent.at >= which.starts, AuditEvent.at < which.ends)
    )
    if which.custody_kind:
        query = query.join(Custody, Custody.id == AuditEvent.custody_id)
    return _pupil_filters(query, which).order_by(AuditEvent.seq)


def _lean_audit_query(
    which: ReportFilter, seqs: tuple[int, int], safe: TextGuard = as_is
) -> Select[Any]:
    """``_audit_query`` without the pupil columns (for a log not filtered by pupil): the
    join to pupils was half the time of reading 600,000 events; ``_pupils_by_id`` holds
    the same values, looked up in Python."""
    query = (
        select(
            AuditEvent.seq,
            raw_time(AuditEvent.at),
            AuditEvent.kind,
            safe(AuditEvent.actor_name),
            AuditEvent.pupil_id,
            AuditEvent.slot_number,
            AuditEvent.custody_id,
            AuditEvent.details,
            AuditEvent.redacted,
            AuditEvent.hash,
        )
        .where(AuditEvent.seq.between(*seqs))
        .where(AuditEvent.at >= which.starts, AuditEvent.at < which.ends)
    )
    if which.custody_kind:
        query = query.join(Custody, Custody.id == AuditEvent.custody_id)
    return _pupil_filters(query, which).order_by(AuditEvent.seq)


# False reads the logs' pupils (and the custody log's slots and staff) through joins,
# always: the reference that tests compare the lookups with.
PUPILS_BY_LOOKUP = True
PupilFields = tuple[Any, Any, Any, Any]
NO_PUPIL: PupilFields = (None, None, None, None)  # what the outer join gives for no pupil


def _pupils_by_id(session: Session, safe: TextGuard) -> dict[Any, PupilFields]:
    return pupils_by_id(session.connection().execute(_pupils_query(safe)))


def _pupils_query(safe: TextGuard) -> Select[Any]:
    return select(Pupil.id, *_pupil_columns(safe))


def pupils_by_id(rows: Iterable[Sequence[Any]]) -> dict[Any, PupilFields]:
    """The pupils' audit log fields by id, from the rows of ``_pupils_query``."""
    return {row[0]: tuple(row[1:]) for row in rows}


def lean_audit_rows(
    rows: Iterator[Any], clock: LocalClock, pupils: dict[Any, PupilFields]
) -> Iterator[tuple[Any, ...]]:
    """As ``_audit_rows``, from ``_lean_audit_query``'s rows and the pupils by id."""
    text, pupil_of, hour_of = clock.text, pupils.get, clock.hours.get
    for seq, at, kind, staff, pupil, slot, cid, details, red, hashed in rows:
        adm, name, year, form = pupil_of(pupil, NO_PUPIL)
        # clock.text's first step, inlined (a tenth of the time of the rows)
        hour = hour_of(at[:13]) if type(at) is str and len(at) >= 19 and at[10] == " " else None
        yield (
            seq,
            hour + at[13:19] if hour else text(at),
            kind,
            staff,
            pupil,
            adm,
            name,
            year,
            form,
            slot,
            cid,
            details,
            red if red is None else red is True or red == 1,
            hashed,
        )


def _audit_rows(rows: Iterator[Any], clock: LocalClock) -> Iterator[tuple[Any, ...]]:
    text = clock.text
    for row in rows:
        red = row[12]  # 0/1 from SQLite's own cursor
        yield (
            row[0],
            text(row[1]),
            *row[2:12],
            red if red is None else red is True or red == 1,
            row[13],
        )


def _raw_rows(cursor: Any) -> Iterator[tuple[Any, ...]]:
    """The DBAPI cursor's own tuples: on SQLite a third of an export's time went on
    SQLAlchemy's Row objects and their type processing."""
    for batch in _raw_batches(cursor, BATCH):
        yield from batch


def _raw_batches(cursor: Any, size: int) -> Iterator[list[Any]]:
    while batch := cursor.fetchmany(size):
        yield batch


# -- opening a log -------------------------------------------------------------------------

LogKind = Literal["custody", "audit"]
LOG_TITLES: dict[str, str] = {"custody": "Custody log", "audit": "Audit log"}


@contextmanager
def open_log(
    sessions: Sessions,
    kind: LogKind,
    which: ReportFilter,
    *,
    guard_formulas: bool = False,
) -> Iterator[LogTable]:
    """Count and stream one log from a single consistent snapshot. ``guard_formulas``
    makes text typed by people safe to open in a spreadsheet (see ``formula_safe``)."""
    with reading(sessions) as reader, reader() as session:
        log = LogReader(session, kind, which, guard_formulas=guard_formulas)
        with log.table() as table:
            yield table


class LogReader:
    """One log read from one session's snapshot: as a table of rows, or (the audit log on
    SQLite) as the cursor's own batches for a writer that shapes the rows itself."""

    def __init__(
        self,
        session: Session,
        kind: LogKind,
        which: ReportFilter,
        *,
        guard_formulas: bool,
    ) -> None:
        self.session, self.kind, self.which = session, kind, which.checked()
        self.guard_formulas = guard_formulas
        self.seqs = _audit_seqs(session, self.which) if kind == "audit" else (1, 0)

    @contextmanager
    def table(self) -> Iterator[LogTable]:
        session, which = self.session, self.which
        safe = formula_safe if self.guard_formulas else as_is
        connection = session.connection()
        raw = connection.dialect.name == "sqlite"
        shape: Callable[[Iterator[Any], LocalClock], Iterator[tuple[Any, ...]]]
        lean = self._lean()
        if self.kind == "audit" and raw and lean:
            query, columns = _lean_audit_query(which, self.seqs, safe), AUDIT_COLUMNS
            pupils = _pupils_by_id(session, safe)
            shape = partial(lean_audit_rows, pupils=pupils)
        elif self.kind == "audit":
            query = _audit_query(which, self.seqs, safe)
            columns, shape = AUDIT_COLUMNS, _audit_rows
        elif raw and lean:
            query, columns = _lean_custody_query(which, safe), CUSTODY_COLUMNS
            lookups = _CustodyLookups.read(session, safe)

            def shape(rows: Iterator[Any], clock: LocalClock) -> Iterator[tuple[Any, ...]]:
                return _custody_rows(_joined_custody_rows(rows, lookups), clock)
        else:
            query, columns, shape = _custody_query(which, safe), CUSTODY_COLUMNS, _custody_rows
        total = self.count()
        if raw:  # bind parameters by SQLAlchemy, rows raw
            streamed = connection.execute(query)
            source: Iterator[Any] = _raw_rows(streamed.cursor)
        else:
            streamed = connection.execute(query.execution_options(yield_per=BATCH))
            source = iter(streamed)
        try:
            rows = shape(source, LocalClock())
            yield LogTable(
                LOG_TITLES[self.kind],
                columns,
                total,
                rows,
                self.guard_formulas,
            )
        finally:
            streamed.close()

    def _lean(self) -> bool:
        """Whether the pupils (and the custody log's slots and staff) are looked up by id."""
        return PUPILS_BY_LOOKUP and self.which.year_group is None and not self.which.reg_group

    def count(self) -> int:
        return self.session.scalar(self._counting()) or 0

    @contextmanager
    def lean_audit(
        self, batch: int = BATCH
    ) -> Iterator[tuple[Iterator[list[Any]], dict[Any, PupilFields]] | None]:
        """For a writer that shapes the audit log's rows itself: the SQLite cursor's own
        rows in batches, as ``lean_audit_rows`` takes them, and the pupils' fields by id
        for it; None unless this is the audit log, read from SQLite without a pupil filter
        (the other logs are read only through ``table``)."""
        connection = self.session.connection()
        if not (self.kind == "audit" and connection.dialect.name == "sqlite" and self._lean()):
            yield None
            return
        safe = formula_safe if self.guard_formulas else as_is
        pupils = _pupils_by_id(self.session, safe)
        streamed = connection.execute(_lean_audit_query(self.which, self.seqs, safe))
        try:
            yield _raw_batches(streamed.cursor, batch), pupils
        finally:
            streamed.close()

    def _counting(self) -> Select[Any]:
        """The log's row count without its columns and the outer joins that cannot add or
        drop a row (each on a unique key): a fifth of the time of counting the query."""
        which = self.which
        if self.kind == "audit":
            query = select(func.count()).select_from(AuditEvent)
            if which.year_group is not None or which.reg_group:
                query = query.join(Pupil, Pupil.id == AuditEvent.pupil_id)
            if which.custody_kind:
                query = query.join(Custody, Custody.id == AuditEvent.custody_id)
            query = query.where(AuditEvent.seq.between(*self.seqs))
            query = query.where(AuditEvent.at >= which.starts, AuditEvent.at < which.ends)
        else:
            query = (
                select(func.count())
                .select_from(Custody)
                .join(Pupil, Pupil.id == Custody.pupil_id)
                .where(Custody.received_at >= which.starts, Custody.received_at < which.ends)
            )
        return _pupil_filters(query, which)


def forms(sessions: Sessions) -> list[str]:
    """Forms (registration groups) pupils are in, for filter choices."""
    with sessions() as session:
        query = select(Pupil.reg_group).where(Pupil.purged_at.is_(None)).distinct()
        return sorted(session.scalars(query), key=lambda form: (len(form), form))


# -- the governors' summary ----------------------------------------------------------------


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
    chain: audit.ChainReport

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


def _kept_overnight(stay: _Stay, today: str) -> bool:
    if stay.state == CustodyState.CANCELLED.value:
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
    per_day: Counter[dt.date] = field(default_factory=Counter)
    per_week: Counter[dt.date] = field(default_factory=Counter)
    per_year: Counter[int] = field(default_factory=Counter)
    by_pupil: defaultdict[str, list[_Stay]] = field(default_factory=lambda: defaultdict(list))
    overnight: list[DeviceStay] = field(default_factory=list)
    late: list[DeviceStay] = field(default_factory=list)
    dsl: int = 0
    police: int = 0

    def add(self, stay: _Stay) -> None:
        if _kept_overnight(stay, self.today):
            self.overnight.append(_public(stay))
        if stay.kind == CustodyKind.DAILY.value:
            self._daily(stay)
        else:
            self._confiscation(stay)

    def _daily(self, stay: _Stay) -> None:
        if stay.state == CustodyState.CANCELLED.value:
            return
        self.per_day[local_date(stay.received)] += 1
        released = stay.released
        if released and released[:10] == stay.received[:10] and released[11:16] > self.closes:
            self.late.append(_public(stay))

    def _confiscation(self, stay: _Stay) -> None:
        day = local_date(stay.received)
        self.per_week[day - dt.timedelta(days=day.weekday())] += 1
        self.per_year[stay.year_group] += 1
        self.by_pupil[stay.pupil_ref].append(stay)
        self.dsl += stay.dsl_referred
        self.police += stay.state == CustodyState.HANDED_TO_POLICE.value


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
        )
        .join(Pupil, Pupil.id == Custody.pupil_id)
        .outerjoin(Confiscation, Confiscation.custody_id == Custody.id)
        .where(Custody.received_at >= which.starts, Custody.received_at < which.ends)
    )
    return _pupil_filters(query, which).order_by(Custody.received_at)


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
    tally = _Tally(closes=closes.strftime("%H:%M"), today=today)
    clock = LocalClock()
    query = _summary_query(which).execution_options(yield_per=BATCH)
    for row in session.connection().execute(query):
        ref, year, form, kind, state, received, released, overnight_on, dsl = row
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
            )
        )
    return tally


def summary(sessions: Sessions, which: ReportFilter, *, verify_chain: bool = True) -> Summary:
    """Everything the governors' PDF shows, from one snapshot."""
    from kiosk.services import settings

    which = which.checked()
    with reading(sessions) as reader:
        school = settings.load(reader)
        with reader() as session:
            tally = _tally(session, which, school.collection_closes)
            years = sorted(set(_year_groups(session, which)) | set(tally.per_year))
        chain = audit.verify(reader) if verify_chain else audit.ChainReport(True, 0, None, None)
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
    )
