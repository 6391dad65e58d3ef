import itertools
import sqlite3
from contextlib import closing

import pytest
from audit_guard import disable_audit_guard
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)
from fixtures.core import round_trips
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from kiosk.config import sqlite_url
from kiosk.db import open_database
from kiosk.services import audit, chain_check, custody
from kiosk.tables import AuditEvent


@pytest.fixture
def busy_school(school, sessions):
    return round_trips(sessions, school, pupils=5)


def test_a_fresh_chain_verifies_and_reports_its_last_hash(busy_school, sessions):
    report = chain_check.verify(sessions)
    assert report.intact
    assert report.events > 10
    with sessions() as s:
        newest = s.scalar(select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1))
    assert report.last_hash == newest
    assert "intact" in report.describe()


def test_every_event_of_an_intact_chain_passes_the_fast_scan(busy_school, sessions, monkeypatch):
    """On PostgreSQL too, whose driver gives times rather than their text: before, each of
    its events went to the exact check, a query an event."""
    exact: list[object] = []
    real = chain_check._check_event
    monkeypatch.setattr(chain_check, "_check_event", lambda *a: exact.append(a) or real(*a))
    report = chain_check.verify(sessions)
    assert report.intact and report.events > 10 and exact == []


def test_a_database_whose_folder_name_looks_like_uri_syntax_verifies(busy_school, engine, tmp_path):
    """'#', '?' and '%' in the folder name reach SQLite as a path, not as a fragment, a
    query or an escape (the snapshot reader opens the file by its URL)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("a folder name is an SQLite file's")
    odd = tmp_path / "Office #2? 100%20" / "kiosk.db"
    odd.parent.mkdir()
    with (
        closing(sqlite3.connect(engine.url.database)) as source,
        closing(sqlite3.connect(odd)) as copy,
    ):
        source.backup(copy)
    odd_sessions = open_database(sqlite_url(odd))
    try:
        assert chain_check.verify(odd_sessions).intact
        assert chain_check.verify(odd_sessions) == chain_check.verify(
            open_database(sqlite_url(odd))
        )
    finally:
        odd_sessions.dispose()


def test_every_event_links_to_the_previous_one(busy_school, sessions):
    with sessions() as s:
        events = list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    assert events[0].prev_hash == audit.GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
        assert after.seq == before.seq + 1


def test_the_database_refuses_to_delete_or_update_an_event(busy_school, engine):
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET kind = 'collected' WHERE seq = 3"))


def test_a_changed_field_is_named_by_its_event_number(busy_school, engine, sessions):
    disable_audit_guard(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET slot_number = 99 WHERE seq = 12"))
    report = chain_check.verify(sessions)
    assert not report.intact
    assert report.first_bad_seq == 12
    assert "#12" in report.describe()


def test_changed_details_no_longer_match_their_digest(busy_school, engine, sessions):
    disable_audit_guard(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET details = '{\"x\": 1}' WHERE seq = 7"))
    report = chain_check.verify(sessions)
    assert (report.intact, report.first_bad_seq) == (False, 7)


def test_a_deleted_event_is_named(busy_school, engine, sessions):
    disable_audit_guard(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 9"))
    report = chain_check.verify(sessions)
    assert (report.intact, report.first_bad_seq) == (False, 9)


def test_deleting_the_newest_events_is_caught_by_the_chain_head(busy_school, engine, sessions):
    last = chain_check.verify(sessions).last_seq
    disable_audit_guard(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": last})
    report = chain_check.verify(sessions)
    assert not report.intact
    assert report.first_bad_seq == last


def test_events_deleted_from_the_end_stay_missing_after_the_next_append(
    busy_school, engine, sessions
):
    """A new event follows the chain head, not whatever row is newest: the hole left by
    deleting the newest events is not papered over by the kiosk's next hand-in."""
    last = chain_check.verify(sessions).last_seq
    disable_audit_guard(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq >= :seq"), {"seq": last - 1})
    custody.hand_in(sessions, busy_school.pupil_ids[10])
    with engine.connect() as conn:
        newest = conn.execute(text("SELECT max(seq) FROM audit_events")).scalar()
    assert newest == last + 1
    report = chain_check.verify(sessions)
    assert (report.intact, report.first_bad_seq) == (False, last - 1)


def test_the_first_event_starts_the_chain_head(sessions):
    assert chain_check.verify(sessions).events == 0
    kiosk = audit.KIOSK_ACTOR
    with sessions.begin() as s:
        audit.append(s, "kiosk_started", kiosk)
        audit.append(s, "kiosk_closed", kiosk)
    report = chain_check.verify(sessions)
    assert (report.intact, report.events, report.last_seq) == (True, 2, 2)


def test_an_appended_event_is_returned_as_stored(sessions):
    with sessions.begin() as s:
        event = audit.append(s, "kiosk_started", audit.KIOSK_ACTOR, details={"x": 1})
    with sessions() as s:
        stored = s.get(AuditEvent, event.seq)
        columns = [column.key for column in AuditEvent.__table__.columns]
        assert stored is not None
        assert {c: getattr(event, c) for c in columns} == {c: getattr(stored, c) for c in columns}
    assert event.hash == audit.event_hash(stored) and event.details_salt is not None


def test_a_recomputed_hash_still_breaks_the_link_to_the_next_event(busy_school, engine, sessions):
    disable_audit_guard(engine)
    with sessions.begin() as s:
        event = s.get(audit.AuditEvent, 5)
        event.kind = "collected"
        event.hash = audit.event_hash(event)
    report = chain_check.verify(sessions)
    assert (report.intact, report.first_bad_seq) == (False, 6)


def _grant_redaction(s, pupil_id):
    """What the retention purge does first, in its own transaction (kiosk.services.retention)."""
    postgres = s.get_bind().dialect.name == "postgresql"
    granted_in = s.execute(text("SELECT txid_current()")).scalar() if postgres else None
    s.execute(
        text("INSERT INTO audit_redaction_grants (pupil_id, granted_in) VALUES (:p, :g)"),
        {"p": pupil_id, "g": granted_in},
    )


_REDACT = "UPDATE audit_events SET details = :d, details_salt = NULL, redacted = :r WHERE seq = 8"


def test_a_redaction_by_the_purge_keeps_the_chain_valid(busy_school, engine, sessions):
    with sessions.begin() as s:  # the trigger allows exactly this update, for a granted pupil
        pupil_id = s.get(audit.AuditEvent, 8).pupil_id
        _grant_redaction(s, pupil_id)
        s.execute(text(_REDACT), {"d": audit.REDACTED_DETAILS, "r": True})
        s.execute(text("DELETE FROM audit_redaction_grants"))
        # the purge lists what it redacted (verify requires it, see tests/reports)
        purge = {audit.PURGE_RANGES_KEY: [[8, 8]], audit.PURGE_PUPILS_KEY: [[pupil_id, pupil_id]]}
        audit.append(s, audit.PURGE_KIND, audit.KIOSK_ACTOR, details=purge)
    assert chain_check.verify(sessions).intact


def test_a_redaction_outside_a_purge_is_refused_by_the_database(busy_school, sessions):
    with pytest.raises(DBAPIError, match="append-only"), sessions.begin() as s:
        s.execute(text(_REDACT), {"d": audit.REDACTED_DETAILS, "r": True})
    with pytest.raises(DBAPIError, match="append-only"), sessions.begin() as s:
        _grant_redaction(s, 10**6)  # a grant for another pupil does not open this one
        s.execute(text(_REDACT), {"d": audit.REDACTED_DETAILS, "r": True})


def test_a_redaction_must_drop_the_salt_with_the_details(busy_school, sessions):
    with pytest.raises(DBAPIError, match="append-only"), sessions.begin() as s:
        _grant_redaction(s, s.get(audit.AuditEvent, 8).pupil_id)
        s.execute(
            text("UPDATE audit_events SET details = :d, redacted = :r WHERE seq = 8"),
            {"d": audit.REDACTED_DETAILS, "r": True},
        )
