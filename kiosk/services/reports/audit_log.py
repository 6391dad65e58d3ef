"""The audit log as a report: one row an event, with the pupil it names."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kiosk.clock import LocalClock
from kiosk.services.reports.fields import (
    Field,
    Lookup,
    columns,
    joined_select,
    lean_select,
    read_lookups,
)
from kiosk.services.reports.filter import (
    ZONE_NAME,
    Column,
    ReportFilter,
    TextGuard,
    as_is,
    pupil_filters,
    raw_time,
)
from kiosk.tables import AuditEvent, Custody, Pupil

_PUPIL = Lookup(Pupil, AuditEvent.pupil_id)
_NAME = func.coalesce(Pupil.preferred_forename, Pupil.legal_forename) + " " + Pupil.surname

# The columns, in order. ``audit_rows`` turns the values into what the reports show; the
# CSV export's lines made at once (kiosk.exports.csv) write the lean rows the same way.
AUDIT_FIELDS: tuple[Field, ...] = (
    Field(Column("Event no.", "int", 10), AuditEvent.seq),
    Field(Column(f"Time ({ZONE_NAME})", "datetime", 20), raw_time(AuditEvent.at)),
    Field(Column("Event", "text", 20), AuditEvent.kind),
    Field(Column("Staff", "text", 18, free_text=True), AuditEvent.actor_name),
    Field(Column("Pupil record", "int", 8), AuditEvent.pupil_id),
    Field(Column("Admission no.", "text", 13, free_text=True), Pupil.admission_number, _PUPIL),
    Field(Column("Pupil", "text", 22, free_text=True), _NAME, _PUPIL),
    Field(Column("Year", "int", 6), Pupil.year_group, _PUPIL),
    Field(Column("Form", "text", 7, free_text=True), Pupil.reg_group, _PUPIL),
    Field(Column("Slot", "int", 6), AuditEvent.slot_number),
    Field(Column("Custody record", "int", 9), AuditEvent.custody_id),
    # JSON written by the services: always starts with "{"
    Field(Column("Details", "text", 40), AuditEvent.details),
    Field(Column("Redacted", "bool", 9), AuditEvent.redacted),
    Field(Column("Hash (SHA-256)", "text", 20), AuditEvent.hash),
)
AUDIT_COLUMNS = columns(AUDIT_FIELDS)


def audit_seqs(session: Session, which: ReportFilter) -> tuple[int, int]:
    """The first and last event numbers in the period (found through the index on time), so
    the export walks the log in its own order instead of sorting 600,000 rows first."""
    first, last = session.execute(
        select(func.min(AuditEvent.seq), func.max(AuditEvent.seq)).where(
            AuditEvent.at >= which.starts, AuditEvent.at < which.ends
        )
    ).one()
    return (first, last) if first is not None else (1, 0)


def _in_period(query: Select[Any], which: ReportFilter, seqs: tuple[int, int]) -> Select[Any]:
    query = query.where(AuditEvent.seq.between(*seqs))
    query = query.where(AuditEvent.at >= which.starts, AuditEvent.at < which.ends)
    if which.custody_kind:
        query = query.join(Custody, Custody.id == AuditEvent.custody_id)
    return pupil_filters(query, which).order_by(AuditEvent.seq)


def audit_query(which: ReportFilter, seqs: tuple[int, int], safe: TextGuard = as_is) -> Select[Any]:
    return _in_period(joined_select(AUDIT_FIELDS, safe), which, seqs)


def lean_audit_query(
    which: ReportFilter, seqs: tuple[int, int], safe: TextGuard = as_is
) -> Select[Any]:
    """``audit_query`` without the pupil columns (for a log not filtered by pupil): the
    join to pupils was half the time of reading 600,000 events; ``pupils_of`` holds
    the same values, looked up by the event's pupil id."""
    return _in_period(lean_select(AUDIT_FIELDS, safe), which, seqs)


PupilFields = tuple[Any, Any, Any, Any]
NO_PUPIL: PupilFields = (None, None, None, None)  # what the outer join gives for no pupil


def pupils_of(session: Session, safe: TextGuard) -> dict[Any, PupilFields]:
    """The pupils' audit log fields by id."""
    (pupils,) = read_lookups(session.connection(), AUDIT_FIELDS, safe)
    return pupils


def lean_audit_rows(
    rows: Iterator[Any], clock: LocalClock, pupils: dict[Any, PupilFields]
) -> Iterator[tuple[Any, ...]]:
    """As ``audit_rows``, from ``lean_audit_query``'s rows and the pupils by id."""
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


def audit_rows(rows: Iterator[Any], clock: LocalClock) -> Iterator[tuple[Any, ...]]:
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


def redacted_flag(value: Any) -> bool | None:
    """The audit log's "Redacted" from SQLite's 0/1 (or a bool); the row loops below have
    it inlined (a call a row costs a tenth of their time)."""
    return value if value is None else value is True or value == 1
