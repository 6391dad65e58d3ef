"""Backups and restores (SQLite): round trip, rotation, and the refusals that keep a bad
file from replacing good records."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest
from fault_injection.disks import tmpfs
from fixtures.reports import *  # noqa: F403 (the reports tests' fixtures)
from sqlalchemy import func, select

from kiosk.config import Config
from kiosk.db import Database, make_engine
from kiosk.demo import DEMO_PINS
from kiosk.errors import InvalidInput, NotAuthorised
from kiosk.services import backup, chain_check, custody, restore, settings
from kiosk.services.backup import BackupFailed
from kiosk.services.backup_rotation import Generations
from kiosk.services.restore import RestoreRefused
from kiosk.tables import AuditEvent, Custody

ADMIN, ADMIN_PIN = "Alex Admin", DEMO_PINS["admin"]


@pytest.fixture
def config(data_dir: Path, database_url: str) -> Config:
    return Config(data_dir, database_url, "kiosk-1", "", False)


def count(sessions, what) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(what)))


def tamper(path: Path, sql: str) -> None:
    """Change a file as a careful insider would: drop the append-only triggers, make the
    change, and put the triggers back exactly as they were."""
    with sqlite3.connect(path) as conn:
        triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        saved = triggers.fetchall()
        for name, _sql in saved:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute(sql)
        for _name, trigger_sql in saved:
            conn.execute(trigger_sql)


def do_restore(config: Config, path: Path, name: str = ADMIN, pin: str | None = ADMIN_PIN):
    return restore.restore(config, path, admin_name=name, pin=pin)


def test_a_backup_restores_to_exactly_the_records_it_was_taken_from(history, sessions, config):
    events, custodies = count(sessions, AuditEvent), count(sessions, Custody)
    made = backup.make_backup(config)
    assert made.path.parent == config.backup_dir and made.kind == "manual"
    assert made.path.stat().st_mode & 0o077 == 0  # the owner's alone
    result = custody.hand_in(sessions, history.late_pupil)  # recorded after the backup
    restored = do_restore(config, made.path)
    assert restored.pre_restore_backup and restored.pre_restore_backup.is_file()
    assert count(sessions, Custody) == custodies
    with sessions() as session:
        assert session.get(Custody, result.custody_id) is None
        kinds = list(session.scalars(select(AuditEvent.kind).order_by(AuditEvent.seq.desc())))
    # the backup's own "backup_made" event came after the copy: only the restore is new
    assert kinds[0] == "database_restored" and "backup_made" not in kinds
    assert count(sessions, AuditEvent) == events + 1
    assert chain_check.verify(sessions).intact
    # the records made after the backup are not lost: they are in the pre-restore copy
    pre = Database(make_engine(f"sqlite:///{restored.pre_restore_backup}"))
    with pre() as session:
        assert session.get(Custody, result.custody_id) is not None


def test_a_restore_refuses_a_file_whose_audit_chain_was_tampered_with(history, sessions, config):
    made = backup.make_backup(config)
    tamper(made.path, "UPDATE audit_events SET kind = 'collected' WHERE seq = 30")
    before = count(sessions, AuditEvent)
    with pytest.raises(RestoreRefused, match="BROKEN at event #30"):
        do_restore(config, made.path)
    # the live records are untouched: only the admin's log-in and the refusal are added
    assert count(sessions, AuditEvent) == before + 2
    with sessions() as session:
        newest = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(2))
        refusal, login = list(newest)
    assert (login.kind, login.actor_name) == ("staff_login", ADMIN)
    assert refusal.kind == "restore_refused" and "BROKEN at event #30" in refusal.details
    assert chain_check.verify(sessions).intact
    assert [b.kind for b in backup.list_backups(config.backup_dir)] == ["manual"]


def test_a_restore_refuses_a_damaged_file(history, config, tmp_path):
    made = backup.make_backup(config)
    data = bytearray(made.path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 4096] = b"\xff" * 4096
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(bytes(data))
    with pytest.raises(RestoreRefused, match="Not restored"):
        do_restore(config, damaged)


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"not a database at all" * 100, "not a readable database"), (None, "not a kiosk database")],
)
def test_a_restore_refuses_what_is_not_a_kiosk_database(history, config, tmp_path, content, words):
    candidate = tmp_path / "other.db"
    if content is None:
        with sqlite3.connect(candidate) as conn:
            conn.execute("CREATE TABLE notes (text TEXT)")
    else:
        candidate.write_bytes(content)
    with pytest.raises(RestoreRefused, match=words):
        do_restore(config, candidate)


def test_a_restore_refuses_a_database_from_a_newer_kiosk(history, config):
    made = backup.make_backup(config)
    with sqlite3.connect(made.path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(RestoreRefused, match="newer version"):
        do_restore(config, made.path)


def test_a_restore_refuses_a_missing_file_or_the_live_database(history, config, data_dir):
    with pytest.raises(RestoreRefused, match="no file"):
        do_restore(config, data_dir / "nope.db")
    with pytest.raises(RestoreRefused, match="in use now"):
        do_restore(config, data_dir / "kiosk.db")


def test_a_staff_restore_or_backup_needs_an_admin(history, config):
    made = backup.make_backup(config)
    with pytest.raises(RestoreRefused, match="Not restored: Your role does not allow this"):
        do_restore(config, made.path, "Sam Senior (DSL)", DEMO_PINS["senior"])
    with pytest.raises(NotAuthorised):
        backup.make_backup(config, actor=history.school.actors["office"])
    done = do_restore(config, made.path)
    assert done.events > 0


def test_the_daily_backup_is_made_once_a_day(history, sessions, config):
    morning = dt.datetime(2026, 3, 31, 7, 0)
    first = backup.ensure_daily_backup(config, now=morning)
    assert first is not None and first.kind == "auto"
    assert backup.ensure_daily_backup(config, now=morning + dt.timedelta(hours=5)) is None
    tomorrow = backup.ensure_daily_backup(config, now=morning + dt.timedelta(days=1))
    assert tomorrow is not None and tomorrow.path != first.path
    with sessions() as session:
        made = session.scalars(select(AuditEvent.details).where(AuditEvent.kind == "backup_made"))
        assert len(list(made)) == 2


def _empty_backup(folder: Path, at: dt.datetime, kind: str) -> Path:
    """A real backup file named for ``at`` (school-local), holding no audit events (so
    nothing in it is unique: only the generations decide)."""
    path = folder / f"kiosk-{at:%Y%m%d-%H%M%S}-{kind}.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE audit_events (seq INTEGER, hash TEXT)")
    return path


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def test_rotation_keeps_daily_weekly_and_monthly_automatic_backups_and_every_manual_one(config):
    folder = config.backup_dir
    folder.mkdir(parents=True)
    # Thirteen months of automatic backups, one a day at 07:00, ending Tuesday 31 March 2026.
    for day in _days(dt.date(2025, 3, 1), dt.date(2026, 3, 31)):
        _empty_backup(folder, dt.datetime.combine(day, dt.time(7)), "auto")
    by_hand = [
        _empty_backup(folder, dt.datetime(2025, 3, 5, 16, 0), "manual"),  # a year old
        _empty_backup(folder, dt.datetime(2026, 3, 31, 9, 0), "manual"),  # "before" a change
        _empty_backup(folder, dt.datetime(2026, 3, 31, 9, 1), "manual"),  # and "after" it
        _empty_backup(folder, dt.datetime(2025, 4, 1, 12, 0), "pre-restore"),
    ]
    crashed, running = folder / ".kiosk-20260330-070000-auto.db.partial", folder / ".x.partial"
    for partial in (crashed, running):
        partial.write_bytes(b"half a database")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(crashed, (two_days_ago, two_days_ago))
    removed = backup.rotate(folder, None, Generations(daily=14, weekly=8, monthly=12))
    kept = {b.path for b in backup.list_backups(folder)}
    assert set(by_hand) <= kept
    assert not crashed.exists() and running.exists()  # a crash's leftovers only
    autos = sorted(b.made_at.date() for b in backup.list_backups(folder) if b.kind == "auto")
    daily = _days(dt.date(2026, 3, 18), dt.date(2026, 3, 31))
    # the newest of each ISO week: this (part) week's Tuesday, then Sundays
    weekly = [dt.date(2026, 3, 31)] + [
        dt.date(2026, 3, 29) - dt.timedelta(weeks=n) for n in range(7)
    ]
    monthly = [  # the last day of each of the last 12 months (March 2026 is the newest)
        dt.date(2026, 3, 31), dt.date(2026, 2, 28), dt.date(2026, 1, 31), dt.date(2025, 12, 31),
        dt.date(2025, 11, 30), dt.date(2025, 10, 31), dt.date(2025, 9, 30), dt.date(2025, 8, 31),
        dt.date(2025, 7, 31), dt.date(2025, 6, 30), dt.date(2025, 5, 31), dt.date(2025, 4, 30),
    ]  # fmt: skip
    assert autos == sorted(set(daily) | set(weekly) | set(monthly))
    assert len(removed) == 396 - len(autos)
    assert not any(path.exists() for path in removed)
    # The next day's rotation: the oldest daily ages out, the same weeks and months stay.
    _empty_backup(folder, dt.datetime(2026, 4, 1, 7), "auto")
    again = backup.rotate(folder, None, Generations(daily=14, weekly=8, monthly=12))
    names = sorted(path.name for path in again)
    assert names == ["kiosk-20250430-070000-auto.db", "kiosk-20260318-070000-auto.db"]


def test_a_manual_backup_is_never_deleted_by_later_backups(history, sessions, config):
    morning = dt.datetime(2026, 3, 31, 6, 0)
    automatic = backup.ensure_daily_backup(config, now=morning)
    before = backup.make_backup(config, now=morning + dt.timedelta(hours=3))
    after = backup.make_backup(config, now=morning + dt.timedelta(hours=3, seconds=21))
    later = [
        backup.make_backup(config, kind="auto", now=morning + dt.timedelta(days=d))
        for d in range(1, 40)
    ]
    left = {b.path for b in backup.list_backups(config.backup_dir)}
    assert automatic is not None
    assert {before.path, after.path, automatic.path} <= left  # the day's auto: March's newest
    assert later[0].path not in left  # a day aged out of the daily generation
    assert len([b for b in backup.list_backups(config.backup_dir) if b.kind == "auto"]) < 40


def test_the_generations_come_from_the_school_settings_and_are_checked(history, sessions, config):
    admin = history.school.actors["admin"]
    for key, bad in [
        ("backup_keep_daily", "0"),
        ("backup_keep_daily", "two"),
        ("backup_keep_weekly", "-1"),
        ("backup_keep_monthly", "121"),
    ]:
        with pytest.raises(InvalidInput, match=rf"{key} \(.*\) is a whole number from"):
            settings.update(sessions, admin, {key: bad})
    changes = {"backup_keep_daily": "2", "backup_keep_weekly": "0", "backup_keep_monthly": "0"}
    settings.update(sessions, admin, changes)
    start = dt.datetime(2026, 3, 2, 7, 0)
    made = [
        backup.make_backup(config, kind="auto", now=start + dt.timedelta(days=d)) for d in range(5)
    ]
    mine = backup.make_backup(config, now=start)
    left = [b.path for b in backup.list_backups(config.backup_dir)]
    assert sorted(left) == sorted([made[3].path, made[4].path, mine.path])


def test_a_backup_on_a_full_disk_is_removed_and_not_counted(history, sessions, config):
    live = backup.database_file(config)
    with tmpfs(config.backup_dir, size=f"{live.stat().st_size // 2}"):
        with pytest.raises(BackupFailed, match=r"could not be made.*(full|space)"):
            backup.make_backup(config)
        assert list(config.backup_dir.iterdir()) == []  # no partial file, no backup
    with sessions() as session:
        made = session.scalars(select(AuditEvent).where(AuditEvent.kind == "backup_made"))
        assert list(made) == []


def test_a_restore_whose_pre_restore_copy_fills_the_disk_restores_nothing(
    history, sessions, config, tmp_path
):
    candidate = backup.make_backup(config).path.rename(tmp_path / "earlier.db")
    custody.hand_in(sessions, history.late_pupil)  # recorded after that backup
    live = backup.database_file(config)
    held = count(sessions, Custody)
    # room for the staged copy of the candidate, not for a copy of the live records too
    room = candidate.stat().st_size + live.stat().st_size // 2
    with tmpfs(config.backup_dir, size=str(room)):
        with pytest.raises(RestoreRefused, match="could not be kept as a pre-restore copy"):
            do_restore(config, candidate)
        assert list(config.backup_dir.iterdir()) == []
    assert count(sessions, Custody) == held  # the live records are untouched
    assert chain_check.verify(sessions).intact


def test_rotation_never_touches_other_files(config):
    config.backup_dir.mkdir(parents=True)
    (config.backup_dir / "notes.txt").write_text("keep me")
    for day in range(1, 30):
        name = f"kiosk-202601{day:02d}-070000-auto.db"
        with sqlite3.connect(config.backup_dir / name) as conn:  # no events: nothing unique
            conn.execute("CREATE TABLE audit_events (seq INTEGER, hash TEXT)")
    removed = backup.rotate(config.backup_dir)
    assert len(removed) == 29 - len(backup.list_backups(config.backup_dir))
    assert (config.backup_dir / "notes.txt").read_text() == "keep me"


def test_postgresql_backups_are_left_to_pg_dump(tmp_path):
    config = Config(tmp_path, "postgresql+psycopg://kiosk@db.school/kiosk", "k", "", False)
    assert backup.ensure_daily_backup(config) is None
    with pytest.raises(BackupFailed, match="pg_dump"):
        backup.make_backup(config)
    with pytest.raises(RestoreRefused, match="pg_restore"):
        do_restore(config, tmp_path / "x.db")


def test_an_unreadable_file_is_refused_in_words(history, config, tmp_path, monkeypatch):
    import errno

    candidate = tmp_path / "backup.db"
    candidate.write_bytes(b"x")

    def unreadable(*_args, **_kwargs):
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("kiosk.services.restore._stage", unreadable)
    with pytest.raises(RestoreRefused, match="Permission denied"):
        do_restore(config, candidate)
