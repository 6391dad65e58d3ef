"""What the kiosk shows for a scan or a tap: pure decisions, no widgets.

The queue behind a pupil sees everything on this screen, so it shows the least: the
pupil's preferred forename and surname initial and their slot, never their year, form,
UPN or surname; an exemption says only that they may keep their device today (never
why); a confiscation or a pupil who has left reads as "see the office". A failure reads
as plain words and what to do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from kiosk.devices import kinds_words
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
    TooLate,
    UndoWindowPassed,
    UnknownCard,
    UnknownPupil,
)
from kiosk.services import setup
from kiosk.services.custody import CollectionCheck, CustodyInfo, HandInResult
from kiosk.services.exams import REMINDER as EXAM_REMINDER
from kiosk.services.lockers.doors import DoorOutcome
from kiosk.services.settings import SchoolSettings

UNDO_SECONDS = 20  # a new hand-in's result (with its Undo button) stays this long
RESULT_SECONDS = 8
ERROR_SECONDS = 10
CONFIRM_SECONDS = 60
UNDO_CONFIRM_SECONDS = 15  # to show the same card again after tapping Undo
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
    UNDO_CONFIRM = "undo_confirm"
    UNDONE = "undone"
    WAIT_FOR_STAFF = "wait_for_staff"
    COLLECT_CONFIRM = "collect_confirm"
    COLLECTED = "collected"
    CONFISCATED = "confiscated"
    NOTHING_HELD = "nothing_held"
    ERROR = "error"
    WAITING = "waiting"  # the records did not answer in time; the pupil is asked to wait
    STAFF = "staff"
    NOT_SET_UP = "not_set_up"  # no slots or no pupils yet: scans are not looked up
    EMERGENCY_LIST = "emergency_list"  # printed from the Staff menu: counts only


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
    caption: str = ""  # home time: the words above the slot ("Phone and watch in slot")


def hand_in_outcome(result: HandInResult, door: DoorOutcome | None = None) -> Outcome:
    """``door``: what the locker door did for this hand-in (None: a manual slot). An exam
    candidate today is reminded, whatever the outcome, naming no exam detail."""
    outcome = _hand_in_outcome(result, door)
    return replace(outcome, note=EXAM_REMINDER) if result.exam_today else outcome


def _hand_in_outcome(result: HandInResult, door: DoorOutcome | None) -> Outcome:
    name = result.pupil.screen_name
    if result.exemption is not None:  # never why: the queue can read it
        return Outcome(State.EXEMPT, Tone.INFO, name, EXEMPT_WORDS)
    if result.slot_number is None:  # held, but in no slot: only staff can sort that out
        message = "Your phone is already with the office."
        return Outcome(State.ALREADY_HANDED_IN, Tone.INFO, name, message)
    slot = result.slot_number
    placed = result.placements
    if result.already_held:
        if len(placed) > 1 or (placed and placed[0].kinds != ("phone",)):
            message = f"You have already handed in. {_where(result)}"
        else:
            message = f"You have already handed in. Your phone is in slot {slot}"
        return Outcome(State.ALREADY_HANDED_IN, Tone.INFO, name, message, slot=slot)
    if door is not None and not door.opened:  # the door would not open: staff take over
        return Outcome(State.HANDED_IN, Tone.WARNING, name, door.message, slot=slot)
    return Outcome(
        State.HANDED_IN,
        Tone.SUCCESS,
        name,
        door.message if door is not None else _put_in(result),
        slot=slot,
        custody_id=result.custody_id,
        seconds=UNDO_SECONDS,
        undo=True,
    )


def _where(result: HandInResult) -> str:
    """ "Phone and watch in slot 12", or each slot's devices when they took several."""
    return ", ".join(f"{kinds_words(p.kinds)} in slot {p.slot_number}" for p in result.placements)


def _put_in(result: HandInResult) -> str:
    placed = result.placements
    if not placed or (placed[0].kinds == ("phone",) and len(placed) == 1):
        return f"Switch your phone off and put it in slot {result.slot_number}"
    if len(placed) == 1:
        words = kinds_words(placed[0].kinds).lower()
        return f"Switch off your {words} and put them in slot {placed[0].slot_number}"
    return f"Switch them off: {_where(result)}"


def _collect_caption(info: CustodyInfo) -> str:
    """Above the big slot number: "Phone and watch in slot", or every slot when several."""
    kinds = kinds_words(info.kinds) if info.kinds else "Phone"
    if info.other_slots:
        others = ", ".join(str(n) for n in info.other_slots)
        return f"{kinds} in slots {info.slot_number} and {others}"
    return f"{kinds} in slot"


def _collect_words(info: CustodyInfo) -> str:
    caption = _collect_caption(info)
    return caption if info.other_slots else f"{caption} {info.slot_number}"


EXEMPT_WORDS = "You may keep your device today"
# A confiscation is nobody else's business: the pupil is sent to the office, and the note
# for the member of staff beside the kiosk does not say why either.
SEE_THE_OFFICE = "Please see the office"
OTHER_DEVICE_NOTE = "Staff: another device of this pupil's is with the office"


def collection_outcome(check: CollectionCheck) -> Outcome:
    name = check.pupil.screen_name
    daily = check.daily
    if daily is None and check.confiscations:
        return Outcome(State.CONFISCATED, Tone.WARNING, name, SEE_THE_OFFICE)
    if daily is None:
        message = "No phone is waiting for you. If you handed one in, please see the office."
        return Outcome(State.NOTHING_HELD, Tone.INFO, name, message)
    note = OTHER_DEVICE_NOTE
    return Outcome(
        State.COLLECT_CONFIRM,
        Tone.INFO,
        name,
        _collect_words(daily),
        slot=daily.slot_number,
        custody_id=daily.id,
        seconds=CONFIRM_SECONDS,
        note=note if check.confiscations else "",
        caption=_collect_caption(daily),
    )


def collected_outcome(info: CustodyInfo, door: DoorOutcome | None = None) -> Outcome:
    kinds = kinds_words(info.kinds) if info.kinds else "Phone"
    slots = ", ".join(str(n) for n in (info.slot_number, *info.other_slots))
    message = f"{kinds} given back from slot{'s' if info.other_slots else ''} {slots}. Goodbye!"
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


def undo_confirm_outcome(handed_in: Outcome) -> Outcome:
    """After "Undo": only the card that handed it in, shown again, cancels it."""
    return Outcome(
        State.UNDO_CONFIRM,
        Tone.WARNING,
        "Cancel this hand-in?",
        "Show the same card again now to cancel it",
        custody_id=handed_in.custody_id,
        seconds=UNDO_CONFIRM_SECONDS,
    )


def undone_outcome(slot: int | None, door: DoorOutcome | None = None) -> Outcome:
    where = f"slot {slot}" if slot is not None else "the slot"
    take_out = f"If your phone is in {where}, take it out now."
    if door is not None and door.opened:
        take_out = f"Slot {slot} is open again: take your phone out and shut the door."
    message = f"{take_out} Staff will check {where} before it is used again."
    return Outcome(State.UNDONE, Tone.INFO, "Hand-in cancelled", message)


def door_outcome(door: DoorOutcome, *, title: str = "Locker") -> Outcome:
    """A locker door's news on its own (the phone seen in, the question answered)."""
    tone = Tone.SUCCESS if door.opened else Tone.WARNING
    return Outcome(State.HANDED_IN, tone, title, door.message, slot=door.slot_number)


NOT_SET_UP = Outcome(
    State.NOT_SET_UP, Tone.INFO, "Not set up yet", setup.NOT_SET_UP, seconds=RESULT_SECONDS
)
WAIT_FOR_STAFF = Outcome(
    State.WAIT_FOR_STAFF,
    Tone.INFO,
    "Home time",
    "Please wait: a member of staff will give phones back",
    seconds=RESULT_SECONDS,
)


ERROR_TITLES: tuple[tuple[type[KioskError], str], ...] = (
    (UnknownCard, "Card not recognised"),
    (UnknownPupil, "Card not recognised"),
    (CardRevoked, "This card has been replaced"),
    (PupilNotActive, "Card not accepted"),
    (TooLate, "Please scan again"),
    (NoFreeSlot, "No free slot"),
    (UndoWindowPassed, "Too late to undo"),
    (NotHeld, "Nothing to give back"),
    (NotAuthorised, "Staff only"),
    (RecordsCannotBeSaved, "Records cannot be saved"),
    (RecordsNotAnswering, "Please wait"),
)


# Words meant for staff that say too much to a queue: shown plainer on the pupil screen.
PUPIL_WORDS: dict[type[KioskError], str] = {PupilNotActive: "Please see the office."}


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
    message = PUPIL_WORDS.get(type(error), error.message)
    if message.lower().startswith(title.lower()):  # "Card not recognised. Please see ..."
        message = message[len(title) :].lstrip(" .:") or message
    return Outcome(State.ERROR, Tone.ERROR, title, message, seconds=ERROR_SECONDS)
