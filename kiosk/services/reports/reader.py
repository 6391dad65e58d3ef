"""A log read from one snapshot: counted, then streamed as rows (or, for the CSV lines
made at once, as the cursor's own batches)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kiosk.clock import LocalClock
from kiosk.db import Database
from kiosk.services.reports import audit_log, custody_log
from kiosk.services.reports.audit_log import audit_query, audit_seqs, lean_audit_query
from kiosk.services.reports.custody_log import custody_query, lean_custody_query
from kiosk.services.reports.fields import Field, columns, read_lookups, row_shaper
from kiosk.services.reports.filter import (
    BATCH,
    LOG_TITLES,
    LogKind,
    LogTable,
    ReportFilter,
    as_is,
    formula_safe,
    pupil_filters,
)
from kiosk.tables import AuditEvent, Custody, Pupil


@contextmanager
def open_log(
    sessions: Database,
    kind: LogKind,
    which: ReportFilter,
    *,
    guard_formulas: bool = False,
) -> Iterator[LogTable]:
    """Count and stream one log from a single consistent snapshot. ``guard_formulas``
    makes text typed by people safe to open in a spreadsheet (see ``formula_safe``)."""
    with sessions.snapshot() as reader, reader() as session:
        log = LogReader(session, kind, which, guard_formulas=guard_formulas)
        with log.table() as table:
            yield table


class LogReader:
    """One log read from one session's snapshot: as a table of rows, or (on SQLite) as the
    cursor's own batches for a writer that shapes the rows itself."""

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
        self.seqs = audit_seqs(session, self.which) if kind == "audit" else (1, 0)

    @property
    def fields(self) -> tuple[Field, ...]:
        """The log's columns (read when asked, so that a test may change them)."""
        return custody_log.CUSTODY_FIELDS if self.kind == "custody" else audit_log.AUDIT_FIELDS

    @contextmanager
    def table(self) -> Iterator[LogTable]:
        connection = self.session.connection()
        raw = connection.dialect.name == "sqlite"
        lean = raw and self.lean()
        found = read_lookups(connection, self.fields, self._safe()) if lean else []
        total = self.count()
        if raw:  # bind parameters by SQLAlchemy, rows raw
            streamed = connection.execute(self._query(lean))
            source: Iterator[Any] = raw_rows(streamed.cursor)
        else:
            streamed = connection.execute(self._query(lean).execution_options(yield_per=BATCH))
            source = iter(streamed)
        try:
            rows = row_shaper(self.fields, lean)(source, LocalClock(), found)
            title, shown = LOG_TITLES[self.kind], columns(self.fields)
            yield LogTable(title, shown, total, rows)
        finally:
            streamed.close()

    def lean(self) -> bool:
        """Whether the pupils (and the custody log's slots and staff) are looked up by id
        rather than joined: for a log not filtered by pupil."""
        return self.which.year_group is None and not self.which.reg_group

    def count(self) -> int:
        return self.session.scalar(self._counting()) or 0

    @contextmanager
    def lean_batches(
        self, batch: int = BATCH
    ) -> Iterator[tuple[Iterator[list[Any]], list[dict[Any, Any]]] | None]:
        """For a writer that shapes the rows itself: the SQLite cursor's own rows of the
        lean query in batches, and the look-ups for them (``fields.read_lookups``); None
        unless the log is read from SQLite without a pupil filter (then only ``table``)."""
        connection = self.session.connection()
        if not (connection.dialect.name == "sqlite" and self.lean()):
            yield None
            return
        found = read_lookups(connection, self.fields, self._safe())
        streamed = connection.execute(self._query(lean=True))
        try:
            yield raw_batches(streamed.cursor, batch), found
        finally:
            streamed.close()

    def _safe(self) -> Any:
        return formula_safe if self.guard_formulas else as_is

    def _query(self, lean: bool) -> Select[Any]:
        safe, which = self._safe(), self.which
        if self.kind == "audit":
            return (lean_audit_query if lean else audit_query)(which, self.seqs, safe)
        return (lean_custody_query if lean else custody_query)(which, safe)

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
        return pupil_filters(query, which)


def forms(sessions: Database) -> list[str]:
    """Forms (registration groups) pupils are in, for filter choices."""
    with sessions() as session:
        query = select(Pupil.reg_group).where(Pupil.purged_at.is_(None)).distinct()
        return sorted(session.scalars(query), key=lambda form: (len(form), form))


def raw_rows(cursor: Any) -> Iterator[tuple[Any, ...]]:
    """The DBAPI cursor's own tuples: on SQLite a third of an export's time went on
    SQLAlchemy's Row objects and their type processing."""
    for batch in raw_batches(cursor, BATCH):
        yield from batch


def raw_batches(cursor: Any, size: int) -> Iterator[list[Any]]:
    while batch := cursor.fetchmany(size):
        yield batch
