"""A restore checks a signed backup's signatures under the school audit fingerprint: a
backup someone changed and re-hashed passes every hash check, never the signatures; on a
new PC, whose records say nothing yet, the fingerprint comes from the recovery sheet."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.config import Config
from kiosk.db import open_database
from kiosk.demo import DEMO_STAFF
from kiosk.keystore import KeyStore
from kiosk.record.keys import show_fingerprint
from kiosk.services import backup, confiscation, key_transfer, restore, settings
from kiosk.services.restore import RestoreRefused
from kiosk.tables import AuditEvent
from record.attacks import rewrite_and_recompute

ADMIN_PIN = next(m.pin for m in DEMO_STAFF if m.name == "Alex Admin")


def new_pc_with_keys(signed, tmp_path: Path) -> Config:
    """A fresh install on another PC, with the school's keys imported from the safe."""
    kept = key_transfer.export_keys(
        signed.sessions, signed.school.actors["admin"], tmp_path / "safe-keys.json"
    )
    folder = tmp_path / "new-pc"
    folder.mkdir()
    config = Config(folder, f"sqlite:///{folder / 'kiosk.db'}", "kiosk-2", "", False)
    fresh = open_database(config.database_url)
    settings.ensure_install(fresh, KeyStore(folder))
    key_transfer.import_keys(fresh, KeyStore(folder), kept.path, kept.code, ("", ""), "k")
    fresh.dispose()
    return config


def released_backup(signed, data_dir: Path) -> Path:
    office = signed.school.actors["office"]
    info = confiscation.confiscate(
        signed.sessions, office, signed.school.pupil_ids[0], "used in lesson", "In maths"
    )
    confiscation.release_to_parent(signed.sessions, office, info.id, "Ann Parent", "mother", True)
    config = Config(data_dir, f"sqlite:///{data_dir / 'kiosk.db'}", "kiosk-1", "", False)
    return backup.make_backup(config).path


def test_a_signed_backup_on_a_new_pc_needs_the_school_fingerprint(signed, data_dir, tmp_path):
    made = released_backup(signed, data_dir)
    new_pc = new_pc_with_keys(signed, tmp_path)
    with pytest.raises(RestoreRefused, match="recovery sheet"):
        restore.restore(new_pc, made, admin_name="Alex Admin", pin=ADMIN_PIN)
    with pytest.raises(RestoreRefused, match="not a fingerprint"):
        restore.restore(new_pc, made, admin_name="Alex Admin", pin=ADMIN_PIN, fingerprint="1234")
    done = restore.restore(
        new_pc,
        made,
        admin_name="Alex Admin",
        pin=ADMIN_PIN,
        fingerprint=show_fingerprint(signed.fingerprint),
    )
    assert done.events > 0


def test_a_backup_changed_and_rehashed_is_refused_by_its_signatures(signed, data_dir, tmp_path):
    made = released_backup(signed, data_dir)
    with signed.sessions() as session:
        release = session.scalars(
            select(AuditEvent.seq).where(AuditEvent.kind == "released_to_parent")
        ).one()
    with closing(sqlite3.connect(made)) as conn:  # the insider puts the triggers back after
        triggers = [
            sql for (sql,) in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'")
        ]
    tampered = open_database(f"sqlite:///{made}", migrate=False)
    rewrite_and_recompute(tampered.engine, release, released_to_name="Mallory")
    tampered.dispose()
    with closing(sqlite3.connect(made)) as conn:
        for sql in triggers:
            conn.execute(sql)
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    new_pc = new_pc_with_keys(signed, tmp_path)
    with pytest.raises(RestoreRefused, match="not signed under this school's audit fingerprint"):
        restore.restore(
            new_pc, made, admin_name="Alex Admin", pin=ADMIN_PIN, fingerprint=signed.fingerprint
        )
