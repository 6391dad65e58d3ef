"""Keeping an SQLite kiosk alive when its disk misbehaves.

In WAL mode every connection maps the ``-shm`` file (the WAL index) into memory. When that
file stops being writable under a live mapping (the immutable flag, the kernel remounting
the disk read-only after an I/O error) or is cut short, the next write to the mapping is
answered by the kernel with SIGBUS, which kills the process, with no error screen. Even
closing such a connection writes to it. SQLite's exclusive locking mode keeps the index
in heap memory instead, but then no other connection can use the file: not a second
kiosk process, not the command line, not the kiosk's own background readers
(benchmarks/faults.py measures both). So the kiosk keeps WAL with shared memory and guards
it instead:

- before a connection is opened or begins a transaction, the ``-shm`` file is checked by
  path (statvfs and statx, microseconds): on a read-only disk or with the immutable flag,
  ``RecordsCannotBeSaved`` is raised and SQLite is not touched;
- a connection is never closed while its ``-shm`` file is unusable: it waits, unused, in
  ``QUARANTINE`` until the file is usable again.

The check narrows the window to the length of one transaction (milliseconds); it cannot
close it, and a ``-shm`` file cut short by someone with the kiosk's own rights is not
caught (its size cannot be told from one being made). Errors that say the file cannot be
written ("readonly", "disk I/O error") make the pool discard its connections, so the kiosk
recovers by itself once the disk does.

On Windows the checks are skipped (no statvfs, statx or immutable flag there, and SQLite's
WAL index is a Windows file mapping); the rest (errors that discard the pool's connections,
the start's write check) is the same. Nothing here has been run on Windows yet.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import struct
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from kiosk.errors import RecordsCannotBeSaved
from kiosk.storage import POSIX

log = logging.getLogger(__name__)

AT_FDCWD = -100
STATX_SIZE = 256
STATX_ATTR_IMMUTABLE = 0x10  # Linux: the file's immutable flag (chattr +i)
# Words of SQLite errors that mean "this connection cannot write the file just now".
CANNOT_WRITE = ("readonly", "read-only", "disk i/o", "attempt to write")

_quarantine_lock = threading.Lock()
QUARANTINE: list[Any] = []  # connections waiting for their -shm file to be usable again


def shm_problem(database: Path) -> str | None:
    """Why ``database``'s WAL index cannot be used safely now, or None. Looked at by path
    only: opening the file and closing it again would drop every POSIX lock this process
    holds on it, SQLite's own included (fcntl locks belong to the process, not the fd)."""
    if not POSIX:
        return None  # see the module's notes: the checks are POSIX (and Linux) calls
    shm = f"{database}-shm"
    try:
        if os.statvfs(shm).f_flag & os.ST_RDONLY:
            return "the disk is mounted read-only"
    except FileNotFoundError:
        return None  # made afresh when the first connection opens the file
    except OSError as error:
        return f"cannot look at the -shm file ({errno.errorcode.get(error.errno or 0, 'error')})"
    return "the -shm file is immutable" if _attributes(shm) & STATX_ATTR_IMMUTABLE else None


def _attributes(path: str) -> int:
    """The file's attribute flags from statx(2) (0 where statx is not available)."""
    if _statx is None:
        return 0
    buffer = ctypes.create_string_buffer(STATX_SIZE)
    if _statx(AT_FDCWD, os.fsencode(path), 0, 0, buffer) != 0:
        return 0
    attributes: int = struct.unpack_from("Q", buffer, 8)[0]  # stx_attributes
    return attributes


def _load_statx() -> Any:
    if not POSIX:
        return None  # Windows: CDLL(None), the process's own symbols, is POSIX only
    try:
        function = ctypes.CDLL(None, use_errno=True).statx
    except (AttributeError, OSError):
        return None
    function.argtypes = (
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_char_p,
    )
    function.restype = ctypes.c_int
    return function


_statx = _load_statx()


def _refuse_if_unsafe(database: Path) -> None:
    problem = shm_problem(database)
    if problem is not None:
        refused = RecordsCannotBeSaved()
        refused.detail = f"SQLite WAL index unusable: {problem}"
        raise refused


def guard(engine: Engine, database: Path) -> None:
    """Check ``database``'s WAL index before every connect and transaction on ``engine``,
    and never close a connection while it is unusable."""

    @event.listens_for(engine, "connect", insert=True)
    def _before_connect(_dbapi_conn: Any, _record: Any) -> None:
        _refuse_if_unsafe(database)

    @event.listens_for(engine, "begin", insert=True)
    def _before_begin(_conn: Any) -> None:
        _refuse_if_unsafe(database)

    dialect: Any = engine.dialect
    close = dialect.do_close

    def guarded_close(dbapi_conn: Any) -> None:
        release_quarantined(database, close)
        if shm_problem(database) is None:
            close(dbapi_conn)
            return
        with _quarantine_lock:
            QUARANTINE.append(dbapi_conn)
        log.warning("A database connection is kept unclosed until its disk is usable again")

    dialect.do_close = guarded_close  # this engine's dialect only


def release_quarantined(database: Path, close: Any) -> None:
    """Close the connections kept back, once their file is usable again."""
    if not QUARANTINE or shm_problem(database) is not None:
        return
    with _quarantine_lock:
        kept = QUARANTINE[:]
        QUARANTINE.clear()
    for conn in kept:
        close(conn)


def cannot_write(error: BaseException) -> bool:
    """An SQLite error that means the file cannot be written through this connection."""
    words = str(error).lower()
    return "sqlite" in type(error).__module__ and any(w in words for w in CANNOT_WRITE)


def discard_on_write_errors(engine: Engine, database: Path | None) -> None:
    """Treat "readonly" and "disk I/O" errors as a lost connection: SQLAlchemy then
    discards the pool's connections, so new ones are opened once the disk is writable
    (a connection that once saw the file read-only keeps seeing it so). Not while the
    WAL index is unusable: closing would write to it."""

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        if not cannot_write(context.original_exception):
            return
        if database is None or shm_problem(database) is None:
            context.is_disconnect = True


def folder_problem(folder: Path) -> str | None:
    """Why the kiosk could not save anything in ``folder`` (checked at start), or None.
    A real write, not ``os.access``: root passes that check on a read-only disk."""
    probe = folder / f".write-check-{os.getpid()}"
    try:
        with probe.open("wb") as fh:
            fh.write(b"ok")
            fh.flush()
            os.fsync(fh.fileno())
        probe.unlink()
    except OSError as error:
        return f"{folder} cannot be written ({error.strerror or 'error'})"
    return None
