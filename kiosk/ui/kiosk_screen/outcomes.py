"""What the kiosk shows for a scan or a tap: pure decisions, no widgets.

Nothing a pupil sees names their year, form or UPN: only their preferred forename and
surname initial, and their slot. A failure reads as plain words and what to do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from kiosk.errors import (
    CardRevoked,
    DatabaseUnavailable,
    KioskError,
    NoFreeSlot,
    NotAuthorised,
    NotHeld,
    PupilNotActive,
    RecordsCannotBeSaved,
    RecordsNotAnswering,
    UndoWindowPassed,
    UnknownCard,
    UnknownPupil,
)
from kiosk.services.custody import CollectionCheck, CustodyInfo, HandInResult
from kiosk.services.lockers.doors import DoorOutcome
from kiosk.services.settings import SchoolSettings

UNDO_SECONDS = 20  # a new hand-in's result (with its Undo button) stays this long
RESULT_SECONDS = 8
ERROR_SECONDS = 10
CONFIRM_SECONDS = 60
COLLECTED_SECONDS = 6
DB_PROBLEM = DatabaseUnavailable.default_message


class Mode(StrEnum):
    HANDIN = "handin"
    COLLECTION = "collection"


def effective_mode(school: SchoolSettings | None, local_time: dt.time) -> Mode:
    """The school's chosen mode; "auto" means home time between the collection times and
    hand-in at any other time (a late pupil must always be able to hand a phone in)."""
    if school is None or school.mode == Mode.HANDIN:
        return Mode.HANDIN
    if school.mode == Mode.COLLECTION:
        return Mode.COLLECTION
    in_window = school.collection_opens <= local_time < school.collection_closes
    return Mode.COLLECTION if in_window else Mode.HANDIN


class State(StrEnum):
    IDLE = "idle"
    HANDED_IN = "handed_in"
    ALREADY_HANDED_IN = "already_handed_in"
    EXEMPT = "exempt"
    UNDONE = "undone"
    COLLECT_CONFIRM = "collect_confirm"
    COLLECTED = "collected"
    CONFISCATED = "confiscated"
    NOTHING_HELD = "nothing_held"
    ERROR = "error"
    WAITING = "waiting"  # the records did not answer in time; the pupil is asked to wait
    STAFF = "staff"


class Tone(StrEnum):
    SUCCESS = "success"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Outcome:
    """One result screen: everything the page needs, nothing it may not show."""

    state: State
    tone: Tone
    title: str
    message: str
    slot: int | None = None
    custody_id: int | None = None
    seconds: int = RESULT_SECONDS
    undo: bool = False
    note: str = ""


def hand_in_outcome(result: HandInResult, door: DoorOutcome | None = None) -> Outcome:
    """``door``: what the locker door did for this hand-in (None: a manual slot)."""
    name = result.pupil.screen_name
    if result.exemption is not None:
        words = result.exemption.category_words
        return Outcome(State.EXEMPT, Tone.INFO, name, f"You may keep your device: {words}")
    if result.slot_number is None:  # held, but in no slot: only staff can sort that out
        message = "Your phone is already with the office."
        return Outcome(State.ALREADY_HANDED_IN, Tone.INFO, name, message)
    slot = result.slot_number
    if result.already_held:
        message = f"You have already handed in. Your phone is in slot {slot}"
        return Outcome(State.ALREADY_HANDED_IN, Tone.INFO, name, message, slot=slot)
    if door is not None and not door.opened:  # the door would not open: staff take over
        return Outcome(State.HANDED_IN, Tone.WARNING, name, door.message, slot=slot)
    return Outcome(
        State.HANDED_IN,
        Tone.SUCCESS,
        name,
        door.message if door is not None else f"Switch your phone off and put it in slot {slot}",
        slot=slot,
        custody_id=result.custody_id,
        seconds=UNDO_SECONDS,
        undo=True,
    )


HELD_FOR_PARENT = "Held for a parent/carer: please see the office"


def collection_outcome(check: CollectionCheck) -> Outcome:
    name = check.pupil.screen_name
    daily = check.daily
    if daily is None and check.confiscations:
        return Outcome(State.CONFISCATED, Tone.WARNING, name, HELD_FOR_PARENT)
    if daily is None:
        message = "No phone is waiting for you. If you handed one in, please see the office."
        return Outcome(State.NOTHING_HELD, Tone.INFO, name, message)
    note = f"Another device is {HELD_FOR_PARENT[0].lower()}{HELD_FOR_PARENT[1:]}"
    return Outcome(
        State.COLLECT_CONFIRM,
        Tone.INFO,
        name,
        f"Phone in slot {daily.slot_number}",
        slot=daily.slot_number,
        custody_id=daily.id,
        seconds=CONFIRM_SECONDS,
        note=note if check.confiscations else "",
    )


def collected_outcome(info: CustodyInfo, door: DoorOutcome | None = None) -> Outcome:
    message = f"Phone given back from slot {info.slot_number}. Goodbye!"
    if door is not None:
        message = door.message if door.opened else f"{door.message} Goodbye!"
    return Outcome(
        State.COLLECTED,
        Tone.SUCCESS if door is None or door.opened else Tone.WARNING,
        info.pupil.screen_name,
        message,
        slot=info.slot_number,
        seconds=COLLECTED_SECONDS,
    )


def undone_outcome(slot: int | None, door: DoorOutcome | None = None) -> Outcome:
    where = f"slot {slot}" if slot is not None else "a slot"
    message = f"If your phone is already in {where}, take it out. Then scan your own card."
    if door is not None and door.opened:
        message = f"Slot {slot} is open again: take your phone out and shut the door."
    return Outcome(State.UNDONE, Tone.INFO, "Hand-in cancelled", message, slot=None)


def door_outcome(door: DoorOutcome, *, title: str = "Locker") -> Outcome:
    """A locker door's news on its own (the phone seen in, the question answered)."""
    tone = Tone.SUCCESS if door.opened else Tone.WARNING
    return Outcome(State.HANDED_IN, tone, title, door.message, slot=door.slot_number)


ERROR_TITLES: tuple[tuple[type[KioskError], str], ...] = (
    (UnknownCard, "Card not recognised"),
    (UnknownPupil, "Card not recognised"),
    (CardRevoked, "This card has been replaced"),
    (PupilNotActive, "Card not accepted"),
    (NoFreeSlot, "No free slot"),
    (UndoWindowPassed, "Too late to undo"),
    (NotHeld, "Nothing to give back"),
    (NotAuthorised, "Staff only"),
    (RecordsCannotBeSaved, "Records cannot be saved"),
    (RecordsNotAnswering, "Please wait"),
)


def error_outcome(error: BaseException) -> Outcome:
    """Plain words and what to do; an unexpected failure (the database is locked, gone or
    full, a bug) reads as "cannot reach its records", never as a traceback."""
    # The records out of reach (named by kiosk.db, or any other failure) read the same; a
    # DatabaseUnavailable with words of its own ("busy: scan again") keeps them.
    unreachable = isinstance(error, DatabaseUnavailable) and error.message == DB_PROBLEM
    if unreachable or not isinstance(error, KioskError):
        return Outcome(
            State.ERROR, Tone.ERROR, "Kiosk not working", DB_PROBLEM, seconds=ERROR_SECONDS
        )
    title = next(
        (t for kind, t in ERROR_TITLES if isinstance(error, kind)), "Please see the office"
    )
    message = error.message
    if message.lower().startswith(title.lower()):  # "Card not recognised. Please see ..."
        message = message[len(title) :].lstrip(" .:") or message
    return Outcome(State.ERROR, Tone.ERROR, title, message, seconds=ERROR_SECONDS)
