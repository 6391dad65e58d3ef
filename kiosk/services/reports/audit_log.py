"""The audit log as a report: where its columns (``audit_columns``) are read from, and its
queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kiosk.services.reports import audit_columns
from kiosk.services.reports.filter import ReportFilter, pupil_filters
from kiosk.services.reports.log_sql import LogSql
from kiosk.tables import AuditEvent, Custody, Pupil

_NAME = func.coalesce(Pupil.preferred_forename, Pupil.legal_forename) + " " + Pupil.surname

# Where each of ``audit_columns.AUDIT_FIELDS`` is read from, by name.
AUDIT_SQL = LogSql(
    values={
        "seq": AuditEvent.seq,
        "at": AuditEvent.at,
        "kind": AuditEvent.kind,
        "actor_name": AuditEvent.actor_name,
        "pupil_id": AuditEvent.pupil_id,
        "admission_number": Pupil.admission_number,
        "pupil_name": _NAME,
        "year_group": Pupil.year_group,
        "reg_group": Pupil.reg_group,
        "slot_number": AuditEvent.slot_number,
        "custody_id": AuditEvent.custody_id,
        "details": AuditEvent.details,
        "redacted": AuditEvent.redacted,
        "hash": AuditEvent.hash,
    },
    tables={"pupil": Pupil},
).covers(audit_columns.AUDIT_FIELDS)


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


def audit_query(which: ReportFilter, seqs: tuple[int, int]) -> Select[Any]:
    return _in_period(AUDIT_SQL.joined_select(audit_columns.AUDIT_FIELDS), which, seqs)


def lean_audit_query(which: ReportFilter, seqs: tuple[int, int]) -> Select[Any]:
    """``audit_query`` without the pupil columns (for a log not filtered by pupil): the
    join to pupils was half the time of reading 600,000 events; the look-up
    (``LogSql.read_lookups``) holds the same values by the event's pupil id."""
    return _in_period(AUDIT_SQL.lean_select(audit_columns.AUDIT_FIELDS), which, seqs)
