"""Audit event kinds have one home (kiosk.event_kinds) with their words, and the strings the
log stores, and hashes, are exactly those the services wrote before the enum existed."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)
from sqlalchemy import text

import kiosk
from kiosk.errors import InvalidInput
from kiosk.event_kinds import KIOSK_EVENTS, EventKind, event_words
from kiosk.services import audit, chain_check, kiosk_events
from kiosk.services.audit import KIOSK_ACTOR
from kiosk.tables import AuditEvent

# Every kind the code wrote as a string literal before EventKind (issue 13). A value
# changed or dropped here would leave stored events with a kind no code knows.
KINDS_BEFORE_THE_ENUM = frozenset(
    {
        "backup_made", "card_issued", "card_reissued", "cards_printed", "collected",
        "confiscated", "database_restored", "exemption_ended", "exemption_granted",
        "exemption_shown", "export", "hand_in", "hand_in_repeat_scan", "hand_in_undone",
        "handed_to_police", "kept_overnight", "kiosk_closed", "kiosk_entered_full_screen",
        "kiosk_left_full_screen", "moved", "photo_added", "photo_replaced", "photos_imported",
        "pin_refused_locked", "pin_wrong", "pupil_added", "pupil_left", "pupil_returned",
        "pupil_updated", "receipt_printed", "referred_to_dsl", "released_to_parent",
        "retention_purge", "roster_imported", "settings_changed", "slot_in_service",
        "slot_labels_printed", "slot_out_of_service", "slot_reserved", "slot_unreserved",
        "slots_added", "slots_cabinet_set", "slots_removed", "slots_reserved",
        "slots_unreserved", "staff_added", "staff_console_locked", "staff_deactivated",
        "staff_locked_out", "staff_login", "staff_pin_reset", "staff_reactivated",
        "staff_role_changed",
    }
)  # fmt: skip
# Kinds added since, each with the issue that added it.
KINDS_ADDED_SINCE = frozenset(
    {  # issue 14: the signed record's key lines (kiosk.record.lines)
        "audit_root", "audit_key_enrol", "audit_key_handover", "audit_key_epoch",
        "audit_key_revoke",
        # issue 15: the waits and the lock after wrong PINs
        "pin_throttled", "staff_unlocked",
        # issue 15: the slot check after an undo, and probing counted per minute
        "slot_checked_empty", "cards_refused", "home_time_lookups",
        # issue 14: restore and the school's keys (kiosk.services.restore, school_keys)
        "restore_refused", "keys_exported", "keys_imported", "card_key_changed",
        "purged_copies_removed",
        # issue 19: electronic locker banks
        "lockers_mapped", "lockers_unmapped", "locker_bank_tested", "locker_unlock_sent",
        "locker_door_opened", "locker_door_shut", "locker_occupancy_changed",
        "locker_hand_in_confirmed", "locker_fault", "locker_fault_cleared",
        "locker_emergency_open_all", "locker_emergency_result",
        # issue 17: several devices, out and back during the day, emergencies
        "usual_devices_set", "given_back_apart", "released_for_day_out", "group_out",
        "marked_back", "emergency_list", "emergency_release", "released_in_emergency",
        "given_back_after_emergency",
        # issue 17: forgotten and lost cards, exam days
        "hand_in_without_card", "card_reported_lost", "exam_session_set",
        # issue 18: contacts from the MIS, and the release to them
        "contacts_imported", "release_authorised", "release_refused_barred",
        # issue 18: letters to parents, emails, collection appointments
        "letter_produced", "parent_email_sent", "parent_email_failed", "appointment_made",
        "appointment_cancelled", "letter_template_changed", "mail_settings_changed",
        # issue 16: a setup step marked done or skipped
        "setup_step",
        # issue 18: search and examination records
        "search_draft_saved", "search_recorded", "search_corrected",
    }
)  # fmt: skip
KIND_COLUMN_LENGTH = AuditEvent.__table__.c.kind.type.length


def test_the_stored_kinds_are_exactly_those_written_before_and_those_added_since():
    assert {kind.value for kind in EventKind} == KINDS_BEFORE_THE_ENUM | KINDS_ADDED_SINCE
    assert all(len(kind) <= KIND_COLUMN_LENGTH for kind in EventKind)
    assert audit.PURGE_KIND == EventKind.RETENTION_PURGE


def test_every_kind_has_its_own_plain_words():
    words = [kind.words for kind in EventKind]
    assert len(set(words)) == len(words)
    for kind in EventKind:
        assert kind.words[0].isupper() and "_" not in kind.words, kind
        assert event_words(kind.value) == kind.words
    assert event_words("some_kind_from_a_later_version") == "Some kind from a later version"


def _literal_kinds(node: ast.expr) -> list[ast.Constant]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, ast.IfExp):
        return _literal_kinds(node.body) + _literal_kinds(node.orelse)
    return []


def test_every_kind_written_is_named_through_the_enum():
    """No kind typed as a bare string (passed to ``audit.append`` or to a service's own
    event helper, or set as ``kind`` in a module that appends events): each is an
    ``EventKind`` member, so the enum is the whole list."""
    bare = []
    for path in Path(kiosk.__file__).parent.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            found: list[ast.Constant] = []
            if isinstance(node, ast.Call) and len(node.args) > 1:
                if ast.unparse(node.func) in ("audit.append", "append", "_record", "record"):
                    found = _literal_kinds(node.args[1])
            elif (
                isinstance(node, ast.Assign)
                and "audit.append(" in source
                and any(ast.unparse(t) == "kind" for t in node.targets)
            ):
                found = _literal_kinds(node.value)
            bare += [f"{path.name}:{c.lineno} {c.value!r}" for c in found]
    assert bare == []


def test_a_kind_is_stored_and_hashed_as_its_plain_text(sessions):
    with sessions.begin() as session:
        event = audit.append(session, EventKind.HAND_IN, KIOSK_ACTOR, pupil_id=1)
    with sessions() as session:
        stored = session.execute(
            text("SELECT kind, hash FROM audit_events WHERE seq = :seq"), {"seq": event.seq}
        ).one()
    assert type(stored.kind) is str and stored.kind == "hand_in"
    as_plain_text = dataclasses.make_dataclass("Plain", [(f, object) for f in _HASHED])(
        **{f: getattr(event, f) for f in _HASHED} | {"kind": "hand_in"}
    )
    assert audit.event_hash(as_plain_text) == stored.hash == event.hash
    assert chain_check.verify(sessions).intact


_HASHED = (
    "seq", "at", "kind", "actor_id", "actor_name", "pupil_id", "slot_number", "custody_id",
    "details_digest", "prev_hash",
)  # fmt: skip


def test_only_the_kiosks_own_events_are_recorded_as_kiosk_events(sessions, school):
    admin = school.actors["admin"]
    assert EventKind.KIOSK_CLOSED in KIOSK_EVENTS
    with pytest.raises(InvalidInput):
        kiosk_events.record(sessions, admin, EventKind.HAND_IN, "kiosk-1")
    kiosk_events.record(sessions, admin, EventKind.KIOSK_CLOSED, "kiosk-1")
    with sessions() as session:
        newest = session.scalars(text("SELECT kind FROM audit_events ORDER BY seq DESC")).first()
    assert newest == "kiosk_closed"
