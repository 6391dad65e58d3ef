"""The database handle: engine, sessions, and reading a consistent snapshot.

``Database`` is what services take: ``begin()`` for an ORM session in a writing
transaction, ``db()`` (or ``read()``) for a session that only reads, ``transaction()``/
``connect()`` for the hot paths that write on a Core connection, and ``snapshot()`` for a
long read-only job. On SQLite only the writing ones take the write lock (BEGIN IMMEDIATE).
Errors that mean the records cannot be reached (locked, read-only, disk, connection lost)
leave it as ``DatabaseUnavailable``. Schema upgrades are in ``kiosk.migrate``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn

from sqlalchemy import Connection, Engine, RootTransaction, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    InternalError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from kiosk import sqlite_guard
from kiosk.db_limits import DEFAULT_LIMITS, ConnectionWatch, Limits
from kiosk.errors import DatabaseUnavailable, RecordsCannotBeSaved

# Bytes of an SQLite file a long read maps into memory: its pages are read in place rather
# than copied in by a system call each (a tenth of the CPU of reading a year's log).
READ_MAPPED = 1 << 30
READING = "kiosk_reading"  # execution option: this connection's transactions only read


def _sqlite_pragmas(dbapi_conn: Any, *pragmas: str) -> None:
    # Let SQLAlchemy, not the driver, decide when transactions begin (see the "begin" hooks).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    for pragma in pragmas:
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


def _configure_sqlite(
    engine: Engine, *, read_only: bool = False, limits: Limits = DEFAULT_LIMITS
) -> None:
    pragmas = (f"busy_timeout={limits.sqlite_busy_ms}",) + (
        ("query_only=ON", f"mmap_size={READ_MAPPED}")
        if read_only
        else ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON")
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        _sqlite_pragmas(dbapi_conn, *pragmas)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writing transaction takes the write lock up front: two kiosks or threads on one
        # file then queue instead of failing with "database is locked" half-way through,
        # and the audit chain's "read last hash, append" is serialised. A reading one (the
        # READING option, or a read-only engine) begins deferred: in WAL mode it sees one
        # snapshot and neither waits for the writer nor holds it up.
        reading = read_only or conn.get_execution_options().get(READING, False)
        conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def make_engine(url: str, *, limits: Limits = DEFAULT_LIMITS, **kwargs: Any) -> Engine:
    """An engine whose every wait is bounded by ``limits`` (see ``kiosk.db_limits``)."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        busy = {"timeout": limits.sqlite_busy_ms / 1000}
        engine = create_engine(url, connect_args=busy, **kwargs)
        _guard_sqlite(engine)  # first: its checks run before the BEGIN is sent
        _configure_sqlite(engine, limits=limits)
    else:
        # READ COMMITTED (stated, not left to the server's default): each statement sees
        # what other kiosks committed before it, which the audit chain and slot choice rely
        # on once they hold their advisory lock (see kiosk.services.audit).
        options: dict[str, Any] = {
            "pool_pre_ping": True,
            "isolation_level": "READ COMMITTED",
            "connect_args": limits.postgres_connect_args(),
        }
        engine = create_engine(url, **{**options, **kwargs})
    ConnectionWatch(engine)
    return engine


def _sqlite_file(engine: Engine) -> Path | None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _guard_sqlite(engine: Engine) -> None:
    """See ``kiosk.sqlite_guard``: a disk that turns read-only or a damaged WAL index."""
    file = _sqlite_file(engine)
    if file is not None:
        sqlite_guard.guard(engine, file)
    sqlite_guard.discard_on_write_errors(engine, file)


# SQLite's words for a file it cannot use right now (the rest of its OperationalErrors,
# such as "no such table", are faults in the kiosk, not in its surroundings).
_SQLITE_UNAVAILABLE = (
    "locked",
    "busy",
    "interrupted",
    "unable to open",
    "readonly",
    "read-only",
    "disk",
    "full",
    "not a database",
    "malformed",
)
_PG_READ_ONLY = "25006"  # read_only_sql_transaction
_PG_RETRY_CLASS = "40"  # serialization failure, deadlock: the caller's to retry


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the records cannot be reached or written just now."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, InterfaceError):
        return True
    words = str(error.orig).lower()
    code = str(getattr(error.orig, "sqlstate", "") or "")
    if "sqlite" in type(error.orig).__module__:
        faults = (IntegrityError, ProgrammingError)  # the kiosk's own, whatever their words
        return not isinstance(error, faults) and any(w in words for w in _SQLITE_UNAVAILABLE)
    if isinstance(error, InternalError):
        return code == _PG_READ_ONLY
    return isinstance(error, OperationalError) and not code.startswith(_PG_RETRY_CLASS)


# Words and codes that mean the records can be read but not saved.
_CANNOT_SAVE_WORDS = ("readonly", "read-only", "disk i/o", "full", "attempt to write")
_PG_CANNOT_SAVE = (_PG_READ_ONLY, "53100", "53200")  # read-only; disk full; out of memory


def unavailable(error: DBAPIError) -> DatabaseUnavailable:
    """The named error for ``error``; ``detail`` names the kind for the log (no values).
    A file or server that cannot be written reads "cannot be saved", not "cannot reach"."""
    first_line = (str(error.orig).splitlines() or [""])[0]
    code = str(getattr(error.orig, "sqlstate", "") or "")
    words = first_line.lower()
    sqlite = "sqlite" in type(error.orig).__module__
    cannot_save = code in _PG_CANNOT_SAVE or (
        sqlite and any(w in words for w in _CANNOT_SAVE_WORDS)
    )
    named = RecordsCannotBeSaved() if cannot_save else DatabaseUnavailable()
    named.detail = f"{type(error).__name__} ({type(error.orig).__name__}: {first_line})"
    return named


def _reraise(error: DBAPIError) -> NoReturn:
    """Raise ``error`` again, as DatabaseUnavailable (chained) if it means "records
    unreachable"."""
    if is_unavailable(error):
        raise unavailable(error) from error
    raise error


@contextmanager
def translated() -> Iterator[None]:
    """Errors that mean "records unreachable" leave as DatabaseUnavailable (chained)."""
    try:
        yield
    except DBAPIError as error:
        _reraise(error)


def _commit(work: RootTransaction) -> None:
    """COMMIT; an unreachable-records failure of the COMMIT itself is marked ``at_commit``."""
    try:
        work.commit()
    except DBAPIError as error:
        if not is_unavailable(error):
            raise
        named = unavailable(error)
        named.at_commit = True
        raise named from error


class _Session(Session):
    """A session whose ``with`` block reports unreachable records as DatabaseUnavailable."""

    def __exit__(
        self,
        type_: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        super().__exit__(type_, value, traceback)
        if isinstance(value, DBAPIError) and is_unavailable(value):
            raise unavailable(value) from value


class _ReadingSession(_Session):
    """A reading session on a connection of its own, closed with the session."""

    def close(self) -> None:
        bind = self.bind
        super().close()
        if isinstance(bind, Connection):
            bind.close()


class Database:
    """One database: its engine and sessions. Takes the place of a ``sessionmaker``:
    ``with db.begin() as session`` and ``with db() as session`` work as they do there."""

    def __init__(
        self,
        engine: Engine,
        *,
        owns_engine: bool = True,
        is_snapshot: bool = False,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.engine, self.limits = engine, limits
        self.sessions = sessionmaker(engine, class_=_Session, expire_on_commit=False)
        self._owns_engine, self.is_snapshot = owns_engine, is_snapshot

    @property
    def dialect(self) -> str:
        """The dialect's name: "sqlite" or "postgresql"."""
        return self.engine.dialect.name

    @property
    def file(self) -> Path | None:
        """The SQLite file, or None (PostgreSQL, an in-memory or URI-named database)."""
        database = self.engine.url.database
        if self.dialect != "sqlite" or not database or database == ":memory:":
            return None
        return None if database.startswith("file:") else Path(database)

    def __call__(self) -> Session:
        """A session for reading (``with db() as session``): its transaction is deferred,
        so it never takes the write lock. Anything it writes is rolled back at the end
        unless committed; writes belong in ``begin()``."""
        with translated():
            # On a connection marked READING, of this very engine: what is kept per engine
            # (the school's keys, the record's signer) is found the same way as for writes.
            conn = self.engine.connect().execution_options(**{READING: True})
        return _ReadingSession(bind=conn, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """``db()`` by its name: a session that only reads, rolled back at the end."""
        with translated(), self() as session:
            yield session

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A session in a writing transaction (on SQLite, BEGIN IMMEDIATE): committed at
        the end of the block, or rolled back."""
        with translated(), self.sessions.begin() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A Core connection in a transaction (the hot paths: a hand-in's few statements
        cost less without an ORM session's bookkeeping). A failure of the COMMIT itself
        is marked ``at_commit``: only then may the work have been saved after all."""
        # One try, not nested context managers: every scan runs this.
        try:
            with self.engine.connect() as conn, conn.begin() as work:
                yield conn
                _commit(work)
        except DBAPIError as error:
            _reraise(error)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A Core connection; the caller commits (or it rolls back at the end)."""
        with translated(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def snapshot(self) -> Iterator[Database]:
        """A handle for a long read-only job (an export, a summary, a verification) that
        sees one consistent snapshot and never holds up the kiosk's writes."""
        if self.is_snapshot:
            yield self
        elif self.file is not None:
            busy = {"timeout": self.limits.sqlite_busy_ms / 1000}
            reader = create_engine(self.engine.url, poolclass=NullPool, connect_args=busy)
            _guard_sqlite(reader)
            _configure_sqlite(reader, read_only=True, limits=self.limits)
            ConnectionWatch(reader)
            try:
                yield Database(reader, is_snapshot=True, limits=self.limits)
            finally:
                reader.dispose()
        elif self.dialect == "postgresql":
            repeatable = self.engine.execution_options(isolation_level="REPEATABLE READ")
            yield Database(repeatable, owns_engine=False, is_snapshot=True, limits=self.limits)
        else:
            yield self

    def dispose(self) -> None:
        if self._owns_engine:
            self.engine.dispose()


def open_database(url: str, *, migrate: bool = True, limits: Limits = DEFAULT_LIMITS) -> Database:
    """The database at ``url``, its schema upgraded first unless ``migrate`` is False."""
    engine = make_engine(url, limits=limits)
    if migrate:
        from kiosk.migrate import upgrade

        with translated():
            upgrade(engine)
    return Database(engine, limits=limits)


@contextmanager
def opened(
    url: str, *, migrate: bool = False, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Database]:
    """``open_database`` for one job, its connections closed at the end."""
    database = open_database(url, migrate=migrate, limits=limits)
    try:
        yield database
    finally:
        database.dispose()
