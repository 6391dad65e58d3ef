"""Deadlines on every database wait, and giving up a connection that does not answer.

``Limits`` holds the waits: how long to connect, how long one statement or lock may take,
TCP keepalives and ``tcp_user_timeout`` (a dead network is noticed in seconds, not after
TCP's ~15 minutes), SQLite's busy timeout, and the deadline of one kiosk job.

Some hangs no server-side timeout can end: a paused (SIGSTOP) or frozen server still has
its kernel acknowledge every packet, so neither ``statement_timeout`` (the server is not
running to enforce it) nor keepalives fire. ``deadline(seconds)`` bounds those from the
client: when it passes, the connections the calling thread is waiting on are given up
(their socket is shut down, which ends the blocked call at once with a "connection lost"
error) and SQLAlchemy discards them from the pool. A hung SQLite lock is bounded by the
busy timeout instead (``sqlite3_interrupt`` does not end a busy wait).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """How long each kind of database wait may last (tests pass shorter ones)."""

    connect_s: int = 5  # libpq counts whole seconds (2 at the least)
    statement_s: float = 30.0
    lock_s: float = 10.0
    idle_in_transaction_s: float = 60.0
    keepalive_idle_s: int = 5
    keepalive_interval_s: int = 2
    keepalive_count: int = 3
    tcp_user_timeout_ms: int = 10_000
    sqlite_busy_ms: int = 10_000  # several kiosk processes queue for the write lock
    job_s: float = 5.0  # a kiosk job: the pupil is told plainly by then

    def postgres_connect_args(self) -> dict[str, Any]:
        """libpq's connection parameters (psycopg passes them through) and the server
        settings for each session, sent with the start-up packet (no extra round trip)."""
        settings = {
            "statement_timeout": int(self.statement_s * 1000),
            "lock_timeout": int(self.lock_s * 1000),
            "idle_in_transaction_session_timeout": int(self.idle_in_transaction_s * 1000),
        }
        return {
            "connect_timeout": max(2, int(self.connect_s)),
            "application_name": "handin-kiosk",
            "keepalives": 1,
            "keepalives_idle": self.keepalive_idle_s,
            "keepalives_interval": self.keepalive_interval_s,
            "keepalives_count": self.keepalive_count,
            "tcp_user_timeout": self.tcp_user_timeout_ms,
            "options": " ".join(f"-c {name}={value}" for name, value in settings.items()),
        }


DEFAULT_LIMITS = Limits()


class ConnectionWatch:
    """Which DBAPI connections of one engine exist and which thread holds each, so a
    deadline can give up the ones its thread is stuck on."""

    def __init__(self, engine: Engine) -> None:
        self._lock = threading.Lock()
        self._all: dict[int, Any] = {}  # id -> the open DBAPI connections
        self._holder: dict[int, int] = {}  # id(dbapi connection) -> thread ident
        event.listen(engine, "connect", self._on_connect)
        event.listen(engine.pool, "checkout", self._on_checkout)
        event.listen(engine.pool, "checkin", self._on_checkin)
        for gone in ("close", "close_detached", "invalidate"):
            event.listen(engine.pool, gone, self._on_gone)
        _watches.add(self)

    def _on_connect(self, dbapi_conn: Any, _record: Any) -> None:
        with self._lock:
            self._all[id(dbapi_conn)] = dbapi_conn

    def _on_gone(self, dbapi_conn: Any, *_args: Any) -> None:
        with self._lock:
            self._all.pop(id(dbapi_conn), None)
            self._holder.pop(id(dbapi_conn), None)

    def _on_checkout(self, dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        with self._lock:
            self._holder[id(dbapi_conn)] = threading.get_ident()

    def _on_checkin(self, dbapi_conn: Any, _record: Any) -> None:
        with self._lock:
            self._holder.pop(id(dbapi_conn), None)

    def abandon(self, thread: int) -> int:
        """Give up the connections ``thread`` holds, and those in the middle of a call
        that no other thread holds (a pool's "are you there?" ping happens before the
        connection counts as held). Returns how many were given up."""
        with self._lock:
            stuck = [
                conn
                for conn in self._all.values()
                if self._holder.get(id(conn), thread) == thread and _mid_call(conn)
            ]
        for conn in stuck:
            _cut(conn)
        return len(stuck)


_watches: weakref.WeakSet[ConnectionWatch] = weakref.WeakSet()


def _mid_call(conn: Any) -> bool:
    pgconn = getattr(conn, "pgconn", None)
    if pgconn is None:  # SQLite: interrupting an idle connection does nothing
        return True
    try:
        return int(pgconn.transaction_status) == 1  # PQTRANS_ACTIVE: a command running
    except Exception:  # closed meanwhile
        return False


def _cut(conn: Any) -> None:
    """End the blocked call on ``conn`` from another thread: PostgreSQL's socket is shut
    down (the blocked read returns at once; the connection is then lost and discarded);
    SQLite's running statement is interrupted."""
    pgconn = getattr(conn, "pgconn", None)
    try:
        if pgconn is None:
            conn.interrupt()
            return
        fd = pgconn.socket
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except Exception as error:  # already closed: nothing left to end
        log.info("Giving up a connection: %s", type(error).__name__)


class Deadline:
    """A running ``deadline``: ``passed`` once it fired."""

    def __init__(self) -> None:
        self.passed = False


def abandon_thread(thread: int) -> int:
    """Give up what ``thread`` is waiting on, on every engine (see ``ConnectionWatch``)."""
    return sum(watch.abandon(thread) for watch in list(_watches))


class _Watchdog:
    """One thread for every running ``deadline`` of the process, started at the first: a
    thread of its own for each (a ``threading.Timer``) cost 135 us of CPU to start, at
    every scan."""

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._running: dict[int, tuple[float, int, Deadline, float]] = {}  # by id(state)
        self._thread: threading.Thread | None = None

    def start(self, seconds: float, thread: int, state: Deadline) -> None:
        with self._wake:
            self._running[id(state)] = (time.monotonic() + seconds, thread, state, seconds)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="db-deadlines", daemon=True)
                self._thread.start()
            self._wake.notify()

    def stop(self, state: Deadline) -> None:
        with self._wake:
            self._running.pop(id(state), None)

    def _run(self) -> None:
        while True:
            for thread, state, seconds in self._passed():
                try:
                    _give_up(thread, state, seconds)
                except Exception:  # this thread must outlive it: every deadline needs it
                    log.exception("Giving up a database call at its deadline failed")

    def _passed(self) -> list[tuple[int, Deadline, float]]:
        """Wait until deadlines pass; those that did, taken off the list."""
        with self._wake:
            while True:
                now = time.monotonic()
                passed = [key for key, (due, *_) in self._running.items() if due <= now]
                if passed:
                    return [self._running.pop(key)[1:] for key in passed]
                due = min((due for due, *_ in self._running.values()), default=None)
                self._wake.wait(None if due is None else due - now)


_watchdog = _Watchdog()


def _give_up(thread: int, state: Deadline, seconds: float) -> None:
    state.passed = True
    cut = abandon_thread(thread)
    log.warning(
        "A database call passed its %.1f s deadline; %d connection(s) given up", seconds, cut
    )


@contextmanager
def deadline(seconds: float | None) -> Iterator[Deadline]:
    """Bound the database calls made by this thread inside the block: after ``seconds``
    the connections it waits on are given up, and the blocked call raises (as
    DatabaseUnavailable, once ``kiosk.db`` has translated it). None: no deadline."""
    state = Deadline()
    if seconds is None:
        yield state
        return
    _watchdog.start(seconds, threading.get_ident(), state)
    try:
        yield state
    finally:
        _watchdog.stop(state)
