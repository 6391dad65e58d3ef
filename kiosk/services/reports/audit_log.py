"""The audit log as a report: one row an event, with the pupil it names."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kiosk.event_kinds import WORDS_BY_KIND, event_words
from kiosk.services.reports.fields import (
    FLAG,
    Field,
    Lookup,
    Shown,
    joined_select,
    lean_select,
    local_time,
)
from kiosk.services.reports.filter import Column, ReportFilter, TextGuard, as_is, pupil_filters
from kiosk.tables import AuditEvent, Custody, Pupil

_PUPIL = Lookup(Pupil, AuditEvent.pupil_id)
# An event's words; a kind this version does not know (a newer kiosk's) reads as itself.
EVENT_WORDS = Shown(
    "{words}.get({v}) or {unknown}({v})", {"words": WORDS_BY_KIND, "unknown": event_words}
)
_NAME = func.coalesce(Pupil.preferred_forename, Pupil.legal_forename) + " " + Pupil.surname

# The columns, in order, each with the value it reads and how that value is shown.
AUDIT_FIELDS: tuple[Field, ...] = (
    Field(Column("Event no.", "int", 10), AuditEvent.seq),
    local_time("Time", AuditEvent.at),
    Field(Column("Event", "text", 28), AuditEvent.kind, shown=EVENT_WORDS),
    # the stored kind, which never changes (the words may): for tools that filter by it
    Field(Column("Event code", "text", 18), AuditEvent.kind),
    Field(Column("Staff", "text", 18, free_text=True), AuditEvent.actor_name),
    Field(Column("Pupil record", "int", 8), AuditEvent.pupil_id),
    Field(Column("Admission no.", "text", 13, free_text=True), Pupil.admission_number, _PUPIL),
    Field(Column("Pupil", "text", 22, free_text=True), _NAME, _PUPIL),
    Field(Column("Year", "int", 6), Pupil.year_group, _PUPIL),
    Field(Column("Form", "text", 7, free_text=True), Pupil.reg_group, _PUPIL),
    Field(Column("Slot", "int", 6), AuditEvent.slot_number),
    Field(Column("Custody record", "int", 9), AuditEvent.custody_id),
    # JSON written by the services: always starts with "{"; nearly every row's its own
    Field(Column("Details", "text", 40), AuditEvent.details, unique=True),
    Field(Column("Redacted", "bool", 9), AuditEvent.redacted, shown=FLAG),
    Field(Column("Hash (SHA-256)", "text", 20), AuditEvent.hash, unique=True),
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
    join to pupils was half the time of reading 600,000 events; the look-up
    (``fields.read_lookups``) holds the same values by the event's pupil id."""
    return _in_period(lean_select(AUDIT_FIELDS, safe), which, seqs)
