"""Slot labels to print: each slot's number and cabinet, and the code its QR carries
(``HKS.<school>.<number>``), permission checked and recorded in the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from kiosk.db import Database
from kiosk.errors import InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit, settings
from kiosk.services.audit import Actor
from kiosk.services.common import require
from kiosk.tables import LockerDoor, Slot


@dataclass(frozen=True)
class SlotLabel:
    number: int
    cabinet: str
    code: str
    door: str | None = None  # "board 0 door 3" for a locker door, for the installer


def slot_code(school_code: str, number: int) -> str:
    """The text in a slot label's QR code (upper case: QR alphanumeric mode)."""
    return f"HKS.{school_code.upper()}.{number}"


def prepare_labels(
    sessions: Database, actor: Actor, first: int | None = None, last: int | None = None
) -> list[SlotLabel]:
    """The labels for the slots numbered ``first`` to ``last`` (all slots by default)."""
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_SLOTS)
        query = select(Slot).order_by(Slot.number)
        if first is not None:
            query = query.where(Slot.number >= first)
        if last is not None:
            query = query.where(Slot.number <= last)
        slots = list(session.scalars(query))
        if not slots:
            raise InvalidInput("There are no slots in that range.")
        code = settings.get_value(session, "school_code")
        doors = {
            slot_id: f"board {board} door {channel}"
            for slot_id, board, channel in session.execute(
                select(LockerDoor.slot_id, LockerDoor.board, LockerDoor.channel)
            )
        }
        labels = [
            SlotLabel(s.number, s.cabinet, slot_code(code, s.number), doors.get(s.id))
            for s in slots
        ]
        audit.append(
            session,
            EventKind.SLOT_LABELS_PRINTED,
            actor,
            details={"from": labels[0].number, "to": labels[-1].number, "labels": len(labels)},
        )
        return labels
