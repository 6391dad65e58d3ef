"""Watching the doors: each poll reads every board once, moves each opening on (opened,
shut, with or without something inside), records door and occupancy changes in the audit
log, and raises the faults the staff dashboard shows. It returns notices for the screens.

A poll is one short transaction (a few indexed reads; writes only when something changed).
The kiosk runs it every half second or so on a background thread; it touches no widget.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.event_kinds import EventKind
from kiosk.lockers.driver import BoardStatus, DoorReading, LockerBoardError
from kiosk.services import audit
from kiosk.services.audit import KIOSK_ACTOR
from kiosk.services.common import now_or
from kiosk.services.lockers import faults, openings
from kiosk.services.lockers.bank import Door, LockerBank
from kiosk.services.lockers.doors import declare_not_deposited
from kiosk.services.lockers.faults import FaultKey, FaultKind
from kiosk.services.lockers.openings import Outcome, Purpose, State
from kiosk.tables import HELD, Custody, LockerFault, LockerOpening

DOWN_RETRY = dt.timedelta(seconds=5)  # a board known down is asked again this often
JAM_AFTER = dt.timedelta(seconds=8)  # an unlocked door not seen open by then is jammed
CONFIRM_DEPOSIT_FOR = dt.timedelta(seconds=20)  # "Is your phone in slot N?" waits this long


class NoticeKind(StrEnum):
    HAND_IN_COMPLETE = "hand_in_complete"
    ASK_DEPOSIT = "ask_deposit"
    DECLARED_NOT_DEPOSITED = "declared_not_deposited"
    RELEASE_COMPLETE = "release_complete"
    DOOR_SHUT = "door_shut"
    FAULT = "fault"
    BOARD_BACK = "board_back"


@dataclass(frozen=True)
class DoorNotice:
    """Something for a screen: the pupil's (hand-in complete, the deposit question) or
    the dashboard's (a fault, with its kind)."""

    kind: NoticeKind
    slot_number: int | None
    message: str
    opening_id: int | None = None
    fault_kind: str | None = None


@dataclass
class _Poll:
    """One poll's view of the database, read once."""

    session: Session
    now: dt.datetime
    faults: dict[FaultKey, LockerFault]
    active: dict[int, LockerOpening]
    held_slots: set[int]
    notices: list[DoorNotice] = field(default_factory=list)


class LockerMonitor:
    def __init__(
        self,
        sessions: Database,
        bank: LockerBank,
        *,
        jam_after: dt.timedelta = JAM_AFTER,
        confirm_deposit_for: dt.timedelta = CONFIRM_DEPOSIT_FOR,
    ) -> None:
        self.sessions, self.bank = sessions, bank
        self.jam_after, self.confirm_deposit_for = jam_after, confirm_deposit_for
        self._last: dict[int, DoorReading] = {}
        self._open_since: dict[int, dt.datetime] = {}
        # Boards known down and when they were last asked: each silent read holds the bus
        # for the driver's whole reply window, which the doors of other boards wait for.
        self._down: dict[tuple[int, int], dt.datetime] = {}
        # Slots reported occupied-but-free while they stay occupied: staff who cleared the
        # fault are not told again until the slot has been empty in between.
        self._reported_occupied: set[int] = set()

    def poll(self, now: dt.datetime | None = None) -> list[DoorNotice]:
        if not self.bank:
            return []
        now = now_or(now)
        statuses, failures = self._read_boards(now)
        with self.sessions.begin() as session:
            poll = _Poll(
                session,
                now,
                faults.open_in(session),
                openings.active(session),
                set(session.scalars(select(Custody.slot_id).where(Custody.state == HELD))),
            )
            for (cabinet_id, board), error in failures.items():
                self._board_down(poll, self.bank.cabinet_name(cabinet_id), board, error)
            for cabinet_id, board in statuses:
                self._board_up(poll, self.bank.cabinet_name(cabinet_id), board)
            for door in self.bank.doors.values():
                status = statuses.get((door.cabinet_id, door.board))
                if status is not None:
                    self._door(poll, door, status.door(door.channel))
            return poll.notices

    # -- boards -------------------------------------------------------------------------

    def _read_boards(
        self, now: dt.datetime
    ) -> tuple[dict[tuple[int, int], BoardStatus], dict[tuple[int, int], str]]:
        statuses, failures = {}, {}
        for key in self.bank.boards():
            last_try = self._down.get(key)
            if last_try is not None and now - last_try < DOWN_RETRY:
                continue
            try:
                statuses[key] = self.bank.read(*key)
                self._down.pop(key, None)
            except LockerBoardError as exc:
                failures[key] = str(exc)
                self._down[key] = now
        return statuses, failures

    def _board_down(self, poll: _Poll, cabinet: str, board: int, error: str) -> None:
        key = FaultKey(FaultKind.BOARD_NOT_ANSWERING, None, cabinet, board)
        message = f"Cabinet {cabinet} board {board} is not answering: doors are manual. ({error})"
        if faults.raise_in(poll.session, key, message, poll.now, already_open=poll.faults):
            poll.notices.append(DoorNotice(NoticeKind.FAULT, None, message, None, key.kind))

    def _board_up(self, poll: _Poll, cabinet: str, board: int) -> None:
        key = FaultKey(FaultKind.BOARD_NOT_ANSWERING, None, cabinet, board)
        fault = poll.faults.pop(key, None)
        if fault is not None:
            faults.clear_in(poll.session, fault, KIOSK_ACTOR, poll.now, "answering again")
            message = f"Cabinet {cabinet} board {board} is answering again."
            poll.notices.append(DoorNotice(NoticeKind.BOARD_BACK, None, message))

    # -- doors --------------------------------------------------------------------------

    def _door(self, poll: _Poll, door: Door, reading: DoorReading) -> None:
        before = self._last.get(door.slot_number)
        self._last[door.slot_number] = reading
        opening = poll.active.get(door.slot_id)
        if not reading.closed:
            self._open_since.setdefault(door.slot_number, poll.now)
        if opening is not None:
            self._follow(poll, door, reading, opening)  # first: the shut event says how it ended
        elif before is not None and before.occupied != reading.occupied and reading.closed:
            self._event(poll, door, EventKind.LOCKER_OCCUPANCY_CHANGED, occupied=reading.occupied)
        if before is not None and before.closed != reading.closed:
            self._door_moved(poll, door, reading, opening)
        self._check_occupied_but_free(poll, door, reading, opening)
        self._check_left_open(poll, door, reading)

    def _check_occupied_but_free(
        self, poll: _Poll, door: Door, reading: DoorReading, opening: LockerOpening | None
    ) -> None:
        if not reading.occupied:
            self._reported_occupied.discard(door.slot_number)
            return
        empty_on_record = opening is None and door.slot_id not in poll.held_slots
        if empty_on_record and reading.closed and door.slot_number not in self._reported_occupied:
            self._reported_occupied.add(door.slot_number)
            self._fault(
                poll,
                door,
                FaultKind.OCCUPIED_BUT_FREE,
                f"Slot {door.slot_number} has something in it but the records say free.",
            )

    def _door_moved(
        self, poll: _Poll, door: Door, reading: DoorReading, opening: LockerOpening | None
    ) -> None:
        """One audit event per door movement: an opening's door opened is recorded with
        its shut (when it opened, what was inside, how the opening ended), so a locker
        hand-in adds two events to the log (unlock sent, shut), not four."""
        if not reading.closed:
            self._open_since[door.slot_number] = poll.now
            if opening is None:
                self._event(poll, door, EventKind.LOCKER_DOOR_OPENED)
                self._fault(
                    poll,
                    door,
                    FaultKind.DOOR_OPENED_UNEXPECTEDLY,
                    f"Slot {door.slot_number}'s door opened without the kiosk opening it.",
                )
            return
        self._open_since.pop(door.slot_number, None)
        details: dict[str, Any] = {"occupied": reading.occupied}
        if opening is not None:
            seen_open = opening.seen_open_at
            details |= {
                "purpose": opening.purpose,
                "opened_at": seen_open.isoformat(timespec="seconds") if seen_open else None,
                "outcome": opening.outcome or opening.state,
            }
        self._event(poll, door, EventKind.LOCKER_DOOR_SHUT, opening=opening, **details)
        left_open = poll.faults.pop(FaultKey(FaultKind.DOOR_LEFT_OPEN, door.slot_number), None)
        if left_open is not None:
            faults.clear_in(poll.session, left_open, KIOSK_ACTOR, poll.now, "door shut")

    def _check_left_open(self, poll: _Poll, door: Door, reading: DoorReading) -> None:
        since = self._open_since.get(door.slot_number)
        limit = dt.timedelta(seconds=door.open_limit_s)
        if not reading.closed and since is not None and poll.now - since > limit:
            self._fault(
                poll,
                door,
                FaultKind.DOOR_LEFT_OPEN,
                f"Slot {door.slot_number}'s door has been open over {door.open_limit_s} s.",
            )

    # -- an opening, step by step --------------------------------------------------------

    def _follow(
        self, poll: _Poll, door: Door, reading: DoorReading, opening: LockerOpening
    ) -> None:
        if opening.state == State.COMMANDED:
            if not reading.closed:
                opening.state, opening.seen_open_at = State.OPEN.value, poll.now
            elif poll.now - opening.opened_at > self.jam_after:
                openings.finish(opening, Outcome.JAMMED, poll.now)
                self._fault(
                    poll,
                    door,
                    FaultKind.DOOR_JAMMED,
                    f"Slot {door.slot_number}'s door did not open: it may be jammed.",
                    opening,
                )
        elif opening.state == State.OPEN and reading.closed:
            opening.shut_at = poll.now
            self._shut(poll, door, reading, opening)
        elif opening.state == State.SHUT_EMPTY:
            self._awaiting_deposit(poll, door, reading, opening)

    def _shut(self, poll: _Poll, door: Door, reading: DoorReading, opening: LockerOpening) -> None:
        slot = door.slot_number
        if opening.purpose == Purpose.HAND_IN:
            if reading.occupied is False:
                opening.state = State.SHUT_EMPTY.value
                message = f"Is your phone in slot {slot}? The slot reads empty."
                self._notice(poll, NoticeKind.ASK_DEPOSIT, slot, message, opening)
            else:
                self._deposited(poll, door, reading, opening)
        elif opening.purpose == Purpose.RELEASE:
            if reading.occupied:
                openings.finish(opening, Outcome.NOT_EMPTY, poll.now)
                self._fault(
                    poll,
                    door,
                    FaultKind.NOT_EMPTY_AFTER_RELEASE,
                    f"Slot {slot} still has something in it after a release.",
                    opening,
                )
            else:
                outcome = Outcome.EMPTIED if reading.occupied is False else Outcome.SHUT_NO_SENSOR
                openings.finish(opening, outcome, poll.now)
                self._notice(
                    poll,
                    NoticeKind.RELEASE_COMPLETE,
                    slot,
                    f"Slot {slot} is empty and shut.",
                    opening,
                )
        else:
            openings.finish(opening, Outcome.SHUT, poll.now)
            self._notice(poll, NoticeKind.DOOR_SHUT, slot, f"Slot {slot} is shut.", opening)

    def _deposited(
        self, poll: _Poll, door: Door, reading: DoorReading, opening: LockerOpening
    ) -> None:
        outcome = Outcome.DEPOSITED if reading.occupied else Outcome.SHUT_NO_SENSOR
        if opening.state == State.SHUT_EMPTY:  # seen after the shut: an event of its own
            self._event(poll, door, EventKind.LOCKER_HAND_IN_CONFIRMED, opening=opening)
        openings.finish(opening, outcome, poll.now)
        slot = door.slot_number
        message = f"Thank you: your phone is in slot {slot}."
        self._notice(poll, NoticeKind.HAND_IN_COMPLETE, slot, message, opening)

    def _awaiting_deposit(
        self, poll: _Poll, door: Door, reading: DoorReading, opening: LockerOpening
    ) -> None:
        if reading.occupied and reading.closed:
            self._deposited(poll, door, reading, opening)
        elif not reading.closed:
            opening.state = State.OPEN.value
        elif opening.shut_at and poll.now - opening.shut_at > self.confirm_deposit_for:
            declare_not_deposited(poll.session, opening, door, poll.now)
            poll.faults = faults.open_in(poll.session)
            slot = door.slot_number
            message = f"Slot {slot} stayed empty: recorded as declared but not deposited."
            self._notice(poll, NoticeKind.DECLARED_NOT_DEPOSITED, slot, message, opening)

    # -- records ------------------------------------------------------------------------

    def _event(
        self,
        poll: _Poll,
        door: Door,
        kind: EventKind,
        *,
        opening: LockerOpening | None = None,
        **details: Any,
    ) -> None:
        if opening is not None:
            details["opening_id"] = opening.id
        audit.append(
            poll.session,
            kind,
            KIOSK_ACTOR,
            slot_number=door.slot_number,
            custody_id=opening.custody_id if opening else None,
            at=poll.now,
            details={
                "cabinet": door.cabinet,
                "board": door.board,
                "channel": door.channel,
                **details,
            },
        )

    def _fault(
        self,
        poll: _Poll,
        door: Door,
        kind: FaultKind,
        message: str,
        opening: LockerOpening | None = None,
    ) -> None:
        custody_id = opening.custody_id if opening else None
        key = FaultKey(kind, door.slot_number)
        if faults.raise_in(
            poll.session, key, message, poll.now, custody_id=custody_id, already_open=poll.faults
        ):
            poll.notices.append(
                DoorNotice(NoticeKind.FAULT, door.slot_number, message, None, kind.value)
            )

    def _notice(
        self, poll: _Poll, kind: NoticeKind, slot: int, message: str, opening: LockerOpening
    ) -> None:
        poll.notices.append(DoorNotice(kind, slot, message, opening.id))
