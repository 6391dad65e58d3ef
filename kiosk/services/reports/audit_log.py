"""The audit log as a report: one row an event, with the pupil it names."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kiosk.clock import LocalClock
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


def audit_seqs(session: Session, which: ReportFilter) -> tuple[int, int]:
    """The first and last event numbers in the period (found through the index on time), so
    the export walks the log in its own order instead of sorting 600,000 rows first."""
    first, last = session.execute(
        select(func.min(AuditEvent.seq), func.max(AuditEvent.seq)).where(
            AuditEvent.at >= which.starts, AuditEvent.at < which.ends
        )
    ).one()
    return (first, last) if first is not None else (1, 0)


def pupil_columns(safe: TextGuard) -> tuple[Any, ...]:
    """The audit log's pupil columns: admission number, name, year, form."""
    name = func.coalesce(Pupil.preferred_forename, Pupil.legal_forename) + " " + Pupil.surname
    return (safe(Pupil.admission_number), safe(name), Pupil.year_group, safe(Pupil.reg_group))


def audit_query(which: ReportFilter, seqs: tuple[int, int], safe: TextGuard = as_is) -> Select[Any]:
    adm, name, year, form = pupil_columns(safe)
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
    return pupil_filters(query, which).order_by(AuditEvent.seq)


def lean_audit_query(
    which: ReportFilter, seqs: tuple[int, int], safe: TextGuard = as_is
) -> Select[Any]:
    """``audit_query`` without the pupil columns (for a log not filtered by pupil): the
    join to pupils was half the time of reading 600,000 events; ``pupils_of`` holds
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
    return pupil_filters(query, which).order_by(AuditEvent.seq)


PupilFields = tuple[Any, Any, Any, Any]
NO_PUPIL: PupilFields = (None, None, None, None)  # what the outer join gives for no pupil


def pupils_of(session: Session, safe: TextGuard) -> dict[Any, PupilFields]:
    return pupils_by_id(session.connection().execute(pupils_query(safe)))


def pupils_query(safe: TextGuard) -> Select[Any]:
    return select(Pupil.id, *pupil_columns(safe))


def pupils_by_id(rows: Iterable[Sequence[Any]]) -> dict[Any, PupilFields]:
    """The pupils' audit log fields by id, from the rows of ``pupils_query``."""
    return {row[0]: tuple(row[1:]) for row in rows}


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
