"""Several kiosks, one school: the keys travel in a sealed file an admin exports and
imports (by PIN); the card key can be changed, old cards honoured for a grace period."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from new_cards import current_card_text
from sqlalchemy import select

from kiosk.__main__ import main
from kiosk.clock import utcnow
from kiosk.db import open_database
from kiosk.demo import DEMO_PINS
from kiosk.errors import UnknownCard
from kiosk.keystore import KeyStore
from kiosk.services import card_keys, cards, key_transfer, school_keys, settings
from kiosk.services.key_transfer import KeyTransferRefused
from kiosk.tables import AuditEvent

ADMIN, ADMIN_PIN = ("Alex Admin", DEMO_PINS["admin"])


@pytest.fixture
def second_kiosk(database_url, tmp_path):
    """Another kiosk on the same database, with a key store of its own (empty)."""
    sessions = open_database(database_url)
    engine = sessions.engine
    yield sessions, KeyStore(tmp_path / "kiosk-2")
    engine.dispose()


def kinds(sessions, *wanted: str) -> list[str]:
    with sessions() as session:
        query = select(AuditEvent.kind).where(AuditEvent.kind.in_(wanted)).order_by(AuditEvent.seq)
        return list(session.scalars(query))


def test_a_second_kiosk_gets_the_keys_by_export_and_import_with_an_admin_pin(
    school, sessions, second_kiosk, tmp_path
):
    other, store = second_kiosk
    exported = key_transfer.export_keys(sessions, school.actors["admin"], tmp_path / "keys.json")
    assert exported.path.stat().st_mode & 0o777 == 0o600
    assert len(exported.code.replace("-", "")) == 20
    with sessions() as session:
        keys = school_keys.of(session.connection())
    assert keys.card_secret.hex() not in exported.path.read_text()  # sealed
    with pytest.raises(KeyTransferRefused, match="transfer code does not open"):
        key_transfer.import_keys(other, store, exported.path, "AAAA-BBBB", (ADMIN, ADMIN_PIN), "k2")
    with pytest.raises(KeyTransferRefused, match="Wrong PIN"):
        key_transfer.import_keys(other, store, exported.path, exported.code, (ADMIN, "0000"), "k2")
    with pytest.raises(KeyTransferRefused, match="role does not allow"):
        login = ("Olivia Office", DEMO_PINS["office"])
        key_transfer.import_keys(other, store, exported.path, exported.code, login, "k2")
    assert store.names() == []  # nothing written by a refused import
    key_transfer.import_keys(other, store, exported.path, exported.code, (ADMIN, ADMIN_PIN), "k2")
    assert store.read("card_secret") == keys.card_secret
    assert store.read("pin_pepper") == keys.pin_pepper
    assert settings.ensure_install(other, store) == keys  # the second kiosk now starts
    pupil_id, text = next(iter(school.card_texts.items()))
    with other.connect() as conn:
        assert cards.card_holder(conn, text).id == pupil_id
    assert kinds(sessions, "keys_exported", "keys_imported") == ["keys_exported", "keys_imported"]


def test_a_key_file_from_before_a_card_key_change_is_refused(
    school, sessions, second_kiosk, tmp_path, data_dir
):
    other, store = second_kiosk
    admin = school.actors["admin"]
    old = key_transfer.export_keys(sessions, admin, tmp_path / "old.json")
    card_keys.rotate(sessions, admin, KeyStore(data_dir))
    with pytest.raises(KeyTransferRefused, match="before the card key was last changed"):
        key_transfer.import_keys(other, store, old.path, old.code, (ADMIN, ADMIN_PIN), "k2")


def test_not_a_key_file_is_refused_in_words(school, second_kiosk, tmp_path):
    other, store = second_kiosk
    bogus = tmp_path / "notes.json"
    bogus.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(KeyTransferRefused, match=r"notes\.json is not a kiosk key file"):
        key_transfer.import_keys(other, store, bogus, "CODE", (ADMIN, ADMIN_PIN), "k2")


def test_a_new_card_key_honours_old_cards_for_the_grace_period_then_refuses_them(
    school, sessions, engine, data_dir
):
    admin = school.actors["admin"]
    pupil_id, old_text = next(iter(school.card_texts.items()))
    now = utcnow().replace(tzinfo=None)
    until = card_keys.rotate(sessions, admin, KeyStore(data_dir), now=now)
    assert until == now.replace(microsecond=0) + dt.timedelta(days=14) or until > now
    with engine.connect() as conn:
        assert cards.card_holder(conn, old_text).id == pupil_id  # within the grace period
        keys = card_keys.card_keys(conn)
    later = until + dt.timedelta(seconds=1)
    with pytest.raises(UnknownCard, match="printed before the school changed its card key"):
        card_keys.read_card(old_text, keys, now=later)
    with sessions() as session:
        new_text = current_card_text(session, pupil_id)
    assert new_text != old_text
    assert card_keys.read_card(new_text, keys, now=later).pupil_id == pupil_id
    assert kinds(sessions, card_keys.CHANGED_KIND) == [card_keys.CHANGED_KIND]


def test_a_kiosk_whose_card_key_is_out_of_date_says_so_at_the_scan(
    school, sessions, second_kiosk, tmp_path, data_dir
):
    other, store = second_kiosk
    admin = school.actors["admin"]
    exported = key_transfer.export_keys(sessions, admin, tmp_path / "keys.json")
    key_transfer.import_keys(other, store, exported.path, exported.code, (ADMIN, ADMIN_PIN), "k2")
    card_keys.rotate(sessions, admin, KeyStore(data_dir))  # on the first kiosk
    _pupil_id, text = next(iter(school.card_texts.items()))
    with other.connect() as conn, pytest.raises(UnknownCard, match="current card key"):
        cards.card_holder(conn, text)


def test_keys_export_and_import_from_the_command_line(
    school, engine, data_dir, tmp_path, monkeypatch, capsys
):
    engine.dispose()
    monkeypatch.setenv("KIOSK_PIN", ADMIN_PIN)
    out = tmp_path / "keys.json"
    assert (
        main(["--data-dir", str(data_dir), "keys", "export", "--as", ADMIN, "--out", str(out)]) == 0
    )
    printed = capsys.readouterr().out
    code = printed.split("transfer code:")[1].split()[0]
    kiosk2 = tmp_path / "kiosk-2"
    kiosk2.mkdir()
    (kiosk2 / "config.toml").write_text(f'database_url = "sqlite:///{data_dir / "kiosk.db"}"\n')
    monkeypatch.setenv("KIOSK_TRANSFER_CODE", code)
    args = ["--data-dir", str(kiosk2), "keys", "import", str(out), "--as", ADMIN]
    assert main(args) == 0, capsys.readouterr().err
    assert KeyStore(kiosk2).read("card_secret") == KeyStore(data_dir).read("card_secret")
    assert main(["--data-dir", str(kiosk2), "keys", "show"]) == 0
    shown = capsys.readouterr().out
    assert "card key id" in shown and KeyStore(data_dir).read("card_secret").hex() not in shown
    monkeypatch.setenv("KIOSK_PIN", "9999")
    refused = main(["--data-dir", str(data_dir), "cards", "rotate-secret", "--as", ADMIN])
    assert refused == 2 and "Wrong PIN" in capsys.readouterr().err
    monkeypatch.setenv("KIOSK_PIN", ADMIN_PIN)
    assert main(["--data-dir", str(data_dir), "cards", "rotate-secret", "--as", ADMIN]) == 0
    assert "kiosk cards --all" in capsys.readouterr().out


def test_the_grace_period_is_a_school_setting(school, sessions):
    settings.update(sessions, school.actors["admin"], {"card_grace_days": "3"})
    with pytest.raises(Exception, match="from 0 to 90"):
        settings.update(sessions, school.actors["admin"], {"card_grace_days": "365"})
