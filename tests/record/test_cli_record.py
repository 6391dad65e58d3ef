"""verify-log and audit-keys as a school uses them: evidence copies, exit codes, handover
onto a new PC, anchors against a roll-back."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from cli_pins import pin_for
from sqlalchemy import select

from kiosk.__main__ import main
from kiosk.keystore import KeyStore
from kiosk.record import keys, seal
from kiosk.record.check import verify_record
from kiosk.services import audit, chain_check, custody
from tests.record.conftest import Signed


def _kiosk(*args: str) -> int:
    with pin_for(args):
        return main(list(args))


def _snapshot(engine_url_path: Path, to: Path) -> Path:
    """A consistent single-file copy, as `kiosk backup` makes."""
    source = sqlite3.connect(engine_url_path)
    target = sqlite3.connect(to)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return to


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_setup_prints_the_fingerprint_and_writes_the_sheet(
    school, data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "usb" / "recovery.pdf"
    assert _kiosk("audit-keys", "setup", "--as", "Alex Admin", "--sheet", str(sheet)) == 0
    said = capsys.readouterr().out
    assert "School audit fingerprint:" in said and "delete the file" in said
    assert sheet.read_bytes().startswith(b"%PDF")
    audit_keys = [n for n in KeyStore(data_dir).names() if n.startswith("audit-")]
    assert audit_keys == ["audit-signing-0"]  # no root key kept
    assert _kiosk("audit-keys", "fingerprint", "--as", "Alex Admin") == 0
    fingerprint = capsys.readouterr().out.split("(")[0]
    assert fingerprint.strip() and fingerprint.strip() in said
    assert _kiosk("verify-log", "--fingerprint", fingerprint) == 0
    out = capsys.readouterr().out
    assert "Audit chain intact" in out and "kiosk 'kiosk-1'" in out


def test_verifying_a_copy_leaves_its_bytes_unchanged(
    signed: Signed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    custody.hand_in(signed.sessions, signed.school.pupil_ids[0])
    copy = _snapshot(signed.data_dir / "kiosk.db", tmp_path / "evidence.db")
    before = _digest(copy)
    fingerprint = keys.show_fingerprint(signed.fingerprint)
    assert _kiosk("verify-log", "--db", str(copy), "--fingerprint", fingerprint) == 0
    assert "Audit chain intact" in capsys.readouterr().out
    assert _digest(copy) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("evidence")) == [
        "evidence.db"
    ]  # no -wal or -shm beside it


def test_a_broken_copy_exits_1_and_a_non_database_exits_2(
    signed: Signed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    custody.hand_in(signed.sessions, signed.school.pupil_ids[0])
    copy = _snapshot(signed.data_dir / "kiosk.db", tmp_path / "copy.db")
    conn = sqlite3.connect(copy)
    with conn:  # committed, but left in the copy's write-ahead log (the file stays open)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("DROP TRIGGER audit_events_no_update")
        conn.execute("UPDATE audit_events SET actor_name = 'Someone' WHERE seq = 2")
    assert Path(f"{copy}-wal").stat().st_size > 0
    assert _kiosk("verify-log", "--db", str(copy)) == 1
    out = capsys.readouterr().out
    assert "copy.db-wal beside the file was included" in out
    assert "BROKEN at event #2" in out
    conn.close()  # checkpointed into the file itself now
    assert _kiosk("verify-log", "--db", str(copy)) == 1
    assert "BROKEN at event #2" in capsys.readouterr().out
    csv = tmp_path / "custody.csv"
    csv.write_text("seq,at,kind\n1,2026-01-01,handed_in\n")
    assert _kiosk("verify-log", "--db", str(csv)) == 2
    err = capsys.readouterr().err
    assert "custody.csv is not a kiosk database" in err and "Traceback" not in err
    assert _kiosk("verify-log", "--db", str(tmp_path / "missing.db")) == 2
    assert _kiosk("verify-log", "--fingerprint", "not a key") == 2


def test_expect_fails_unless_the_printed_event_is_in_the_chain(
    signed: Signed, capsys: pytest.CaptureFixture[str]
) -> None:
    event = custody.hand_in(signed.sessions, signed.school.pupil_ids[0])
    del event
    with signed.sessions() as session:
        last = session.get(audit.AuditEvent, chain_check.verify(signed.sessions).last_seq)
        seq, hashed = last.seq, last.hash
    assert _kiosk("verify-log", "--expect", f"{seq}:{hashed}") == 0
    assert _kiosk("verify-log", "--expect", f"{seq}:{'0' * 64}") == 1
    assert "is not in this log" in capsys.readouterr().out
    assert _kiosk("verify-log", "--expect", f"{seq + 50}:{hashed}") == 1


def test_a_dead_pc_is_not_a_dead_chain(
    signed: Signed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The PC dies; a backup is restored on a new PC (no key store); the school's keys come
    from the exported key file kept in the safe (``kiosk keys import``); the recovery sheet
    signs a handover; the same chain goes on, verifiable under the same fingerprint."""
    from kiosk.services import key_transfer

    custody.hand_in(signed.sessions, signed.school.pupil_ids[0])
    safe = key_transfer.export_keys(
        signed.sessions, signed.school.actors["admin"], tmp_path / "keys-in-the-safe.json"
    )
    new_pc = tmp_path / "new-pc"
    new_pc.mkdir()
    _snapshot(signed.data_dir / "kiosk.db", new_pc / "kiosk.db")
    audit.HEAD_SIGNERS.pop(signed.engine, None)
    args = ("--data-dir", str(new_pc))
    env = pytest.MonkeyPatch()
    env.setenv("KIOSK_DATA_DIR", str(new_pc))
    env.setenv("KIOSK_NAME", "office-pc-2")
    env.setenv("KIOSK_RECOVERY_KEY", signed.recovery.private_hex)
    env.setenv("KIOSK_TRANSFER_CODE", safe.code)
    try:
        assert _kiosk(*args, "keys", "import", str(safe.path), "--as", "Alex Admin") == 0
        assert _kiosk(*args, "audit-keys", "handover", "--as", "Alex Admin") == 2
        assert "--replaces NAME is needed" in capsys.readouterr().err
        assert (
            _kiosk(*args, "audit-keys", "handover", "--as", "Alex Admin", "--replaces", "kiosk-1")
            == 0
        )
        assert "Kiosk 'office-pc-2' enrolled" in capsys.readouterr().out
        from kiosk.db import open_database

        sessions = open_database(f"sqlite:///{new_pc / 'kiosk.db'}")
        engine = sessions.engine
        sealer, why = seal.load(engine, KeyStore(new_pc), "office-pc-2")
        assert sealer is not None, why
        custody.hand_in(sessions, signed.school.pupil_ids[1])
        report = verify_record(sessions, signed.fingerprint)
        assert report.intact, report.describe()
        said = report.describe()
        assert "kiosk 'kiosk-1' (revoked)" in said
        assert "kiosk 'office-pc-2' (daily key 0)" in said
        with sessions() as session:
            kinds = set(session.scalars(select(audit.AuditEvent.kind)))
        assert "audit_key_handover" in kinds
        audit.HEAD_SIGNERS.pop(engine, None)
        engine.dispose()
    finally:
        env.undo()


def test_an_anchor_catches_a_roll_back_to_an_old_backup(
    signed: Signed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    anchors = tmp_path / "share"
    signed.sealer.anchor_dir = anchors
    custody.hand_in(signed.sessions, signed.school.pupil_ids[0])
    old = _snapshot(signed.data_dir / "kiosk.db", tmp_path / "old-backup.db")
    signed.sealer.rotate(signed.sessions)  # the day's final head goes to the share
    custody.hand_in(signed.sessions, signed.school.pupil_ids[1])
    assert [p.name.endswith(".anchor.json") for p in anchors.iterdir()] == [True]
    assert verify_record(signed.sessions, signed.fingerprint, anchor_dir=anchors).intact
    # the old backup is intact on its own, but not against the anchor written later
    assert _kiosk("verify-log", "--db", str(old), "--fingerprint", signed.fingerprint) == 0
    capsys.readouterr()
    status = _kiosk(
        "verify-log",
        "--db",
        str(old),
        "--fingerprint",
        signed.fingerprint,
        "--anchors",
        str(anchors),
    )
    assert status == 1
    assert "the log was rolled back or rewritten" in capsys.readouterr().out
    shutil.rmtree(anchors)


def test_a_copy_from_before_the_signed_record_is_checked_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.record.test_legacy_chain import old_database

    old = tmp_path / "old-backup.db"
    old_database(old).dispose()
    before = _digest(old)
    assert _kiosk("verify-log", "--db", str(old)) == 0
    out = capsys.readouterr().out
    assert "an earlier version: checked on an upgraded temporary copy" in out
    assert "Audit chain intact: 5 events" in out and "This log is not signed" in out
    assert _digest(old) == before


def test_rotate_and_a_wrong_recovery_key_from_the_command_line(
    signed: Signed, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    audit.HEAD_SIGNERS.pop(signed.engine, None)  # the command line signs for itself
    assert _kiosk("audit-keys", "rotate", "--as", "Alex Admin") == 0
    assert "now signs with daily key 1" in capsys.readouterr().out
    audit_keys = [n for n in KeyStore(signed.data_dir).names() if n.startswith("audit-")]
    assert audit_keys == ["audit-signing-1"]
    wrong = keys.private_hex(keys.new_private_key())
    monkeypatch.setenv("KIOSK_RECOVERY_KEY", wrong)
    assert _kiosk("audit-keys", "revoke", "--kiosk", "kiosk-1", "--as", "Alex Admin") == 2
    assert "that recovery key is not this school's" in capsys.readouterr().err
    assert _kiosk("audit-keys", "rotate", "--as", "Olivia Office") == 2
    assert "only an admin" in capsys.readouterr().err
    assert _kiosk("verify-log", "--fingerprint", signed.fingerprint) == 0
    assert "(daily key 1)" in capsys.readouterr().out
