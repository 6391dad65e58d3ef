"""Backups and restores (SQLite): round trip, rotation, and the refusals that keep a bad
file from replacing good records."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from fixtures.reports import *  # noqa: F403 (the reports tests' fixtures)
from sqlalchemy import func, select

from kiosk.config import Config
from kiosk.db import Database, make_engine
from kiosk.demo import DEMO_PINS
from kiosk.errors import NotAuthorised
from kiosk.services import backup, chain_check, custody, restore
from kiosk.services.backup import BackupFailed, BackupInfo, backups_to_keep
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


def _backups(times: list[tuple[dt.datetime, str]]) -> list[BackupInfo]:
    return [BackupInfo(Path(f"/b/{t:%Y%m%d%H%M%S}-{kind}.db"), t, kind, 1) for t, kind in times]


def test_rotation_keeps_14_days_8_weeks_and_5_pre_restore_copies():
    start = dt.datetime(2026, 1, 1, 7, 0)
    daily = [(start + dt.timedelta(days=d), "auto") for d in range(120)]
    extra = [(start + dt.timedelta(days=119, hours=3), "manual")]  # same day as the newest
    restores = [(start + dt.timedelta(days=d, hours=1), "pre-restore") for d in range(7)]
    backups = _backups(daily + extra + restores)
    keep = backups_to_keep(backups)
    kept = [b for b in backups if b.path in keep]
    days = sorted({b.made_at.date() for b in kept if b.kind != "pre-restore"})
    assert len([b for b in kept if b.kind == "pre-restore"]) == 5
    newest_day = start.date() + dt.timedelta(days=119)
    assert days[-14:] == [newest_day - dt.timedelta(days=13 - i) for i in range(14)]
    assert extra[0][0] in {b.made_at for b in kept}  # the newest of its day wins
    weeks = {b.made_at.isocalendar()[:2] for b in kept if b.kind != "pre-restore"}
    assert len(weeks) == 8 and len(days) == 14 + 8 - len({d.isocalendar()[:2] for d in days[-14:]})


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
