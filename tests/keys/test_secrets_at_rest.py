"""The card key and the PIN pepper live in the key store, not the database: a copy of the
database (or a backup) holds neither, and its PIN records cannot be checked against guesses.
Databases from before the key store keep their cards and PINs working."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import delete, select, update

from kiosk.config import Config, UnsafeDataDir, ensure_data_dir, load_config
from kiosk.db import open_database
from kiosk.demo import DEMO_STAFF
from kiosk.errors import WrongPin
from kiosk.keystore import KeyStore
from kiosk.services import backup, cards, pin_seal, school_keys, settings, staff
from kiosk.services.school_keys import CARD_ID, PEPPER_ID, MissingKeys
from kiosk.tables import Setting, Staff

PINS = {member.name: member.pin for member in DEMO_STAFF}


def keys_of(sessions) -> school_keys.SchoolKeys:
    with sessions() as session:
        return school_keys.of(session.connection())


def office(school) -> tuple[int, str]:
    return school.actors["office"].id, PINS["Olivia Office"]


def test_a_copy_of_the_database_holds_no_key_and_no_pin_record_a_guess_can_be_checked_against(
    school, sessions, data_dir, tmp_path
):
    keys = keys_of(sessions)
    stolen = tmp_path / "stolen.db"  # all an insider with the database (or a backup) has
    with sqlite3.connect(data_dir / "kiosk.db") as source, sqlite3.connect(stolen) as copy:
        source.backup(copy)
    raw = stolen.read_bytes()
    for secret in (keys.card_secret, keys.pin_pepper):
        assert secret not in raw and secret.hex().encode() not in raw
    staff_id, pin = office(school)
    with sqlite3.connect(stolen) as conn:
        assert conn.execute("SELECT 1 FROM settings WHERE key = 'card_secret'").fetchone() is None
        role, stored = conn.execute(
            "SELECT role, pin_hash FROM staff WHERE id = ?", (staff_id,)
        ).fetchone()
    # The offline search: every guess, the right PIN included, has nothing to be checked on.
    hasher = PasswordHasher()
    for guess in ("0000", "1234", "9999", pin):
        with pytest.raises(InvalidHashError):
            hasher.verify(stored, guess)
    assert pin_seal.unseal(os.urandom(32), stored, staff_id, role) is None  # a guessed key
    # With the key store (the kiosk itself), the right PIN and only it opens.
    inner = pin_seal.unseal(keys.pin_pepper, stored, staff_id, role)
    assert inner is not None and hasher.verify(inner, pin)
    with pytest.raises(VerifyMismatchError):
        hasher.verify(inner, "1234")


def test_a_backup_carries_no_key(school, sessions, data_dir, database_url):
    keys = keys_of(sessions)
    made = backup.make_backup(Config(data_dir, database_url, "kiosk-1", "", False))
    raw = made.path.read_bytes()
    for secret in (keys.card_secret, keys.pin_pepper):
        assert secret not in raw and secret.hex().encode() not in raw
    assert not any(p.name == "keys" for p in made.path.parent.iterdir())


def make_it_an_old_database(sessions, engine, data_dir, keys) -> None:
    """The state an earlier version left: the card key in the settings table, PIN hashes
    plain argon2id, no key ids, no key store."""
    with sessions.begin() as session:
        session.add(Setting(key="card_secret", value=keys.card_secret.hex()))
        session.execute(delete(Setting).where(Setting.key.in_((CARD_ID, PEPPER_ID))))
        for member in session.scalars(select(Staff)):
            member.pin_hash = staff.hash_pin(PINS[member.name])
    shutil.rmtree(data_dir / "keys")
    school_keys.forget(engine)


def test_an_old_database_keeps_its_cards_and_pins_when_the_keys_move_out(
    school, sessions, engine, data_dir
):
    before = keys_of(sessions)
    make_it_an_old_database(sessions, engine, data_dir, before)
    moved = settings.ensure_install(sessions, KeyStore(data_dir))
    assert moved.card_secret == before.card_secret  # the same key: printed cards stay valid
    assert KeyStore(data_dir).read("card_secret") == before.card_secret
    with sessions() as session:
        assert session.get(Setting, "card_secret") is None  # and gone from the database
        hashes = list(session.scalars(select(Staff.pin_hash)))
    assert all(pin_seal.is_sealed(h) for h in hashes)
    pupil_id, text = next(iter(school.card_texts.items()))
    with engine.connect() as conn:
        assert cards.card_holder(conn, text).id == pupil_id
    staff_id, pin = office(school)
    assert staff.check_pin(sessions, staff_id, pin, terminal="kiosk-1").name == "Olivia Office"


def test_a_plain_pin_hash_written_into_the_database_opens_nothing_even_after_a_restart(
    school, sessions, engine, data_dir
):
    admin = school.actors["admin"]
    with sessions.begin() as session:  # an insider sets a PIN they know on the admin
        session.execute(
            update(Staff).where(Staff.id == admin.id).values(pin_hash=staff.hash_pin("0000"))
        )
    school_keys.forget(engine)
    settings.ensure_install(sessions, KeyStore(data_dir))  # the kiosk restarts
    with pytest.raises(WrongPin):
        staff.check_pin(sessions, admin.id, "0000", terminal="kiosk-1")


def test_an_account_promoted_by_editing_the_database_loses_its_pin(school, sessions):
    staff_id, pin = office(school)
    with sessions.begin() as session:
        session.execute(update(Staff).where(Staff.id == staff_id).values(role="admin"))
    with pytest.raises(WrongPin):
        staff.check_pin(sessions, staff_id, pin, terminal="kiosk-1")


def test_a_role_changed_through_the_kiosk_keeps_the_pin(school, sessions):
    staff_id, pin = office(school)
    staff.set_role(sessions, school.actors["admin"], staff_id, "senior")
    assert staff.check_pin(sessions, staff_id, pin, terminal="kiosk-1").role == "senior"


def test_a_sealed_pin_copied_onto_another_account_opens_nothing(school, sessions):
    staff_id, pin = office(school)
    admin = school.actors["admin"]
    with sessions.begin() as session:
        copied = session.get(Staff, staff_id).pin_hash
        session.execute(update(Staff).where(Staff.id == admin.id).values(pin_hash=copied))
    with pytest.raises(WrongPin):
        staff.check_pin(sessions, admin.id, pin, terminal="kiosk-1")


def test_a_kiosk_without_the_keys_refuses_to_start_rather_than_make_new_ones(
    school, sessions, database_url, tmp_path
):
    other = open_database(database_url)  # a second kiosk on the same database
    engine = other.engine
    try:
        with pytest.raises(MissingKeys, match="kiosk keys import FILE"):
            settings.ensure_install(other, KeyStore(tmp_path / "kiosk-2"))
        assert KeyStore(tmp_path / "kiosk-2").names() == []
    finally:
        engine.dispose()


def test_the_data_folder_and_database_files_are_made_private_at_start(tmp_path):
    data = tmp_path / "data"
    (data / "backups").mkdir(parents=True)
    loose = [data, data / "backups"]
    for folder in loose:
        folder.chmod(0o755)
    (data / "kiosk.db").write_bytes(b"")
    (data / "backups" / "kiosk-20260101-070000-auto.db").write_bytes(b"")
    for file in (data / "kiosk.db", data / "backups" / "kiosk-20260101-070000-auto.db"):
        file.chmod(0o644)
    ensure_data_dir(load_config(data))
    for folder in loose:
        assert folder.stat().st_mode & 0o777 == 0o700
    assert (data / "kiosk.db").stat().st_mode & 0o777 == 0o600
    assert (data / "backups" / "kiosk-20260101-070000-auto.db").stat().st_mode & 0o777 == 0o600


def test_a_new_database_and_its_wal_are_private_from_the_first_byte(tmp_path):
    config = load_config(tmp_path / "new")
    ensure_data_dir(config)
    sessions = open_database(config.database_url)
    engine = sessions.engine
    try:
        settings.ensure_install(sessions, KeyStore(config.data_dir))
        for name in ("kiosk.db", "kiosk.db-wal", "kiosk.db-shm"):
            assert (config.data_dir / name).stat().st_mode & 0o777 == 0o600, name
        assert (config.data_dir / "keys").stat().st_mode & 0o777 == 0o700
    finally:
        engine.dispose()


def test_permissions_that_cannot_be_fixed_refuse_the_start_in_words(tmp_path, monkeypatch):
    data = tmp_path / "shared"
    data.mkdir()
    data.chmod(0o775)

    def not_yours(path: Path, mode: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "chmod", not_yours)
    with pytest.raises(UnsafeDataDir, match=r"can be read by other users.*chmod 700"):
        ensure_data_dir(load_config(data))
