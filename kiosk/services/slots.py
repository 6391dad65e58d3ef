"""Slots: the numbered, locked places devices are kept in."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.errors import AlreadyHeld, InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.services.common import require
from kiosk.tables import HELD, Custody, Slot


@dataclass(frozen=True)
class SlotInfo:
    id: int
    number: int
    cabinet: str
    label: str | None
    in_service: bool
    reserved_for_confiscation: bool


def _info(slot: Slot) -> SlotInfo:
    return SlotInfo(
        slot.id,
        slot.number,
        slot.cabinet,
        slot.label,
        slot.in_service,
        slot.reserved_for_confiscation,
    )


def add_slots_in(
    session: Session, actor: Actor, numbers: range, cabinet: str = "A", *, reserved: bool = False
) -> int:
    """Add the slots in ``numbers`` that do not exist yet; returns how many were added."""
    existing = set(session.scalars(select(Slot.number)))
    new = [n for n in numbers if n not in existing]
    session.add_all(
        Slot(number=n, cabinet=cabinet, in_service=True, reserved_for_confiscation=reserved)
        for n in new
    )
    if new:
        audit.append(
            session,
            EventKind.SLOTS_ADDED,
            actor,
            details={
                "from": new[0],
                "to": new[-1],
                "count": len(new),
                "cabinet": cabinet,
                "reserved": reserved,
            },
        )
    return len(new)


def add_slots(
    sessions: Database,
    actor: Actor,
    first: int,
    last: int,
    cabinet: str = "A",
    *,
    reserved: bool = False,
) -> int:
    if not 1 <= first <= last <= 9999:
        raise InvalidInput("Slot numbers run from 1 to 9999, first before last.")
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_SLOTS)
        return add_slots_in(
            session, actor, range(first, last + 1), cabinet.strip() or "A", reserved=reserved
        )


def _slot(session: Session, number: int) -> Slot:
    slot = session.scalar(select(Slot).where(Slot.number == number))
    if slot is None:
        raise InvalidInput(f"There is no slot {number}.")
    return slot


def set_in_service(
    sessions: Database, actor: Actor, number: int, in_service: bool, reason: str = ""
) -> None:
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_SLOTS if in_service else Action.MOVE)
        slot = _slot(session, number)
        if not in_service and session.scalar(
            select(Custody.id).where(Custody.slot_id == slot.id, Custody.state == HELD)
        ):
            raise AlreadyHeld(f"Slot {number} holds a device: move it to another slot first.")
        slot.in_service = in_service
        audit.append(
            session,
            EventKind.SLOT_IN_SERVICE if in_service else EventKind.SLOT_OUT_OF_SERVICE,
            actor,
            slot_number=number,
            details={"reason": reason.strip()},
        )


def list_slots(sessions: Database) -> list[SlotInfo]:
    with sessions() as session:
        return [_info(s) for s in session.scalars(select(Slot).order_by(Slot.number))]
