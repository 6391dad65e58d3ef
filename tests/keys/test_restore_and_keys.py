"""A restore brings back records, not keys: a backup from before the key store (card key in
the settings table, plain PIN hashes) restores with its cards and PINs working, without a
plain hash the live records do not vouch for becoming usable."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.config import Config
from kiosk.demo import DEMO_STAFF
from kiosk.errors import WrongPin
from kiosk.services import backup, cards, pin_seal, restore, school_keys, staff
from kiosk.services.restore import RestoreRefused
from kiosk.tables import Setting, Staff

PINS = {member.name: member.pin for member in DEMO_STAFF}


@pytest.fixture
def config(data_dir: Path, database_url: str) -> Config:
    return Config(data_dir, database_url, "kiosk-1", "", False)


def as_before_the_key_store(path: Path, card_secret: bytes, plain: dict[str, str]) -> None:
    """What a backup made by an earlier version holds."""
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO settings VALUES ('card_secret', ?)", (card_secret.hex(),))
        conn.execute(
            "DELETE FROM settings WHERE key IN (?, ?)", (school_keys.CARD_ID, school_keys.PEPPER_ID)
        )
        for name, argon2_hash in plain.items():
            conn.execute("UPDATE staff SET pin_hash = ? WHERE name = ?", (argon2_hash, name))


def plain_hashes(sessions) -> dict[str, str]:
    with sessions() as session:
        keys = school_keys.of(session.connection())
        rows = session.execute(select(Staff.id, Staff.name, Staff.role, Staff.pin_hash)).all()
    return {name: pin_seal.unseal(keys.pin_pepper, h, i, role) for i, name, role, h in rows}


def test_an_old_format_backup_restores_with_its_cards_and_pins(school, sessions, engine, config):
    with sessions() as session:
        keys = school_keys.of(session.connection())
    made = backup.make_backup(config).path
    as_before_the_key_store(made, keys.card_secret, plain_hashes(sessions))
    done = restore.restore(config, made, admin_name="Alex Admin", pin=PINS["Alex Admin"])
    assert done.accounts_without_pin == ()
    with sessions() as session:
        assert session.get(Setting, "card_secret") is None
        assert session.get(Setting, school_keys.CARD_ID).value == keys.card_id
    for name, pin in PINS.items():
        member = next(m for m in staff.list_staff(sessions) if m.name == name)
        assert staff.check_pin(sessions, member.id, pin, terminal="kiosk-1").name == name
    pupil_id, text = next(iter(school.card_texts.items()))
    with engine.connect() as conn:
        assert cards.card_holder(conn, text).id == pupil_id


def test_a_plain_pin_hash_slipped_into_an_old_format_backup_stays_unusable(
    school, sessions, config
):
    with sessions() as session:
        keys = school_keys.of(session.connection())
    made = backup.make_backup(config).path
    plain = plain_hashes(sessions)
    plain["Olivia Office"] = staff.hash_pin("0000")  # a PIN the insider knows
    as_before_the_key_store(made, keys.card_secret, plain)
    done = restore.restore(config, made, admin_name="Alex Admin", pin=PINS["Alex Admin"])
    assert done.accounts_without_pin == ("Olivia Office",)
    office = next(m for m in staff.list_staff(sessions) if m.name == "Olivia Office")
    with pytest.raises(WrongPin):
        staff.check_pin(sessions, office.id, "0000", terminal="kiosk-1")


def test_an_old_format_backup_with_another_card_key_is_refused(school, sessions, config):
    made = backup.make_backup(config).path
    as_before_the_key_store(made, b"\x01" * 32, plain_hashes(sessions))
    with pytest.raises(RestoreRefused, match="another install's card key"):
        restore.restore(config, made, admin_name="Alex Admin", pin=PINS["Alex Admin"])


def test_a_new_pc_imports_the_keys_then_restores_the_newest_backup(
    school, sessions, engine, config, tmp_path
):
    """The dead-PC story: the exported key file from the safe, a fresh install, the backup."""
    from kiosk.db import open_database
    from kiosk.keystore import KeyStore
    from kiosk.services import key_transfer, settings

    admin = school.actors["admin"]
    kept = key_transfer.export_keys(sessions, admin, tmp_path / "safe-keys.json")
    made = backup.make_backup(config).path
    engine.dispose()
    new_pc = Config(
        tmp_path / "new-pc", f"sqlite:///{tmp_path / 'new-pc' / 'kiosk.db'}", "k", "", False
    )
    (tmp_path / "new-pc").mkdir()
    fresh = open_database(new_pc.database_url)
    fresh_engine = fresh.engine
    settings.ensure_install(fresh, KeyStore(new_pc.data_dir))  # started once before the import
    with pytest.raises(RestoreRefused, match="keys the backup's PINs were made with"):
        restore.restore(new_pc, made, admin_name="Alex Admin", pin=PINS["Alex Admin"])
    key_transfer.import_keys(fresh, KeyStore(new_pc.data_dir), kept.path, kept.code, ("", ""), "k")
    fresh_engine.dispose()
    with pytest.raises(RestoreRefused, match="Wrong PIN"):
        restore.restore(new_pc, made, admin_name="Alex Admin", pin="0000")
    done = restore.restore(new_pc, made, admin_name="Alex Admin", pin=PINS["Alex Admin"])
    assert done.events > 0
    restored = open_database(new_pc.database_url)
    restored_engine = restored.engine
    try:
        settings.ensure_install(restored, KeyStore(new_pc.data_dir))
        pupil_id, text = next(iter(school.card_texts.items()))
        with restored_engine.connect() as conn:
            assert cards.card_holder(conn, text).id == pupil_id
        office = next(m for m in staff.list_staff(restored) if m.name == "Olivia Office")
        assert (
            staff.check_pin(restored, office.id, PINS["Olivia Office"], terminal="kiosk-1").name
            == "Olivia Office"
        )
    finally:
        restored_engine.dispose()
