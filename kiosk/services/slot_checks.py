"""Slots waiting for a member of staff to check them empty.

An undone hand-in (``custody.undo_hand_in``) may leave a phone in its slot: the pupil may
already have put it there, or the one who undid it was not its owner. So the slot is marked
and no hand-in is sent there (``allocation.free_slot`` skips it) until staff have looked and
tapped "Checked: empty" on the dashboard. A phone found there goes to the office as usual.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from kiosk.db import Database
from kiosk.errors import InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.services.common import now_or, require
from kiosk.tables import Slot


@dataclass(frozen=True)
class SlotToCheck:
    number: int
    since: dt.datetime  # naive UTC: when the hand-in to it was undone


def slots_to_check(sessions: Database) -> list[SlotToCheck]:
    with sessions() as session:
        rows = session.execute(
            select(Slot.number, Slot.check_needed_since)
            .where(Slot.check_needed_since.is_not(None))
            .order_by(Slot.number)
        )
        return [SlotToCheck(number, since) for number, since in rows if since is not None]


def mark_checked_empty(
    sessions: Database, actor: Actor, number: int, now: dt.datetime | None = None
) -> None:
    """A member of staff has looked: the slot is empty and may be given out again."""
    with sessions.begin() as session:
        require(session, actor, Action.UNDO_HAND_IN)
        slot = session.scalar(select(Slot).where(Slot.number == number).with_for_update())
        if slot is None or slot.check_needed_since is None:
            raise InvalidInput(f"Slot {number} is not waiting for a check.")
        waited_since = slot.check_needed_since
        slot.check_needed_since = None
        audit.append(
            session,
            EventKind.SLOT_CHECKED_EMPTY,
            actor,
            slot_number=number,
            at=now_or(now),
            details={"undone_at": waited_since.isoformat(timespec="seconds")},
        )
