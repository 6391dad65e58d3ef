"""A log read from one snapshot: counted, then streamed as rows (or, for the CSV lines
made at once, as the cursor's own batches)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kiosk.clock import LocalClock, stored_time
from kiosk.db import Database
from kiosk.services.reports import audit_columns, audit_log, custody_columns, custody_log
from kiosk.services.reports.audit_log import audit_query, audit_seqs, lean_audit_query
from kiosk.services.reports.custody_log import custody_query, lean_custody_query
from kiosk.services.reports.fields import Field, columns, row_shaper
from kiosk.services.reports.filter import (
    BATCH,
    LOG_TITLES,
    LogKind,
    LogTable,
    ReportFilter,
    pupil_filters,
    raw_time,
)
from kiosk.services.reports.log_sql import LogSql
from kiosk.tables import AuditEvent, Custody, Pupil


@contextmanager
def open_log(
    sessions: Database,
    kind: LogKind,
    which: ReportFilter,
) -> Iterator[LogTable]:
    """Count and stream one log from a single consistent snapshot."""
    with sessions.snapshot() as reader, reader() as session:
        log = LogReader(session, kind, which)
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
        bounds: tuple[Any, Any] | None = None,
    ) -> None:
        self.session, self.kind, self.which = session, kind, which.checked()
        # the log's rows in its own order: audit events by seq (first, last); custody
        # records by the stored time they were received [from, until)
        self.bounds: tuple[Any, Any] = bounds or (
            audit_seqs(session, self.which)
            if kind == "audit"
            else (self.which.starts, self.which.ends)
        )

    @property
    def fields(self) -> tuple[Field, ...]:
        """The log's columns (read when asked, so that a test may change them)."""
        if self.kind == "custody":
            return custody_columns.CUSTODY_FIELDS
        return audit_columns.AUDIT_FIELDS

    @property
    def sql(self) -> LogSql:
        """Where the log's columns are read from (read when asked, as ``fields``)."""
        return custody_log.CUSTODY_SQL if self.kind == "custody" else audit_log.AUDIT_SQL

    @contextmanager
    def table(self) -> Iterator[LogTable]:
        connection = self.session.connection()
        raw = connection.dialect.name == "sqlite"
        lean = self.streams_lean()
        found = self.sql.read_lookups(connection, self.fields) if lean else []
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

    def streams_lean(self) -> bool:
        """Whether ``lean_batches`` gives the cursor's own rows: read lean, from SQLite."""
        return self.session.connection().dialect.name == "sqlite" and self.lean()

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
        lean query in batches, and the look-ups for them (``LogSql.read_lookups``); None
        unless the log is read from SQLite without a pupil filter (then only ``table``)."""
        if not self.streams_lean():
            yield None
            return
        connection = self.session.connection()
        found = self.sql.read_lookups(connection, self.fields)
        streamed = connection.execute(self._query(lean=True))
        try:
            yield raw_batches(streamed.cursor, batch), found
        finally:
            streamed.close()

    @cached_property  # (one snapshot: it cannot change)
    def rough_count(self) -> int:
        """At least the log's row count, found without reading its rows (a tenth of the
        time of ``count``): the span of its seqs, or the custody records received within
        its bounds before any filter."""
        first, last = self.bounds
        if self.kind == "audit":
            return max(int(last) - int(first) + 1, 0)
        received = (Custody.received_at >= first, Custody.received_at < last)
        counted = self.session.scalar(select(func.count()).select_from(Custody).where(*received))
        return counted or 0

    def halves(self, later_share: float) -> tuple[LogReader, LogReader] | None:
        """The log as two parts in its own order, the later holding about ``later_share``
        of its rows (by seq for the audit log, by received time for the custody log); None
        if it cannot be cut."""
        first, last = self.bounds
        if self.kind == "audit":
            cut = last + 1 - int((last - first + 1) * later_share)
            if not first < cut <= last:
                return None
            return self._part((first, cut - 1)), self._part((cut, last))
        rows = self.rough_count
        if not rows:
            return None
        cut_text = self.session.scalar(
            select(raw_time(Custody.received_at))
            .where(Custody.received_at >= first, Custody.received_at < last)
            .order_by(Custody.received_at)
            .offset(rows - int(rows * later_share))
            .limit(1)
        )
        if cut_text is None:
            return None
        cut = stored_time(cut_text)
        if not first < cut < last:
            return None
        return self._part((first, cut)), self._part((cut, last))

    def _part(self, bounds: tuple[Any, Any]) -> LogReader:
        return LogReader(self.session, self.kind, self.which, bounds=bounds)

    def newest_event(self) -> int:
        """The newest audit event's seq in this snapshot (0 for none): every change to what
        a log shows is a service action, committed with its audit event."""
        return self.session.scalar(_NEWEST_EVENT) or 0

    def lean_sql(self) -> dict[str, Any]:
        """What ``lean_batches`` reads, as SQL text with the values written in, for a
        process reading the SQLite file with the sqlite3 module alone: "rows", the lean
        query; "lookups", each look-up's query (``fields.lookups``' order); "newest", the
        query of ``newest_event``."""
        dialect = self.session.connection().dialect
        lookups = self.sql.lookup_selects(self.fields)
        texts = [
            str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
            for query in [self._query(lean=True), _NEWEST_EVENT, *lookups]
        ]
        return {"rows": texts[0], "newest": texts[1], "lookups": texts[2:]}

    def _query(self, lean: bool) -> Select[Any]:
        which = self.which
        if self.kind == "audit":
            return (lean_audit_query if lean else audit_query)(which, self.bounds)
        return (lean_custody_query if lean else custody_query)(which, self.bounds)

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
            query = query.where(AuditEvent.seq.between(*self.bounds))
            query = query.where(AuditEvent.at >= which.starts, AuditEvent.at < which.ends)
        else:
            starts, ends = self.bounds
            query = (
                select(func.count())
                .select_from(Custody)
                .join(Pupil, Pupil.id == Custody.pupil_id)
                .where(Custody.received_at >= starts, Custody.received_at < ends)
            )
        return pupil_filters(query, which)


def forms(sessions: Database) -> list[str]:
    """Forms (registration groups) pupils are in, for filter choices."""
    with sessions() as session:
        query = select(Pupil.reg_group).where(Pupil.purged_at.is_(None)).distinct()
        return sorted(session.scalars(query), key=lambda form: (len(form), form))


_NEWEST_EVENT = select(func.max(AuditEvent.seq))


def raw_rows(cursor: Any) -> Iterator[tuple[Any, ...]]:
    """The DBAPI cursor's own tuples: on SQLite a third of an export's time went on
    SQLAlchemy's Row objects and their type processing."""
    for batch in raw_batches(cursor, BATCH):
        yield from batch


def raw_batches(cursor: Any, size: int) -> Iterator[list[Any]]:
    while batch := cursor.fetchmany(size):
        yield batch
