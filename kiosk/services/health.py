"""The kiosk's health at a glance, for the staff dashboard: can the records be reached,
when was something last saved, is the camera giving pictures, when was the USB scanner
last heard, and how old is the newest backup.

``DEVICES`` is this process's record of its devices (the screens write it as things
happen; it holds no pupil data). ``check`` reads the rest, bounded by the kiosk's
deadline, and never raises: a database that cannot be reached is itself the answer.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass

from sqlalchemy import func, select

from kiosk.clock import utcnow
from kiosk.config import Config
from kiosk.db import Database
from kiosk.db_limits import deadline
from kiosk.errors import DatabaseUnavailable
from kiosk.services.backup import database_file, list_backups
from kiosk.tables import AuditEvent


class DeviceStatus:
    """What this kiosk's camera and scanner last did (thread-safe, monotonic times)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.camera = "none"  # "none" (not configured), "working", "lost"
        self.scanner_seen: float | None = None

    def camera_is(self, state: str) -> None:
        with self._lock:
            self.camera = state

    def scanner_heard(self) -> None:
        with self._lock:
            self.scanner_seen = time.monotonic()


DEVICES = DeviceStatus()


@dataclass(frozen=True)
class Health:
    database: str  # "reachable", or why not
    last_write: dt.datetime | None  # the newest event in the log (any kiosk), UTC naive
    camera: str
    scanner_seen_s: float | None  # seconds ago
    backup_age: dt.timedelta | None  # None: no backup (or PostgreSQL: the server's own)

    def words(self) -> str:
        """One line for the dashboard."""
        parts = [f"Records: {self.database}"]
        if self.last_write is not None:
            parts.append(f"last saved {_ago(utcnow().replace(tzinfo=None) - self.last_write)}")
        parts.append(f"camera: {self.camera}")
        seen = self.scanner_seen_s
        parts.append(
            "scanner: not used yet"
            if seen is None
            else f"scanner: used {_ago(dt.timedelta(seconds=seen))}"
        )
        if self.backup_age is not None:
            parts.append(f"backup: {_ago(self.backup_age)}")
        return " · ".join(parts)


def _ago(span: dt.timedelta) -> str:
    seconds = max(0, int(span.total_seconds()))
    if seconds < 90:
        return f"{seconds} s ago"
    if seconds < 90 * 60:
        return f"{seconds // 60} min ago"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def check(sessions: Database, config: Config) -> Health:
    database, last_write = "reachable", None
    try:
        with deadline(sessions.limits.job_s), sessions() as session:
            last_write = session.scalar(select(func.max(AuditEvent.at)))
    except DatabaseUnavailable as error:
        database = "cannot be reached" if not error.at_commit else "unknown"
    backup_age = None
    if database_file(config) is not None:
        newest = next(iter(list_backups(config.backup_dir)), None)
        if newest is not None:
            backup_age = dt.datetime.now() - newest.made_at  # both school-local, naive
    seen = DEVICES.scanner_seen
    return Health(
        database=database,
        last_write=last_write,
        camera=DEVICES.camera,
        scanner_seen_s=None if seen is None else time.monotonic() - seen,
        backup_age=backup_age,
    )
