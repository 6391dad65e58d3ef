"""The signed record against an insider: each attack of issue 14, and what verify says."""

from __future__ import annotations

import datetime as dt

import pytest
from audit_guard import disable_audit_guard
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kiosk.errors import AuditChainDamaged
from kiosk.record import keys, lines, seal
from kiosk.record.check import verify_record
from kiosk.services import audit, chain_check, confiscation, custody
from tests.record.attacks import (
    forge_event,
    recompute_from,
    resign_head,
    rewrite_and_recompute,
)
from tests.record.conftest import Signed


def _confiscate_and_release(signed: Signed) -> int:
    """A confiscated phone released to a named parent: returns that event's seq."""
    actors, pupil = signed.school.actors, signed.school.pupil_ids[3]
    held = confiscation.confiscate(signed.sessions, actors["senior"], pupil, "used in lesson")
    confiscation.release_to_parent(
        signed.sessions, actors["office"], held.id, "Mrs Ada Carter", "mother", True
    )
    return int(chain_check.verify(signed.sessions).last_seq or 0)


def _hand_ins(signed: Signed, count: int, start: int = 0) -> None:
    for pupil in signed.school.pupil_ids[start : start + count]:
        custody.hand_in(signed.sessions, pupil)


def test_a_signed_log_verifies_and_names_the_signing_kiosk(signed: Signed) -> None:
    _hand_ins(signed, 5)
    report = verify_record(signed.sessions, signed.fingerprint)
    assert report.intact, report.describe()
    said = report.describe()
    assert "kiosk 'kiosk-1' (daily key 0): signed the log up to event #" in said
    assert keys.show_fingerprint(signed.fingerprint) in said
    assert "could have been altered by whoever holds the current key of kiosk 'kiosk-1'" in said


def test_rewrite_and_recompute_is_caught_by_the_signature(signed: Signed) -> None:
    released = _confiscate_and_release(signed)
    _hand_ins(signed, 3)
    rewrite_and_recompute(signed.engine, released, name="Mr Nobody", relationship="uncle")
    assert chain_check.verify(signed.sessions).intact  # the hash chain alone is fooled
    report = verify_record(signed.sessions, signed.fingerprint)
    assert not report.intact
    assert "kiosk 'kiosk-1' signed the log as far as event #" in report.problem
    assert "the log no longer holds that event as signed: it was removed or changed" in (
        report.problem
    )


def test_a_rewrite_before_today_is_caught_even_with_todays_key(signed: Signed) -> None:
    released = _confiscate_and_release(signed)
    signed.sealer.rotate(signed.sessions)  # a new school day: yesterday's key is erased
    _hand_ins(signed, 2)
    rewrite_and_recompute(signed.engine, released, name="Mr Nobody")
    resign_head(signed.engine, signed.sealer)  # the thief re-signs with today's key
    report = verify_record(signed.sessions, signed.fingerprint)
    assert not report.intact
    assert "new daily key is not signed by its previous key" in report.problem


def test_after_a_rotation_verify_says_from_when_the_current_key_could_alter(
    signed: Signed,
) -> None:
    _hand_ins(signed, 2)
    epoch = signed.sealer.rotate(signed.sessions)
    _hand_ins(signed, 2, start=2)
    assert epoch == 1
    audit_keys = [n for n in signed.store.names() if n.startswith("audit-")]
    assert audit_keys == ["audit-signing-1"]  # yesterday's key is gone
    report = verify_record(signed.sessions, signed.fingerprint)
    assert report.intact, report.describe()
    with signed.sessions() as session:
        since = session.scalar(
            text("SELECT max(seq) FROM audit_events WHERE kind = :k"), {"k": lines.EPOCH}
        )
    assert f"From event #{since} (" in report.describe()
    assert f"Events #1 to #{since - 1} (up to" in report.describe()


@pytest.mark.parametrize("seq", [0, -5])
def test_an_event_numbered_zero_or_below_is_refused_and_caught(signed: Signed, seq: int) -> None:
    insert = text(
        "INSERT INTO audit_events (seq, at, kind, details, details_digest, redacted,"
        " prev_hash, hash) VALUES (:s, '2026-01-01 00:00:00.000000', 'collected', '{}',"
        " 'x', 0, :z, :h)"
    )
    values = {"s": seq, "z": audit.GENESIS_HASH, "h": f"{abs(seq) + 7:064x}"}
    with pytest.raises(DBAPIError), signed.engine.begin() as conn:
        conn.execute(insert, values)  # CHECK (seq > 0)
    with signed.engine.begin() as conn:  # an insider with the file switches checks off
        conn.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
        conn.execute(insert, values)
    report = verify_record(signed.sessions, signed.fingerprint)
    assert not report.intact
    assert f"BROKEN at event #{seq}: it is numbered 0 or below, outside the chain" in (
        report.describe()
    )


def test_redact_and_cover_with_a_forged_purge_is_caught(signed: Signed) -> None:
    released = _confiscate_and_release(signed)
    pupil = signed.school.pupil_ids[3]
    disable_audit_guard(signed.engine)
    with signed.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE audit_events SET details = :d, details_salt = NULL, redacted = 1"
                " WHERE pupil_id = :p"
            ),
            {"d": audit.REDACTED_DETAILS, "p": pupil},
        )
        redacted = [r[0] for r in conn.execute(text("SELECT seq FROM audit_events WHERE redacted"))]
    assert released in redacted
    from kiosk.services.retention import seq_ranges

    cover = {
        audit.PURGE_RANGES_KEY: seq_ranges(redacted),
        audit.PURGE_PUPILS_KEY: [[pupil, pupil]],
    }
    forged = forge_event(signed.engine, audit.PURGE_KIND, cover)
    assert chain_check.verify(signed.sessions).intact  # the hash chain alone is fooled
    report = verify_record(signed.sessions, signed.fingerprint)
    assert not report.intact
    assert f"events #{forged} to #{forged} are not signed by any kiosk" in report.problem


def test_redact_and_cover_is_caught_on_an_unsigned_log_too(school, sessions, engine) -> None:
    pupil = school.pupil_ids[3]
    custody.hand_in(sessions, pupil)
    disable_audit_guard(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE audit_events SET details = :d, details_salt = NULL, redacted = 1"
                " WHERE pupil_id = :p"
            ),
            {"d": audit.REDACTED_DETAILS, "p": pupil},
        )
        seqs = [r[0] for r in conn.execute(text("SELECT seq FROM audit_events WHERE redacted"))]
    cover = {
        audit.PURGE_RANGES_KEY: [[min(seqs), max(seqs)]],
        audit.PURGE_PUPILS_KEY: [[pupil, pupil]],
    }
    forge_event(engine, audit.PURGE_KIND, cover)
    report = verify_record(sessions)
    assert not report.intact
    assert "that pupil's record is still there: the purge that claims it is forged" in (
        report.problem
    )


def test_removing_the_newest_events_and_the_head_does_not_heal(signed: Signed) -> None:
    _hand_ins(signed, 4)
    last = chain_check.verify(signed.sessions).last_seq
    disable_audit_guard(signed.engine)
    with signed.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq >= :s"), {"s": last - 1})
        conn.execute(text("DELETE FROM settings WHERE key = :k"), {"k": audit.HEAD_KEY})
    with pytest.raises(AuditChainDamaged):
        custody.hand_in(signed.sessions, signed.school.pupil_ids[10])  # no fallback
    with signed.engine.begin() as conn:  # a cleverer insider writes a matching head too
        newest = conn.execute(
            text("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        ).one()
        conn.execute(
            text("INSERT INTO settings (key, value) VALUES (:k, :v)"),
            {"k": audit.HEAD_KEY, "v": f"{newest.seq}:{newest.hash}"},
        )
    assert chain_check.verify(signed.sessions).intact
    with pytest.raises(AuditChainDamaged):
        custody.hand_in(signed.sessions, signed.school.pupil_ids[10])  # behind the signed head
    report = verify_record(signed.sessions, signed.fingerprint)
    assert not report.intact
    assert f"signed the log as far as event #{last}" in report.problem


def test_deleting_the_signed_head_too_is_caught(signed: Signed) -> None:
    _hand_ins(signed, 2)
    disable_audit_guard(signed.engine)
    with signed.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_heads"))
    report = verify_record(signed.sessions, signed.fingerprint)
    assert not report.intact
    assert "kiosk 'kiosk-1''s newest signed head is missing" in report.problem


def test_a_log_with_another_root_fails_against_the_school_fingerprint(signed: Signed) -> None:
    other = keys.public_hex(keys.new_private_key())
    report = verify_record(signed.sessions, other)
    assert not report.intact
    assert "is not the school's audit fingerprint" in report.problem


def test_stripping_every_signature_fails_against_the_fingerprint(school, sessions) -> None:
    custody.hand_in(sessions, school.pupil_ids[0])
    fingerprint = keys.public_hex(keys.new_private_key())
    report = verify_record(sessions, fingerprint)
    assert not report.intact
    assert "this log carries no signatures" in report.problem
    assert verify_record(sessions).intact  # without a fingerprint: intact, but said unsigned
    assert "This log is not signed" in verify_record(sessions).describe()


def test_expected_events_from_receipts(signed: Signed) -> None:
    released = _confiscate_and_release(signed)
    with signed.sessions() as session:
        printed = session.get(audit.AuditEvent, released).hash
    assert verify_record(signed.sessions, signed.fingerprint, [(released, printed)]).intact
    rewrite_and_recompute(signed.engine, released, name="Mr Nobody")
    report = verify_record(signed.sessions, None, [(released, printed)])
    assert not report.intact
    assert f"event #{released} with hash {printed[:12]}" in report.problem


def test_a_revoked_kiosk_that_goes_on_signing_is_caught(signed: Signed) -> None:
    _hand_ins(signed, 2)
    admin = signed.school.actors["admin"]
    seal.revoke(signed.sessions, "kiosk-1", signed.recovery.private_hex, admin)
    with pytest.raises(AuditChainDamaged):  # the revoked kiosk records nothing more
        custody.hand_in(signed.sessions, signed.school.pupil_ids[9])
    with signed.engine.begin() as conn:  # its thief puts a signed head back by hand
        seq, hashed, _ = audit._chain_end(conn)
        conn.execute(
            text(
                "INSERT INTO audit_heads (line, epoch, seq, hash, signature)"
                " VALUES (:line, :epoch, :seq, :hash, :signature)"
            ),
            signed.sealer._head(seq, hashed),
        )
    report = verify_record(signed.sessions, signed.fingerprint)
    assert not report.intact
    assert "kiosk 'kiosk-1''s newest signed head lies outside its key's time" in report.problem


def test_two_kiosks_on_one_database_each_sign_under_the_school_root(
    signed: Signed, tmp_path
) -> None:
    from kiosk.db import open_database
    from kiosk.keystore import KeyStore

    sessions = open_database(f"sqlite:///{signed.data_dir / 'kiosk.db'}")
    engine = sessions.engine
    store = KeyStore(tmp_path / "second-kiosk")
    admin = signed.school.actors["admin"]
    try:
        seal.enrol(sessions, store, "office-2", signed.recovery.private_hex, admin)
        second, why = seal.load(engine, store, "office-2")
        assert second is not None, why
        custody.hand_in(signed.sessions, signed.school.pupil_ids[0])  # kiosk-1
        custody.hand_in(sessions, signed.school.pupil_ids[1])  # office-2
        custody.hand_in(signed.sessions, signed.school.pupil_ids[2])  # kiosk-1
        report = verify_record(signed.sessions, signed.fingerprint)
        assert report.intact, report.describe()
        assert "kiosk 'kiosk-1' (daily key 0): signed the log up to" in report.describe()
        assert "kiosk 'office-2' (daily key 0): signed the log up to" in report.describe()
        with pytest.raises(seal.NotSetUp, match="enrolled before"):
            seal.enrol(sessions, store, "office-2", signed.recovery.private_hex, admin)
    finally:
        audit.HEAD_SIGNERS.pop(engine, None)
        engine.dispose()


def test_a_wrong_recovery_key_changes_nothing(signed: Signed) -> None:
    wrong = keys.private_hex(keys.new_private_key())
    with pytest.raises(seal.NotSetUp, match="not this school's"):
        seal.revoke(signed.sessions, "kiosk-1", wrong, signed.school.actors["admin"])
    assert verify_record(signed.sessions, signed.fingerprint).intact


def test_rotation_is_due_on_a_new_school_day(signed: Signed) -> None:
    today = signed.sealer.since
    assert not signed.sealer.rotation_due(today + dt.timedelta(minutes=1))
    assert signed.sealer.rotation_due(today + dt.timedelta(days=1))


def test_recompute_helper_is_faithful(signed: Signed) -> None:
    _hand_ins(signed, 2)
    disable_audit_guard(signed.engine)
    with signed.engine.begin() as conn:
        recompute_from(conn, 1)
    assert verify_record(signed.sessions, signed.fingerprint).intact


def test_a_running_kiosk_will_not_sign_over_an_older_database(signed: Signed) -> None:
    """Yesterday's file put back under a kiosk that has moved to today's key: signing on
    would hide the roll-back, so the kiosk records nothing until an admin has looked."""
    _hand_ins(signed, 1)
    with signed.engine.connect() as conn:
        yesterday = conn.execute(
            text("SELECT line, epoch, seq, hash, signature FROM audit_heads")
        ).one()
    signed.sealer.rotate(signed.sessions)
    with signed.engine.begin() as conn:  # the insider's restore, as far as the head row goes
        conn.execute(
            text(
                "UPDATE audit_heads SET epoch = :epoch, seq = :seq, hash = :hash,"
                " signature = :signature"
            ),
            dict(yesterday._mapping),
        )
    with pytest.raises(AuditChainDamaged):
        custody.hand_in(signed.sessions, signed.school.pupil_ids[5])
