"""Every kind of audit event, with the plain words people read for it.

The value is what the audit log stores and hashes: never change or drop one (the events
already written keep it). The words are for people (screens, receipts, exports) and may be
reworded freely.
"""

from __future__ import annotations

from kiosk.worded import WordedEnum


class EventKind(WordedEnum):
    # a device at the kiosk and in the office
    HAND_IN = "hand_in", "Handed in"
    HAND_IN_REPEAT_SCAN = "hand_in_repeat_scan", "Card scanned again while held"
    HAND_IN_UNDONE = "hand_in_undone", "Hand-in undone"
    HAND_IN_WITHOUT_CARD = (
        "hand_in_without_card",
        "Handed in without a card (staff found the pupil by name)",
    )
    EXEMPTION_SHOWN = "exemption_shown", "Exemption shown at the kiosk"
    SLOT_CHECKED_EMPTY = "slot_checked_empty", "Slot checked empty after an undone hand-in"
    COLLECTED = "collected", "Given back to the pupil"
    CONFISCATED = "confiscated", "Confiscated"
    RELEASED_TO_PARENT = "released_to_parent", "Released to parent/carer"
    RELEASE_AUTHORISED = (
        "release_authorised",
        "Release to someone not on the pupil's contact list, authorised by a senior member",
    )
    RELEASE_REFUSED_BARRED = (
        "release_refused_barred",
        "Release refused: the contact is marked 'do not release to'",
    )
    REFERRED_TO_DSL = "referred_to_dsl", "Referred to the DSL"
    HANDED_TO_POLICE = "handed_to_police", "Handed to the police"
    MOVED = "moved", "Moved"
    KEPT_OVERNIGHT = "kept_overnight", "Kept overnight"
    RECEIPT_PRINTED = "receipt_printed", "Receipt printed"
    # several devices, out and back during the day, emergencies (issue 17)
    USUAL_DEVICES_SET = "usual_devices_set", "Usual devices set"
    GIVEN_BACK_APART = "given_back_apart", "Some devices given back apart, with a reason"
    RELEASED_FOR_DAY_OUT = "released_for_day_out", "Released: pupil out during the day"
    GROUP_OUT = "group_out", "Group out of school: devices released"
    MARKED_BACK = "marked_back", "Pupil marked back in school by staff"
    EMERGENCY_LIST = "emergency_list", "Emergency list of held devices printed"
    EMERGENCY_RELEASE = "emergency_release", "All devices released in an emergency"
    RELEASED_IN_EMERGENCY = "released_in_emergency", "Released in an emergency"
    GIVEN_BACK_AFTER_EMERGENCY = "given_back_after_emergency", "Given back after an emergency"
    # telling parents and arranging collection (issue 18)
    LETTER_PRODUCED = "letter_produced", "Letter to parents produced"
    PARENT_EMAIL_SENT = "parent_email_sent", "Email sent to a parent or carer"
    PARENT_EMAIL_FAILED = "parent_email_failed", "Email to a parent or carer not sent"
    APPOINTMENT_MADE = "appointment_made", "Collection appointment made"
    APPOINTMENT_CANCELLED = "appointment_cancelled", "Collection appointment cancelled"
    LETTER_TEMPLATE_CHANGED = "letter_template_changed", "Wording of the letter to parents changed"
    MAIL_SETTINGS_CHANGED = "mail_settings_changed", "Email (SMTP) settings changed"
    # search and examination records (details: ids and outcomes, never the free text)
    SEARCH_DRAFT_SAVED = "search_draft_saved", "Search record draft saved"
    SEARCH_RECORDED = "search_recorded", "Search recorded"
    SEARCH_CORRECTED = "search_corrected", "Search record corrected (a new version)"
    # pupils, their cards, photos and exemptions
    PUPIL_ADDED = "pupil_added", "Pupil added"
    PUPIL_UPDATED = "pupil_updated", "Pupil's details updated"
    PUPIL_LEFT = "pupil_left", "Pupil marked as left"
    PUPIL_RETURNED = "pupil_returned", "Pupil back on roll"
    ROSTER_IMPORTED = "roster_imported", "Roster imported"
    CONTACTS_IMPORTED = "contacts_imported", "Pupils' contacts imported from the MIS"
    CARD_ISSUED = "card_issued", "Card issued"
    CARD_REISSUED = "card_reissued", "Card reissued (the old one stops working)"
    CARDS_PRINTED = "cards_printed", "Cards printed"
    CARD_REPORTED_LOST = "card_reported_lost", "Card reported lost (a new one issued)"
    PHOTO_ADDED = "photo_added", "Photo added"
    PHOTO_REPLACED = "photo_replaced", "Photo replaced"
    PHOTOS_IMPORTED = "photos_imported", "Photos imported"
    EXEMPTION_GRANTED = "exemption_granted", "Exemption granted"
    EXEMPTION_ENDED = "exemption_ended", "Exemption ended"
    # exams
    EXAM_SESSION_SET = "exam_session_set", "Exam session set"
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
    # wrong PINs, a few events a burst however many are tried (kiosk.rules.wrong_pin_note)
    PIN_WRONG = "pin_wrong", "Wrong PIN entered"
    PIN_THROTTLED = "pin_throttled", "Wrong PINs: the kiosk now waits between tries"
    STAFF_LOCKED_OUT = "staff_locked_out", "Account locked after wrong PINs"
    STAFF_UNLOCKED = "staff_unlocked", "Account unlocked by an admin"
    # no longer written (a refusal while locked is not recorded one by one), in older logs
    PIN_REFUSED_LOCKED = "pin_refused_locked", "PIN refused: account locked"
    STAFF_ADDED = "staff_added", "Staff member added"
    STAFF_DEACTIVATED = "staff_deactivated", "Staff member deactivated"
    STAFF_REACTIVATED = "staff_reactivated", "Staff member reactivated"
    STAFF_PIN_RESET = "staff_pin_reset", "Staff PIN reset"
    STAFF_ROLE_CHANGED = "staff_role_changed", "Staff role changed"
    # the kiosk and its records
    KIOSK_LEFT_FULL_SCREEN = "kiosk_left_full_screen", "Kiosk left full-screen mode"
    KIOSK_ENTERED_FULL_SCREEN = "kiosk_entered_full_screen", "Kiosk back in full-screen mode"
    KIOSK_CLOSED = "kiosk_closed", "Kiosk program closed"
    # counted per kiosk and minute: one event with the count, however many scans
    CARDS_REFUSED = "cards_refused", "Cards refused at the kiosk"
    HOME_TIME_LOOKUPS = "home_time_lookups", "Cards looked up at home time"
    SETTINGS_CHANGED = "settings_changed", "Settings changed"
    SETUP_STEP = "setup_step", "Setup step marked done or skipped"
    EXPORT = "export", "Report exported"
    BACKUP_MADE = "backup_made", "Backup made"
    DATABASE_RESTORED = "database_restored", "Database restored from a backup"
    RESTORE_REFUSED = "restore_refused", "Restore refused (the file failed its checks)"
    KEYS_EXPORTED = "keys_exported", "School keys exported for another kiosk"
    KEYS_IMPORTED = "keys_imported", "School keys imported on a kiosk"
    CARD_KEY_CHANGED = "card_key_changed", "Card key changed (new cards needed)"
    PURGED_COPIES_REMOVED = "purged_copies_removed", "Copies of purged records removed"
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
# ...of which these take the kiosk out of pupil use, to a desktop: an admin's to do
LEAVING_KIOSK_EVENTS = frozenset({EventKind.KIOSK_LEFT_FULL_SCREEN, EventKind.KIOSK_CLOSED})


WORDS_BY_KIND: dict[str, str] = {kind.value: kind.words for kind in EventKind}


def event_words(kind: str) -> str:
    """The words for a stored kind; a kind this version does not know reads as itself."""
    return WORDS_BY_KIND.get(kind) or kind.replace("_", " ").capitalize()
