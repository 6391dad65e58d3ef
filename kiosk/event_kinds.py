"""Every kind of audit event, with the plain words people read for it.

The value is what the audit log stores and hashes: never change or drop one (the events
already written keep it). The words are for people (screens, receipts, exports) and may be
reworded freely.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    words: str

    def __new__(cls, value: str, words: str) -> EventKind:
        member = str.__new__(cls, value)
        member._value_ = value
        member.words = words
        return member

    # a device at the kiosk and in the office
    HAND_IN = "hand_in", "Handed in"
    HAND_IN_REPEAT_SCAN = "hand_in_repeat_scan", "Card scanned again while held"
    HAND_IN_UNDONE = "hand_in_undone", "Hand-in undone"
    EXEMPTION_SHOWN = "exemption_shown", "Exemption shown at the kiosk"
    COLLECTED = "collected", "Given back to the pupil"
    CONFISCATED = "confiscated", "Confiscated"
    RELEASED_TO_PARENT = "released_to_parent", "Released to parent/carer"
    REFERRED_TO_DSL = "referred_to_dsl", "Referred to the DSL"
    HANDED_TO_POLICE = "handed_to_police", "Handed to the police"
    MOVED = "moved", "Moved"
    KEPT_OVERNIGHT = "kept_overnight", "Kept overnight"
    RECEIPT_PRINTED = "receipt_printed", "Receipt printed"
    # pupils, their cards, photos and exemptions
    PUPIL_ADDED = "pupil_added", "Pupil added"
    PUPIL_UPDATED = "pupil_updated", "Pupil's details updated"
    PUPIL_LEFT = "pupil_left", "Pupil marked as left"
    PUPIL_RETURNED = "pupil_returned", "Pupil back on roll"
    ROSTER_IMPORTED = "roster_imported", "Roster imported"
    CARD_ISSUED = "card_issued", "Card issued"
    CARD_REISSUED = "card_reissued", "Card reissued (the old one stops working)"
    CARDS_PRINTED = "cards_printed", "Cards printed"
    PHOTO_ADDED = "photo_added", "Photo added"
    PHOTO_REPLACED = "photo_replaced", "Photo replaced"
    PHOTOS_IMPORTED = "photos_imported", "Photos imported"
    EXEMPTION_GRANTED = "exemption_granted", "Exemption granted"
    EXEMPTION_ENDED = "exemption_ended", "Exemption ended"
    # slots
    SLOTS_ADDED = "slots_added", "Slots added"
    SLOTS_REMOVED = "slots_removed", "Slots removed"
    SLOTS_CABINET_SET = "slots_cabinet_set", "Slots moved to a cabinet"
    SLOTS_RESERVED = "slots_reserved", "Slots reserved for confiscations"
    SLOTS_UNRESERVED = "slots_unreserved", "Slots no longer reserved"
    # no longer written (slots are reserved in ranges now), still in older logs
    SLOT_RESERVED = "slot_reserved", "Slot reserved for confiscations"
    SLOT_UNRESERVED = "slot_unreserved", "Slot no longer reserved"
    SLOT_IN_SERVICE = "slot_in_service", "Slot back in service"
    SLOT_OUT_OF_SERVICE = "slot_out_of_service", "Slot out of service"
    SLOT_LABELS_PRINTED = "slot_labels_printed", "Slot labels printed"
    # staff
    STAFF_LOGIN = "staff_login", "Staff logged in"
    STAFF_CONSOLE_LOCKED = "staff_console_locked", "Staff console locked"
    PIN_WRONG = "pin_wrong", "Wrong PIN entered"
    PIN_REFUSED_LOCKED = "pin_refused_locked", "PIN refused: account locked"
    STAFF_LOCKED_OUT = "staff_locked_out", "Account locked after wrong PINs"
    STAFF_ADDED = "staff_added", "Staff member added"
    STAFF_DEACTIVATED = "staff_deactivated", "Staff member deactivated"
    STAFF_REACTIVATED = "staff_reactivated", "Staff member reactivated"
    STAFF_PIN_RESET = "staff_pin_reset", "Staff PIN reset"
    STAFF_ROLE_CHANGED = "staff_role_changed", "Staff role changed"
    # the kiosk and its records
    KIOSK_LEFT_FULL_SCREEN = "kiosk_left_full_screen", "Kiosk left full-screen mode"
    KIOSK_ENTERED_FULL_SCREEN = "kiosk_entered_full_screen", "Kiosk back in full-screen mode"
    KIOSK_CLOSED = "kiosk_closed", "Kiosk program closed"
    SETTINGS_CHANGED = "settings_changed", "Settings changed"
    EXPORT = "export", "Report exported"
    BACKUP_MADE = "backup_made", "Backup made"
    DATABASE_RESTORED = "database_restored", "Database restored from a backup"
    RETENTION_PURGE = "retention_purge", "Old records removed under the retention policy"
    # the signed record's keys (kiosk.record.lines)
    AUDIT_ROOT = "audit_root", "School audit fingerprint set up"
    AUDIT_KEY_ENROL = "audit_key_enrol", "Kiosk enrolled to sign the record"
    AUDIT_KEY_HANDOVER = "audit_key_handover", "Record handed over to a new kiosk PC"
    AUDIT_KEY_EPOCH = "audit_key_epoch", "Kiosk's daily signing key changed"
    AUDIT_KEY_REVOKE = "audit_key_revoke", "Kiosk's signing key revoked"
    # electronic locker banks
    LOCKERS_MAPPED = "lockers_mapped", "Slots given locker doors"
    LOCKERS_UNMAPPED = "lockers_unmapped", "Slots made manual (no locker door)"
    LOCKER_BANK_TESTED = "locker_bank_tested", "Locker bank tested door by door"
    LOCKER_UNLOCK_SENT = "locker_unlock_sent", "Locker door unlocked"
    LOCKER_DOOR_OPENED = "locker_door_opened", "Locker door opened without the kiosk"
    LOCKER_DOOR_SHUT = "locker_door_shut", "Locker door shut"
    LOCKER_OCCUPANCY_CHANGED = "locker_occupancy_changed", "Locker slot filled or emptied"
    LOCKER_HAND_IN_CONFIRMED = "locker_hand_in_confirmed", "Phone seen in the locker slot"
    LOCKER_FAULT = "locker_fault", "Locker fault"
    LOCKER_FAULT_CLEARED = "locker_fault_cleared", "Locker fault dealt with"
    LOCKER_EMERGENCY_OPEN_ALL = "locker_emergency_open_all", "Every locker door opened (emergency)"
    LOCKER_EMERGENCY_RESULT = "locker_emergency_result", "Emergency release: boards opened"


KIOSK_EVENTS = frozenset(
    {EventKind.KIOSK_LEFT_FULL_SCREEN, EventKind.KIOSK_ENTERED_FULL_SCREEN, EventKind.KIOSK_CLOSED}
)


_WORDS = {kind.value: kind.words for kind in EventKind}


def event_words(kind: str) -> str:
    """The words for a stored kind; a kind this version does not know reads as itself."""
    return _WORDS.get(kind) or kind.replace("_", " ").capitalize()
