"""A log read from one snapshot: counted, then streamed as rows (or, for the audit log's
fast CSV lines, as the cursor's own batches)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kiosk.clock import LocalClock
from kiosk.db import Sessions
from kiosk.services.reports.audit_log import (
    AUDIT_COLUMNS,
    PupilFields,
    audit_query,
    audit_rows,
    audit_seqs,
    lean_audit_query,
    lean_audit_rows,
    pupils_of,
)
from kiosk.services.reports.custody_log import (
    CUSTODY_COLUMNS,
    CustodyLookups,
    custody_query,
    custody_rows,
    joined_custody_rows,
    lean_custody_query,
)
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

# False reads the logs' pupils (and the custody log's slots and staff) through joins,
# always: the reference that tests compare the lookups with.
PUPILS_BY_LOOKUP = True


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
    with sessions.snapshot() as reader, reader() as session:
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
        self.seqs = audit_seqs(session, self.which) if kind == "audit" else (1, 0)

    @contextmanager
    def table(self) -> Iterator[LogTable]:
        session, which = self.session, self.which
        safe = formula_safe if self.guard_formulas else as_is
        connection = session.connection()
        raw = connection.dialect.name == "sqlite"
        shape: Callable[[Iterator[Any], LocalClock], Iterator[tuple[Any, ...]]]
        lean = self._lean()
        if self.kind == "audit" and raw and lean:
            query, columns = lean_audit_query(which, self.seqs, safe), AUDIT_COLUMNS
            pupils = pupils_of(session, safe)
            shape = partial(lean_audit_rows, pupils=pupils)
        elif self.kind == "audit":
            query = audit_query(which, self.seqs, safe)
            columns, shape = AUDIT_COLUMNS, audit_rows
        elif raw and lean:
            query, columns = lean_custody_query(which, safe), CUSTODY_COLUMNS
            lookups = CustodyLookups.read(session, safe)

            def shape(rows: Iterator[Any], clock: LocalClock) -> Iterator[tuple[Any, ...]]:
                return custody_rows(joined_custody_rows(rows, lookups), clock)
        else:
            query, columns, shape = custody_query(which, safe), CUSTODY_COLUMNS, custody_rows
        total = self.count()
        if raw:  # bind parameters by SQLAlchemy, rows raw
            streamed = connection.execute(query)
            source: Iterator[Any] = raw_rows(streamed.cursor)
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
        pupils = pupils_of(self.session, safe)
        streamed = connection.execute(lean_audit_query(self.which, self.seqs, safe))
        try:
            yield raw_batches(streamed.cursor, batch), pupils
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
        return pupil_filters(query, which)


def forms(sessions: Sessions) -> list[str]:
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
