"""The kiosk opening doors for what the services allowed: a hand-in's slot, a released
device's slot (the emergency release of every door is in ``emergency``). Each writes its
record first and sends the unlock after the commit, so a door never opens without a
record; a board that fails leaves a fault and a plain message, and the hand-in or release
stands (manual slots)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.errors import InvalidInput, NotHeld
from kiosk.lockers.driver import LockerBoardError
from kiosk.rules import Action
from kiosk.services.audit import KIOSK_ACTOR, Actor
from kiosk.services.common import AnyRow, now_or, require, require_on
from kiosk.services.lockers import faults, openings
from kiosk.services.lockers.bank import Door, LockerBank
from kiosk.services.lockers.faults import FaultKey, FaultKind
from kiosk.services.lockers.openings import Outcome, Purpose, State
from kiosk.tables import HELD, Custody, CustodyKind, CustodyState, LockerOpening, Slot

MAX_HAND_IN_OPENINGS = 3  # the first, and two "open it again" for a door shut too soon
HAND_IN_WINDOW = dt.timedelta(minutes=10)
RELEASE_WINDOW = dt.timedelta(minutes=10)
_RELEASED = (
    CustodyState.RELEASED.value,
    CustodyState.HANDED_TO_POLICE.value,
    CustodyState.CANCELLED.value,  # a hand-in undone: the phone goes back to its pupil
)
_FILLED = (Outcome.DEPOSITED.value, Outcome.SHUT_NO_SENSOR.value)


@dataclass(frozen=True)
class DoorOutcome:
    """What the screen says about the door. ``opened`` False: staff take over (manual)."""

    slot_number: int
    opened: bool
    message: str
    opening_id: int | None = None


def open_msg(slot: int) -> str:
    return f"Slot {slot} is open: put your phone in and shut the door."


def board_failed(slot: int) -> str:
    return f"Slot {slot}'s door cannot open just now. Please give your phone to the office."


def _refused(slot: int, message: str) -> DoorOutcome:
    return DoorOutcome(slot, False, message)


def open_for_hand_in(
    sessions: Database,
    bank: LockerBank,
    custody_id: int,
    slot_number: int | None,
    *,
    actor: Actor = KIOSK_ACTOR,
    now: dt.datetime | None = None,
) -> DoorOutcome | None:
    """Open the door of ``slot_number``, the slot the hand-in ``custody_id`` was just given.
    None for a manual slot. A hand-in whose device is already in (or from before the
    window) never reopens: a second scan must not give the phone back. With occupancy
    sensors the slot must read empty first: a door never opens onto a device the records
    do not know about (a slot map changed behind the kiosk's back, a phone left in a slot
    the records call free); the read also shows the board answers (an unlock has no reply).
    The bus is read before the one transaction, never during it."""
    door = bank.door(slot_number)
    if door is None:
        return None
    now = now_or(now)
    if bank.known_down(door):
        return _refused(door.slot_number, board_failed(door.slot_number))
    try:
        occupied = bank.read(door.cabinet_id, door.board).door(door.channel).occupied
    except LockerBoardError as exc:
        _record_failure(sessions, door, None, now, str(exc))
        return _refused(door.slot_number, board_failed(door.slot_number))
    # On a Core connection, like the hand-in itself: the pupil is waiting for this door.
    with sessions.transaction() as conn:
        if actor.id is not None:
            require_on(conn, actor, Action.HAND_IN_FOR_PUPIL)
        held = conn.execute(_HELD_CUSTODY, {"custody_id": custody_id}).first()
        if held is None or held.number != door.slot_number:
            raise NotHeld("That device is no longer held in that slot.")
        if (refusal := _hand_in_refusal(conn, held, door, now)) is not None:
            return refusal
        if faults.board_down(conn, door.cabinet, door.board):
            return _refused(door.slot_number, board_failed(door.slot_number))
        busy = conn.execute(_ACTIVE_ON_SLOT, {"slot_id": door.slot_id}).first()
        if busy is not None:
            if busy.custody_id == custody_id and busy.state in _OPENING:
                return DoorOutcome(door.slot_number, True, open_msg(door.slot_number), busy.id)
            return _refused(door.slot_number, "Slot busy: please see the office.")
        opening_id = None
        if not occupied:
            opening_id = openings.start(
                conn, door, Purpose.HAND_IN, actor, now, custody_id=custody_id
            )
    if opening_id is None:
        return _slot_not_empty(sessions, door, custody_id, now)
    return _unlock(sessions, bank, door, opening_id, now, open_msg(door.slot_number))


def _slot_not_empty(
    sessions: Database, door: Door, custody_id: int, now: dt.datetime
) -> DoorOutcome:
    """The slot given to a hand-in reads occupied: tell staff, send the pupil to them."""
    with sessions.begin() as session:
        faults.raise_in(
            session,
            FaultKey(FaultKind.OCCUPIED_BUT_FREE, door.slot_number),
            f"Slot {door.slot_number} had something in it when a hand-in was given it.",
            now,
            custody_id=custody_id,
        )
    return _refused(door.slot_number, board_failed(door.slot_number))


_OPENING = (State.COMMANDED.value, State.OPEN.value)
# Built once: every locker hand-in runs them.
_HELD_CUSTODY = (
    select(Custody.id, Custody.kind, Custody.received_at, Slot.number)
    .join(Slot, Slot.id == Custody.slot_id)
    .where(Custody.id == bindparam("custody_id"), Custody.state == HELD)
)
_TRIES = select(func.count(), func.count().filter(LockerOpening.outcome.in_(_FILLED))).where(
    LockerOpening.custody_id == bindparam("custody_id"),
    LockerOpening.purpose == Purpose.HAND_IN.value,
)
_ACTIVE_ON_SLOT = select(LockerOpening.id, LockerOpening.custody_id, LockerOpening.state).where(
    LockerOpening.slot_id == bindparam("slot_id"), LockerOpening.finished_at.is_(None)
)


def _hand_in_refusal(
    conn: Connection | Session, held: AnyRow, door: Door, now: dt.datetime
) -> DoorOutcome | None:
    """Why the door of the hand-in ``held`` (a row of _HELD_CUSTODY) must not open."""
    slot = door.slot_number
    if held.kind == CustodyKind.DAILY and not now - HAND_IN_WINDOW <= held.received_at <= now:
        return _refused(slot, f"Your phone is in slot {slot}. Please see the office.")
    tries, filled = conn.execute(_TRIES, {"custody_id": held.id}).one()
    if filled:
        return _refused(slot, f"Your phone is already in slot {slot}.")
    if tries >= MAX_HAND_IN_OPENINGS:
        return _refused(slot, f"Slot {slot} cannot be opened again. Please see the office.")
    return None


def open_for_release(
    sessions: Database,
    bank: LockerBank,
    custody_id: int,
    actor: Actor,
    *,
    now: dt.datetime | None = None,
) -> DoorOutcome | None:
    """Open the slot of a device the services have just released (collected by its
    pupil, given to a parent or to the police, or a hand-in undone), once. None for a
    manual slot. A pupil's own undo at the kiosk needs no staff member; the rest do."""
    now = now_or(now)
    with sessions.begin() as session:
        custody = session.get(Custody, custody_id)
        if custody is None or custody.state not in _RELEASED or custody.released_at is None:
            raise InvalidInput("Only a device just released can have its door opened.")
        undone = custody.state == CustodyState.CANCELLED
        if not (undone and custody.released_by_id is None and actor.id is None):
            require(session, actor, Action.COLLECT)
        door = bank.door(custody.slot.number if custody.slot else None)
        if door is None:
            return None
        if not now - RELEASE_WINDOW <= custody.released_at <= now:
            return _refused(door.slot_number, "That release is too old: open the door by key.")
        done = session.scalar(
            select(func.count()).where(
                LockerOpening.custody_id == custody.id, LockerOpening.purpose == Purpose.RELEASE
            )
        )
        if done:
            return _refused(door.slot_number, f"Slot {door.slot_number} was opened already.")
        if (busy := openings.active(session).get(door.slot_id)) is not None:
            if not (undone and busy.custody_id == custody.id):
                return _refused(door.slot_number, f"Slot {door.slot_number} is open already.")
            openings.finish(busy, Outcome.SUPERSEDED, now)  # the undone hand-in's own door
        if faults.board_down(session, door.cabinet, door.board):
            return _refused(door.slot_number, "The locker is not answering: open it by key.")
        opening_id = openings.start(
            session, door, Purpose.RELEASE, actor, now, custody_id=custody.id
        )
    message = f"Slot {door.slot_number} is open: take the device and shut the door."
    return _unlock(sessions, bank, door, opening_id, now, message)


def answer_deposit_question(
    sessions: Database,
    bank: LockerBank,
    opening_id: int,
    *,
    reopen: bool,
    now: dt.datetime | None = None,
) -> DoorOutcome:
    """The pupil's answer to "Is your phone in slot N?" after the door shut on an empty
    slot: open it again (a limited number of times), or say it is in, which records
    "declared but not deposited" for staff at once."""
    now = now_or(now)
    with sessions.begin() as session:
        opening = session.get(LockerOpening, opening_id, with_for_update=True)
        if opening is None or opening.state != State.SHUT_EMPTY:
            raise InvalidInput("That door is no longer waiting for an answer.")
        door = next((d for d in bank.doors.values() if d.slot_id == opening.slot_id), None)
        if door is None:
            raise InvalidInput("That slot no longer has a door the kiosk opens.")
        held = session.execute(_HELD_CUSTODY, {"custody_id": opening.custody_id}).first()
        if not reopen or held is None:
            declare_not_deposited(session, opening, door, now)
            return DoorOutcome(door.slot_number, False, _declared_msg(door.slot_number))
        openings.finish(opening, Outcome.REOPENED, now)
        session.flush()
        refusal = _hand_in_refusal(session, held, door, now)
        if refusal is not None:
            declare_not_deposited(session, opening, door, now)
            return refusal
        again_id = openings.start(
            session,
            door,
            Purpose.HAND_IN,
            KIOSK_ACTOR,
            now,
            custody_id=held.id,
            details={"again": True},
        )
    return _unlock(sessions, bank, door, again_id, now, open_msg(door.slot_number))


def _declared_msg(slot: int) -> str:
    return f"Slot {slot} reads empty. The office has been told: please see them."


def declare_not_deposited(
    session: Session, opening: LockerOpening, door: Door, now: dt.datetime
) -> None:
    openings.finish(opening, Outcome.DECLARED_NOT_DEPOSITED, now)
    faults.raise_in(
        session,
        FaultKey(FaultKind.DECLARED_NOT_DEPOSITED, door.slot_number),
        f"Slot {door.slot_number}: hand-in declared but the slot read empty when shut.",
        now,
        custody_id=opening.custody_id,
    )


def _unlock(
    sessions: Database,
    bank: LockerBank,
    door: Door,
    opening_id: int,
    now: dt.datetime,
    message: str,
) -> DoorOutcome:
    try:
        bank.unlock(door)
    except LockerBoardError as exc:
        _record_failure(sessions, door, opening_id, now, str(exc))
        return DoorOutcome(door.slot_number, False, board_failed(door.slot_number), opening_id)
    return DoorOutcome(door.slot_number, True, message, opening_id)


def _record_failure(
    sessions: Database, door: Door, opening_id: int | None, now: dt.datetime, error: str
) -> None:
    with sessions.begin() as session:
        opening = session.get(LockerOpening, opening_id) if opening_id is not None else None
        if opening is not None:
            openings.finish(opening, Outcome.BOARD_FAILED, now)
        faults.raise_in(
            session,
            FaultKey(FaultKind.BOARD_NOT_ANSWERING, None, door.cabinet, door.board),
            f"Cabinet {door.cabinet} board {door.board}: {error}",
            now,
        )
