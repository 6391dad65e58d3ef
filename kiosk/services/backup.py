"""Backups of the SQLite database, and restoring one.

A backup is made with SQLite's online backup API, so it is a consistent copy even while the
kiosk is writing. Files go to ``<data dir>/backups`` as ``kiosk-YYYYMMDD-HHMMSS-<kind>.db``
(school-local time; kind ``auto``, ``manual`` or ``pre-restore``), readable by the owner only.

Rotation keeps the newest backup of each of the last 14 days that have one, the newest of
each of the last 8 ISO weeks, and the 5 newest pre-restore copies; other files in the
folder are never touched.

A restore checks the candidate on a private copy first: SQLite's integrity check, a schema
revision this version knows, and the audit chain (verified after bringing the schema up to
date). Only then is the current database saved as a pre-restore backup and replaced, through
the same backup API, so other connections see a whole database either side.

PostgreSQL databases are backed up with ``pg_dump`` by the server's administrator: these
functions say so instead of doing anything.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from kiosk.clock import to_local, utcnow
from kiosk.config import Config, sqlite_url
from kiosk.db import opened
from kiosk.errors import KioskError
from kiosk.event_kinds import EventKind
from kiosk.migrate import known_revisions
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import KIOSK_ACTOR, Actor
from kiosk.services.common import require

KEEP_DAILY, KEEP_WEEKLY, KEEP_PRE_RESTORE = 14, 8, 5
NAME = re.compile(r"^kiosk-(\d{8})-(\d{6})(?:-\d+)?-(auto|manual|pre-restore)\.db$")
COMMAND_LINE = Actor(None, "command line")
POSTGRES_BACKUPS = (
    "This kiosk keeps its records in PostgreSQL: back it up on the database server with "
    "pg_dump (and restore with pg_restore); the kiosk's own backups are for SQLite files."
)


class BackupFailed(KioskError):
    default_message = "The backup could not be made."


class RestoreRefused(KioskError):
    default_message = "That file cannot be restored."


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    made_at: dt.datetime  # school-local, naive
    kind: str
    size: int


@dataclass(frozen=True)
class RestoreResult:
    restored_from: Path
    pre_restore_backup: Path | None
    events: int
    last_hash: str | None


# -- where things are ----------------------------------------------------------------------


def database_file(config: Config) -> Path | None:
    """The SQLite file behind ``config``, or None for PostgreSQL (or an in-memory database)."""
    url = make_url(config.database_url)
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).expanduser().resolve()


def _require_sqlite(config: Config, failure: type[KioskError]) -> Path:
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
    partial = target.with_name(f".{target.name}.partial")
    try:
        _copy_database(source, partial)
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as exc:
        raise BackupFailed(f"The backup could not be made: {exc}.") from exc
    finally:
        partial.unlink(missing_ok=True)
    match = NAME.match(target.name)
    assert match is not None
    made = dt.datetime.strptime(match[1] + match[2], "%Y%m%d%H%M%S")
    return BackupInfo(target, made, kind, target.stat().st_size)


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
    source = _require_sqlite(config, BackupFailed)
    if not source.is_file():
        raise BackupFailed("There is no database to back up yet.")
    if actor.id is not None:
        _check_admin(config, actor)
    info = _backup_file(source, config.backup_dir, kind, now)
    rotate(config.backup_dir)
    _record(config, kind, info, actor)
    return info


def _check_admin(config: Config, actor: Actor) -> None:
    with opened(config.database_url) as database, database.read() as session:
        require(session, actor, Action.MANAGE_SETTINGS)


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


def backups_to_keep(
    backups: Iterable[BackupInfo],
    daily: int = KEEP_DAILY,
    weekly: int = KEEP_WEEKLY,
    pre_restore: int = KEEP_PRE_RESTORE,
) -> set[Path]:
    newest_first = sorted(backups, key=lambda b: (b.made_at, b.path.name), reverse=True)
    keep: set[Path] = set()
    days: dict[dt.date, Path] = {}
    weeks: dict[tuple[int, int], Path] = {}
    restores: list[Path] = []
    for backup in newest_first:
        if backup.kind == "pre-restore":
            restores.append(backup.path)
            continue
        days.setdefault(backup.made_at.date(), backup.path)
        iso = backup.made_at.isocalendar()
        weeks.setdefault((iso.year, iso.week), backup.path)
    keep.update(list(days.values())[:daily])
    keep.update(list(weeks.values())[:weekly])
    keep.update(restores[:pre_restore])
    return keep


def rotate(backup_dir: Path) -> list[Path]:
    """Delete the backups the rotation no longer keeps; returns what was deleted."""
    backups = list_backups(backup_dir)
    keep = backups_to_keep(backups)
    removed = [b.path for b in backups if b.path not in keep]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


# -- restoring -----------------------------------------------------------------------------


def _stage(candidate: Path, staging: Path) -> None:
    """A private copy of the candidate (and its WAL, if any): the checks never touch the
    user's file."""
    shutil.copyfile(candidate, staging)
    wal = candidate.with_name(candidate.name + "-wal")
    if wal.is_file():
        shutil.copyfile(wal, staging.with_name(staging.name + "-wal"))


def _check_integrity(path: Path) -> None:
    try:
        with closing(sqlite3.connect(path)) as conn:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise RestoreRefused(f"Not restored: the file is not a readable database ({exc}).") from exc
    if [tuple(row) for row in rows] != [("ok",)]:
        first = rows[0][0] if rows else "no answer"
        raise RestoreRefused(f"Not restored: the file is damaged (integrity check: {first}).")


def _check_revision(path: Path) -> None:
    try:
        with closing(sqlite3.connect(path)) as conn:
            rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError as exc:
        raise RestoreRefused("Not restored: the file is not a kiosk database.") from exc
    known = known_revisions()
    revisions = [row[0] for row in rows]
    if len(revisions) != 1:
        raise RestoreRefused("Not restored: the file is not a kiosk database.")
    if revisions[0] not in known:
        raise RestoreRefused(
            "Not restored: the file was made by a newer version of the kiosk "
            f"(schema {revisions[0]}). Update this kiosk first."
        )


def _check_chain(path: Path) -> audit.ChainReport:
    """Bring the copy's schema up to date, then verify its audit chain."""
    with opened(sqlite_url(path), migrate=True) as database:
        report = audit.verify(database)
    if not report.intact:
        raise RestoreRefused(f"Not restored: its audit log fails verification. {report.describe()}")
    return report


def _pre_restore_backup(live: Path, backup_dir: Path) -> Path | None:
    if not live.is_file():
        return None
    try:
        return _backup_file(live, backup_dir, "pre-restore").path
    except BackupFailed:
        # The current database may be damaged (the reason for restoring): keep its files.
        target = _new_name(backup_dir, "pre-restore", utcnow())
        shutil.copy2(live, target)
        os.chmod(target, 0o600)
        for suffix in ("-wal", "-shm"):
            extra = live.with_name(live.name + suffix)
            if extra.is_file():
                shutil.copy2(extra, target.with_name(target.name + suffix))
        return target


def _replace_live(staging: Path, live: Path) -> None:
    """Copy the checked database over the live one with the backup API (other connections
    wait on SQLite's locks and then see the restored database)."""
    live.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            closing(sqlite3.connect(staging)) as src,
            closing(sqlite3.connect(live, timeout=30)) as dst,
        ):
            src.backup(dst)
    except sqlite3.Error as exc:
        raise RestoreRefused(
            f"Not restored: the current database could not be replaced ({exc}). It is "
            "unchanged; close other kiosks using it and try again."
        ) from exc


def _authorise_restore(config: Config, actor: Actor, live: Path) -> None:
    """A staff restore needs an admin, checked in the current database when it opens; the
    command line (someone with the machine's files in hand) needs no log-in."""
    if actor.id is None:
        return
    if not live.is_file():
        raise RestoreRefused("There is no current database to check your account against.")
    _check_admin(config, actor)


def restore(config: Config, candidate: Path, *, actor: Actor = COMMAND_LINE) -> RestoreResult:
    """Check ``candidate`` and, only if it passes, make it the kiosk's database."""
    live = _require_sqlite(config, RestoreRefused)
    candidate = candidate.expanduser().resolve()
    if not candidate.is_file():
        raise RestoreRefused(f"Not restored: there is no file {candidate}.")
    if candidate == live:
        raise RestoreRefused("Not restored: that is the database in use now.")
    _authorise_restore(config, actor, live)
    try:
        config.backup_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise RestoreRefused(f"Not restored: {config.backup_dir} cannot be made ({exc}).") from exc
    stamp = to_local(utcnow()).strftime("%Y%m%d-%H%M%S")
    staging = config.backup_dir / f".restore-{stamp}.db.partial"
    try:
        report = _checked_copy(candidate, staging)
        before = _pre_restore_backup(live, config.backup_dir)
        _replace_live(staging, live)
    except OSError as exc:
        raise RestoreRefused(f"Not restored: {exc.strerror or exc}.") from exc
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            staging.with_name(staging.name + suffix).unlink(missing_ok=True)
    _record_restore(config, actor, candidate, before, report)
    return RestoreResult(candidate, before, report.events, report.last_hash)


def _checked_copy(candidate: Path, staging: Path) -> audit.ChainReport:
    """Copy the candidate aside and check it. It is untrusted input: anything that goes
    wrong while examining it is a refusal, never a half-done restore."""
    try:
        _stage(candidate, staging)
        _check_integrity(staging)
        _check_revision(staging)
        return _check_chain(staging)
    except (KioskError, OSError):
        raise
    except Exception as exc:
        raise RestoreRefused(
            f"Not restored: the file could not be checked ({type(exc).__name__})."
        ) from exc


def _record_restore(
    config: Config,
    actor: Actor,
    candidate: Path,
    before: Path | None,
    report: audit.ChainReport,
) -> None:
    details = {
        "from_file": candidate.name,
        "events_restored": report.events,
        "last_hash_restored": report.last_hash,
        "pre_restore_backup": before.name if before else None,
    }
    with opened(config.database_url, migrate=True) as database, database.begin() as session:
        audit.append(session, EventKind.DATABASE_RESTORED, actor, details=details)
