"""Restoring a backup, in a way that cannot be turned against the records.

A restore replaces every record, so it is treated as an attack until shown otherwise:

1. an admin's name and PIN, checked against the current database (on a new PC with no
   accounts yet, against the backup itself once it has passed every check below);
2. the file is copied aside and only the copy is examined, opened read-only and immutable
   with SQLite's defensive settings (``kiosk.services.untrusted``): integrity check, a
   schema revision this kiosk knows, and a schema equal to our own migrations' at that
   revision (no extra or altered trigger, view, table or index);
3. brought up to the newest schema, its audit chain must verify, and the tables must agree
   with the log for staff accounts and releases (``kiosk.services.record_checks``);
4. its chain must be a prefix of the current one (same hash at its last event), or be the
   very chain an earlier restore set aside (recorded in the current log), so a restore can
   only go back along this kiosk's own history, never sideways into an edited one.

Only then is the current database kept as a pre-restore backup (never deleted by the
kiosk: kiosk.services.backup_rotation) and replaced through SQLite's backup API. The
restore is an audit event in the restored records, naming what it set aside; a refusal after
the PIN check is an event in the current records, with its reason.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from kiosk.clock import to_local, utcnow
from kiosk.config import Config, sqlite_url
from kiosk.db import Database, make_engine, opened
from kiosk.errors import KioskError
from kiosk.event_kinds import EventKind
from kiosk.keystore import KeyStore
from kiosk.record import lines
from kiosk.record.check import verify_record
from kiosk.record.keys import BadKey, normal_fingerprint
from kiosk.rules import Action
from kiosk.services import (
    audit,
    backup,
    chain_check,
    record_checks,
    restore_keys,
    school_keys,
    staff,
    untrusted,
)
from kiosk.services.audit import Actor
from kiosk.services.common import require
from kiosk.services.school_keys import SchoolKeys
from kiosk.services.untrusted import open_untrusted
from kiosk.storage import make_private

RESTORED_KIND = EventKind.DATABASE_RESTORED
REFUSED_KIND = EventKind.RESTORE_REFUSED
SET_ASIDE_KEY = "set_aside_head"
EARLIER_KEY = "earlier_set_aside_heads"  # carried forward, so a restore can always be undone


class RestoreRefused(KioskError):
    default_message = "That file cannot be restored."


@dataclass(frozen=True)
class RestoreResult:
    restored_from: Path
    pre_restore_backup: Path | None
    events: int
    last_hash: str | None
    events_set_aside: int  # recorded in the replaced database after the backup's last event
    accounts_without_pin: tuple[str, ...] = ()  # an admin resets their PINs (restore_keys)


@dataclass(frozen=True)
class _Place:
    """Where the candidate's chain stands against the current one."""

    live_head: str | None  # "seq:hash" of the current chain's newest event
    set_aside: int
    earlier: tuple[str, ...] = ()  # heads earlier restores set aside, as the live log lists


# -- who may restore -----------------------------------------------------------------------


def _has_staff(live: Path) -> bool:
    """Whether the current database holds staff accounts (False: a new install). One that
    cannot be read is not taken for a new install: that would skip the checks against it."""
    if not live.is_file():
        return False
    try:
        with closing(sqlite3.connect(live.as_uri() + "?mode=ro", uri=True, timeout=30)) as conn:
            return bool(conn.execute("SELECT count(*) FROM staff").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise RestoreRefused(
            f"Not restored: the current database cannot be read ({exc}). If it is damaged, "
            "move it out of the data folder (keep it) and restore again."
        ) from exc


def _keys(config: Config) -> tuple[SchoolKeys, KeyStore]:
    store = KeyStore.for_config(config)
    keys = school_keys.load(store)
    if keys is None:
        raise RestoreRefused(
            "Not restored: this kiosk does not hold the school's keys yet. Import them first "
            "(kiosk keys import FILE), then restore."
        )
    return keys, store


def _login(url: str, name: str, pin: str, config: Config) -> Actor:
    """The admin called ``name`` whose PIN is ``pin``, in the database at ``url``."""
    engine = make_engine(url)
    sessions = Database(engine)
    school_keys.attach(engine, *_keys(config))
    try:
        wanted = " ".join(name.split()).lower()
        found = [m for m in staff.list_staff(sessions) if m.name.lower() == wanted]
        if len(found) != 1:
            raise RestoreRefused(f"Not restored: there is no active staff member called {name}.")
        terminal = staff.command_line(config.kiosk_name)
        member = staff.check_pin(sessions, found[0].id, pin, terminal=terminal)
        with sessions.begin() as session:
            require(session, member.actor, Action.MANAGE_SETTINGS)
        return member.actor
    except RestoreRefused:
        raise
    except KioskError as exc:
        raise RestoreRefused(f"Not restored: {exc}") from exc
    finally:
        engine.dispose()


# -- examining the candidate ---------------------------------------------------------------


def _stage(candidate: Path, staging: Path) -> None:
    """A private copy of the candidate's main file (what is checked is what is restored:
    a WAL file beside it is ignored, as the immutable open ignores it)."""
    with candidate.open("rb") as src, staging.open("xb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    make_private(staging)


def _typed(fingerprint: str) -> str:
    try:
        return normal_fingerprint(fingerprint)
    except BadKey as exc:
        raise RestoreRefused(f"Not restored: {exc}.") from exc


def _school_root(live: Path) -> str | None:
    """The school audit fingerprint the live log is signed under (None: not signed)."""
    with opened(sqlite_url(live)) as database, database.connect() as conn:
        return lines.replay(lines.read_key_events(conn)).root


def _verify_chain(staging: Path, school_root: str | None) -> chain_check.ChainReport:
    """The candidate's chain must verify and, where this school signs its log, carry valid
    signatures under this school's fingerprint: a database someone re-hashed after changing
    it passes the hash check, never the signatures."""
    engine = untrusted.untrusted_engine(staging)
    try:
        sessions = Database(engine)
        report = chain_check.verify(sessions)
        if not report.intact:
            raise RestoreRefused(
                f"Not restored: its audit log fails verification. {report.describe()}"
            )
        signed = verify_record(sessions, fingerprint=school_root)
        if school_root is None and signed.fingerprint is not None:
            raise RestoreRefused(
                "Not restored: this backup's audit log is signed, and nothing here says "
                "which school's it is. Give the school audit fingerprint from the recovery "
                "sheet (kiosk restore FILE --fingerprint '...')."
            )
        if not signed.intact:
            raise RestoreRefused(
                "Not restored: its audit log is not signed under this school's audit "
                f"fingerprint as it should be ({signed.problem})."
            )
        with sessions() as session:
            problems = record_checks.record_problems(session)
    finally:
        engine.dispose()
    if problems:
        listed = "; ".join(problems[:3]) + ("; …" if len(problems) > 3 else "")
        raise RestoreRefused(
            f"Not restored: its records disagree with its own audit log ({listed}). "
            "Someone changed the file outside the kiosk."
        )
    return report


def _checked_copy(
    candidate: Path, staging: Path, school_root: str | None
) -> chain_check.ChainReport:
    """Copy the candidate aside and check it. It is untrusted input: anything that goes
    wrong while examining it is a refusal, never a half-done restore."""
    try:
        _stage(candidate, staging)
        untrusted.check_integrity(staging)
        revision = untrusted.revision_of(staging)
        untrusted.check_schema(staging, revision)
        if revision != untrusted.head_revision():
            untrusted.bring_to_head(staging)
            untrusted.check_schema(staging, untrusted.head_revision())
        return _verify_chain(staging, school_root)
    except untrusted.CandidateRefused as exc:
        raise RestoreRefused(str(exc)) from exc
    except (KioskError, OSError):
        raise
    except Exception as exc:
        raise RestoreRefused(
            f"Not restored: the file could not be checked ({type(exc).__name__})."
        ) from exc


# -- the candidate against the current chain -----------------------------------------------


def _hash_at(conn: sqlite3.Connection, seq: int) -> str | None:
    row = conn.execute("SELECT hash FROM audit_events WHERE seq = ?", (seq,)).fetchone()
    return None if row is None else str(row[0])


def _set_aside_heads(conn: sqlite3.Connection) -> tuple[str, ...]:
    """Every chain head an earlier restore set aside, as the live log records them (each
    restore's event carries forward those its replaced records knew of)."""
    heads: dict[str, None] = {}
    query = "SELECT details FROM audit_events WHERE kind = ? ORDER BY seq"
    for (text,) in conn.execute(query, (RESTORED_KIND,)):
        try:
            details = json.loads(text)
            found = [*details.get(EARLIER_KEY, []), details.get(SET_ASIDE_KEY)]
        except (ValueError, AttributeError, TypeError):
            continue
        heads.update((head, None) for head in found if isinstance(head, str))
    return tuple(heads)


def _first_difference(live: sqlite3.Connection, staging: Path, last: int) -> int:
    """The first seq where the two chains' hashes differ, or ``last + 1`` if they agree up
    to ``last`` (binary search: the hashes link, so once they differ they stay different)."""
    with closing(open_untrusted(staging)) as mine:
        low, high = 1, last + 1
        while low < high:
            middle = (low + high) // 2
            if _hash_at(mine, middle) == _hash_at(live, middle):
                low = middle + 1
            else:
                high = middle
    return low


def _place(live: Path, staging: Path, report: chain_check.ChainReport, new_install: bool) -> _Place:
    """Where the candidate stands. A new install (no accounts yet: a new PC, whose log holds
    at most its own start, such as the keys' import) has no history to stay on."""
    if not live.is_file():
        return _Place(None, 0)
    try:
        with closing(sqlite3.connect(live.as_uri() + "?mode=ro", uri=True, timeout=30)) as conn:
            top = conn.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
            newest = top.fetchone()
            if newest is None:
                return _Place(None, 0)  # a new install: nothing to go back along
            live_head, count = f"{newest[0]}:{newest[1]}", int(newest[0])
            earlier = _set_aside_heads(conn)
            if report.last_seq is None or new_install:
                return _Place(live_head, count, earlier)
            if _hash_at(conn, report.last_seq) == report.last_hash:
                return _Place(live_head, count - report.last_seq, earlier)
            differs = _first_difference(conn, staging, min(report.last_seq, count))
            if f"{report.last_seq}:{report.last_hash}" in earlier:
                return _Place(live_head, count - differs + 1, earlier)
    except sqlite3.DatabaseError as exc:
        raise RestoreRefused(
            f"Not restored: the current database cannot be read to compare with ({exc}). If "
            "it is damaged, move it aside (keep it) and restore again."
        ) from exc
    if differs > count:
        raise RestoreRefused(
            f"Not restored: its audit log runs past this kiosk's (to event #{report.last_seq}; "
            f"this kiosk's ends at #{count}), so it is not an earlier copy of these records."
        )
    raise RestoreRefused(
        f"Not restored: its audit log differs from this kiosk's from event #{differs} on, so "
        "it is not an earlier copy of these records (an altered file, or another kiosk's)."
    )


def _adopt(staging: Path, live: Path, config: Config) -> tuple[str, ...]:
    try:
        return tuple(restore_keys.adopt(staging, live, _keys(config)[0]))
    except restore_keys.ForeignKeys as exc:
        raise RestoreRefused(str(exc)) from exc


# -- replacing and recording ---------------------------------------------------------------


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
    make_private(live)


def _append(url: str, kind: str, actor: Actor, details: dict[str, object]) -> None:
    with opened(url, migrate=True) as database, database.begin() as session:
        audit.append(session, kind, actor, details=details)


def _refused(config: Config, actor: Actor, candidate: Path, reason: str) -> None:
    try:
        _append(config.database_url, REFUSED_KIND, actor, {"file": candidate.name, "why": reason})
    except Exception:  # the refusal stands even if the current database cannot take it
        return


def restore(
    config: Config,
    candidate: Path,
    *,
    admin_name: str,
    pin: str | None,
    fingerprint: str | None = None,
) -> RestoreResult:
    """Check ``candidate`` and, only if it passes, make it the kiosk's database. A signed
    log is checked under the live log's school fingerprint, or ``fingerprint`` (from the
    recovery sheet) on a new PC whose records have none yet."""
    live = backup.require_sqlite(config, RestoreRefused)
    candidate = candidate.expanduser().resolve()
    if not candidate.is_file():
        raise RestoreRefused(f"Not restored: there is no file {candidate}.")
    if candidate == live:
        raise RestoreRefused("Not restored: that is the database in use now.")
    if not admin_name.strip() or not pin:
        raise RestoreRefused("Not restored: a restore needs an admin's name and PIN.")
    new_install = not _has_staff(live)
    actor = None if new_install else _login(config.database_url, admin_name, pin, config)
    try:
        config.backup_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise RestoreRefused(f"Not restored: {config.backup_dir} cannot be made ({exc}).") from exc
    stamp = to_local(utcnow()).strftime("%Y%m%d-%H%M%S-%f")
    staging = config.backup_dir / f".restore-{stamp}.db.partial"
    try:
        try:
            school_root = _school_root(live) if fingerprint is None else _typed(fingerprint)
            report = _checked_copy(candidate, staging, school_root)
            place = _place(live, staging, report, new_install)
        except RestoreRefused as exc:
            if actor is not None:
                _refused(config, actor, candidate, str(exc))
            raise
        unusable = _adopt(staging, live, config)
        actor = actor or _login(sqlite_url(staging), admin_name, pin, config)
        before = backup.pre_restore_copy(live, config.backup_dir)
        _replace_live(staging, live)
    except backup.BackupFailed as exc:
        raise RestoreRefused(f"Not restored: {exc}") from exc
    except OSError as exc:
        raise RestoreRefused(f"Not restored: {exc.strerror or exc}.") from exc
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            staging.with_name(staging.name + suffix).unlink(missing_ok=True)
    details = {
        "from_file": candidate.name,
        "events_restored": report.events,
        "last_hash_restored": report.last_hash,
        "pre_restore_backup": before.name if before else None,
        SET_ASIDE_KEY: place.live_head,
        "events_set_aside": place.set_aside,
        EARLIER_KEY: list(place.earlier),
        "accounts_needing_a_pin_reset": list(unusable),
    }
    _append(config.database_url, RESTORED_KIND, actor, details)
    return RestoreResult(
        candidate, before, report.events, report.last_hash, place.set_aside, unusable
    )
