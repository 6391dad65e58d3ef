"""Backups of the SQLite database, and restoring one.

A backup is made with SQLite's online backup API, so it is a consistent copy even while the
kiosk is writing. Files go to ``<data dir>/backups`` as ``kiosk-YYYYMMDD-HHMMSS-<kind>.db``
(school-local time; kind ``auto``, ``manual`` or ``pre-restore``), readable by the owner only.

Rotation deletes only automatic backups, keeping daily, weekly and monthly generations
(``kiosk.services.backup_rotation``: 14 / 8 / 12 by default, school settings); a backup a
person made and a pre-restore copy are never deleted automatically. It never deletes a
backup holding audit events the current database lacks either (after a restore went back
in time, the only copies of what was set aside: a police hand-over must not vanish from
every file by restoring an old backup a few times). Other files in the folder are never
touched. A backup that fails part-way (a full disk) is removed, never left truncated among
the backups, and a partial file left by a crash is removed by the next rotation.

Restoring is in ``kiosk.services.restore``.

PostgreSQL databases are backed up with ``pg_dump`` by the server's administrator: these
functions say so instead of doing anything.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from kiosk.clock import to_local, utcnow
from kiosk.config import Config, sqlite_file
from kiosk.db import opened
from kiosk.errors import KioskError
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import KIOSK_ACTOR, Actor
from kiosk.services.backup_rotation import Generations, backups_to_keep, generations
from kiosk.services.common import require
from kiosk.services.untrusted import open_untrusted
from kiosk.storage import make_private

NAME = re.compile(r"^kiosk-(\d{8})-(\d{6})(?:-\d+)?-(auto|manual|pre-restore)\.db$")
COMMAND_LINE = Actor(None, "command line")
POSTGRES_BACKUPS = (
    "This kiosk keeps its records in PostgreSQL: back it up on the database server with "
    "pg_dump (and restore with pg_restore); the kiosk's own backups are for SQLite files."
)


class BackupFailed(KioskError):
    default_message = "The backup could not be made."


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    made_at: dt.datetime  # school-local, naive
    kind: str
    size: int


# -- where things are ----------------------------------------------------------------------


def database_file(config: Config) -> Path | None:
    """The SQLite file behind ``config``, or None for PostgreSQL (or an in-memory database)."""
    return sqlite_file(config.database_url)


def require_sqlite(config: Config, failure: type[KioskError]) -> Path:
    path = database_file(config)
    if path is None:
        raise failure(POSTGRES_BACKUPS)
    return path


def list_backups(backup_dir: Path) -> list[BackupInfo]:
    """Backups in ``backup_dir``, newest first (files not named like ours are left out)."""
    found = []
    for path in backup_dir.glob("kiosk-*.db") if backup_dir.is_dir() else []:
        match = NAME.match(path.name)
        if not match:
            continue
        made = dt.datetime.strptime(match[1] + match[2], "%Y%m%d%H%M%S")
        found.append(BackupInfo(path, made, match[3], path.stat().st_size))
    return sorted(found, key=lambda b: (b.made_at, b.path.name), reverse=True)


# -- making backups ------------------------------------------------------------------------


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy of ``source`` at ``target`` through the online backup API, as one
    self-contained file (rollback journal, not WAL)."""
    with (
        closing(sqlite3.connect(source, timeout=30)) as src,
        closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
        dst.commit()


def _new_name(backup_dir: Path, kind: str, now: dt.datetime) -> Path:
    stamp = to_local(now).strftime("%Y%m%d-%H%M%S")
    path, n = backup_dir / f"kiosk-{stamp}-{kind}.db", 1
    while path.exists():
        n += 1
        path = backup_dir / f"kiosk-{stamp}-{n}-{kind}.db"
    return path


def _backup_file(
    source: Path, backup_dir: Path, kind: str, now: dt.datetime | None = None
) -> BackupInfo:
    try:
        backup_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupFailed(f"The backup folder {backup_dir} cannot be made: {exc}.") from exc
    target = _new_name(backup_dir, kind, now or utcnow())
    _write_whole(target, lambda partial: _copy_database(source, partial))
    match = NAME.match(target.name)
    assert match is not None
    made = dt.datetime.strptime(match[1] + match[2], "%Y%m%d%H%M%S")
    return BackupInfo(target, made, kind, target.stat().st_size)


def _write_whole(target: Path, write: Callable[[Path], None]) -> None:
    """Make ``target`` through a hidden partial file renamed into place only once whole: a
    copy that fails part-way (a full disk) leaves nothing behind to be counted as a backup."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        write(partial)
        make_private(partial)
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as exc:
        raise BackupFailed(f"The backup could not be made: {exc}.") from exc
    finally:
        for suffix in ("", "-journal", "-wal", "-shm"):
            partial.with_name(partial.name + suffix).unlink(missing_ok=True)


def _record(config: Config, kind: str, info: BackupInfo, actor: Actor) -> None:
    with opened(config.database_url) as database, database.begin() as session:
        if actor.id is not None:
            require(session, actor, Action.MANAGE_SETTINGS)
        details = {"file": info.path.name, "bytes": info.size, "kind": kind}
        audit.append(session, EventKind.BACKUP_MADE, actor, details=details)


def make_backup(
    config: Config,
    *,
    kind: str = "manual",
    actor: Actor = COMMAND_LINE,
    now: dt.datetime | None = None,
) -> BackupInfo:
    """Back up the database now, rotate the folder, and record it in the audit log. A staff
    actor must be an admin; the kiosk itself and the command line need no log-in."""
    source = require_sqlite(config, BackupFailed)
    if not source.is_file():
        raise BackupFailed("There is no database to back up yet.")
    keep = _generations(config, actor)
    info = _backup_file(source, config.backup_dir, kind, now)
    rotate(config.backup_dir, source, keep)
    _record(config, kind, info, actor)
    return info


def _generations(config: Config, actor: Actor) -> Generations:
    """The school's generations to keep, after checking a staff actor is an admin."""
    with opened(config.database_url) as database, database.read() as session:
        if actor.id is not None:
            require(session, actor, Action.MANAGE_SETTINGS)
        return generations(session)


def ensure_daily_backup(config: Config, now: dt.datetime | None = None) -> BackupInfo | None:
    """Make today's automatic backup unless there is already a backup from today. Safe to
    call often (the app calls it at start and every hour). None when nothing was needed, or
    for PostgreSQL. Takes seconds on a big database: call it off the GUI thread."""
    source = database_file(config)
    if source is None or not source.is_file():
        return None
    today = to_local(now or utcnow()).date()
    if any(b.made_at.date() == today for b in list_backups(config.backup_dir)):
        return None
    return make_backup(config, kind="auto", actor=KIOSK_ACTOR, now=now)


def _chain_head(path: Path) -> tuple[int, str] | None:
    with closing(open_untrusted(path)) as conn:
        row = conn.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        head = row.fetchone()
    return None if head is None else (int(head[0]), str(head[1]))


def holds_events_missing_from(path: Path, live: Path | None) -> bool:
    """Whether the backup at ``path`` holds audit events the live database lacks (its newest
    event is not in the live chain). A file that cannot be read counts as holding some:
    what cannot be judged is not deleted."""
    try:
        head = _chain_head(path)
        if head is None:
            return False
        if live is None or not live.is_file():
            return True
        uri = live.as_uri() + "?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=30)) as conn:
            query = "SELECT hash FROM audit_events WHERE seq = ?"
            found = conn.execute(query, (head[0],)).fetchone()
        return found is None or found[0] != head[1]
    except sqlite3.Error:
        return True


def rotate(
    backup_dir: Path, live: Path | None = None, keep: Generations | None = None
) -> list[Path]:
    """Delete the automatic backups the generations ``keep`` no longer hold, except any
    holding events the live database at ``live`` lacks, and a crash's partial files;
    returns the backups deleted."""
    backups = list_backups(backup_dir)
    kept = backups_to_keep(backups, keep)
    removed = []
    for info in backups:
        if info.path not in kept and not holds_events_missing_from(info.path, live):
            info.path.unlink(missing_ok=True)
            removed.append(info.path)
    _remove_stale_partials(backup_dir)
    return removed


STALE_PARTIAL_SECONDS = 24 * 3600  # no backup or restore in progress takes a day


def _remove_stale_partials(backup_dir: Path) -> None:
    """The hidden partial files of a backup or restore cut off by a crash or power cut:
    never backups, and each as big as the database."""
    if not backup_dir.is_dir():
        return
    for path in backup_dir.glob(".*.partial*"):
        try:
            if time.time() - path.stat().st_mtime > STALE_PARTIAL_SECONDS:
                path.unlink()
        except OSError:
            continue  # gone already, or not ours to remove: left alone


def pre_restore_copy(live: Path, backup_dir: Path) -> Path | None:
    """Keep the current database as a pre-restore backup before a restore replaces it."""
    if not live.is_file():
        return None
    try:
        return _backup_file(live, backup_dir, "pre-restore").path
    except BackupFailed:
        # The current database may be damaged (the reason for restoring): keep its bytes.
        pass
    target = _new_name(backup_dir, "pre-restore", utcnow())
    try:
        _write_whole(target, lambda partial: _copy_bytes(live, partial))
        for suffix in ("-wal", "-shm"):
            _copy_beside(live, target, suffix)
    except BackupFailed as exc:
        for suffix in ("", "-wal", "-shm"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        raise BackupFailed(
            f"The current database could not be kept as a pre-restore copy ({exc}); nothing "
            "was restored. Free some disk space and try again."
        ) from exc
    return target


def _copy_beside(live: Path, target: Path, suffix: str) -> None:
    extra = live.with_name(live.name + suffix)
    if extra.is_file():
        _write_whole(target.with_name(target.name + suffix), lambda part: _copy_bytes(extra, part))


def _copy_bytes(source: Path, target: Path) -> None:
    with source.open("rb") as src, target.open("xb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
