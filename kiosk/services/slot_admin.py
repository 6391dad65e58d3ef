"""Slot changes an admin makes to a whole range at once (cabinet name, reserved for
confiscations, removing slots added by mistake), each range one transaction, and the slot
list with what each slot holds. Single-slot changes are in ``kiosk.services.slots``."""

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

CABINET_MAX = 40


@dataclass(frozen=True)
class SlotRow:
    number: int
    cabinet: str
    in_service: bool
    reserved_for_confiscation: bool
    holding: str | None  # "daily" or "confiscation" while a device is in it


@dataclass(frozen=True)
class RemovedSlots:
    removed: int  # never used: deleted
    retired: int  # used before: kept for the records, taken out of service


def _check_range(first: int, last: int) -> None:
    if not 1 <= first <= last <= 9999:
        raise InvalidInput("Slot numbers run from 1 to 9999, first before last.")


def _in_range(session: Session, first: int, last: int) -> list[Slot]:
    _check_range(first, last)
    slots = list(
        session.scalars(select(Slot).where(Slot.number.between(first, last)).order_by(Slot.number))
    )
    if not slots:
        raise InvalidInput(f"There are no slots from {first} to {last}.")
    return slots


def list_slot_rows(sessions: Database) -> list[SlotRow]:
    with sessions() as session:
        holding = dict(
            session.execute(
                select(Custody.slot_id, Custody.kind).where(
                    Custody.state == HELD, Custody.slot_id.is_not(None)
                )
            ).all()
        )
        return [
            SlotRow(
                s.number, s.cabinet, s.in_service, s.reserved_for_confiscation, holding.get(s.id)
            )
            for s in session.scalars(select(Slot).order_by(Slot.number))
        ]


def set_cabinet(sessions: Database, actor: Actor, first: int, last: int, cabinet: str) -> int:
    cabinet = " ".join(cabinet.split())
    if not cabinet or len(cabinet) > CABINET_MAX:
        raise InvalidInput(f"A cabinet name is 1 to {CABINET_MAX} characters.")
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_SLOTS)
        slots = _in_range(session, first, last)
        for slot in slots:
            slot.cabinet = cabinet
        audit.append(
            session,
            EventKind.SLOTS_CABINET_SET,
            actor,
            details={"from": first, "to": last, "count": len(slots), "cabinet": cabinet},
        )
        return len(slots)


def set_reserved_range(
    sessions: Database, actor: Actor, first: int, last: int, reserved: bool
) -> int:
    """Keep the range for confiscations (or give it back to daily hand-ins). A device
    already in one of the slots stays where it is."""
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_SLOTS)
        slots = _in_range(session, first, last)
        for slot in slots:
            slot.reserved_for_confiscation = reserved
        audit.append(
            session,
            EventKind.SLOTS_RESERVED if reserved else EventKind.SLOTS_UNRESERVED,
            actor,
            details={"from": first, "to": last, "count": len(slots)},
        )
        return len(slots)


def remove_slots(sessions: Database, actor: Actor, first: int, last: int) -> RemovedSlots:
    """Delete the slots in the range that never held a device; those that did stay on
    record (their history refers to them) and are taken out of service."""
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_SLOTS)
        slots = _in_range(session, first, last)
        ids = [s.id for s in slots]
        held = session.scalar(
            select(Slot.number)
            .join(Custody, Custody.slot_id == Slot.id)
            .where(Custody.state == HELD, Slot.id.in_(ids))
            .limit(1)
        )
        if held is not None:
            raise AlreadyHeld(f"Slot {held} holds a device: move it to another slot first.")
        used = set(session.scalars(select(Custody.slot_id).where(Custody.slot_id.in_(ids))))
        removed = retired = 0
        for slot in slots:
            if slot.id in used:
                slot.in_service = False
                retired += 1
            else:
                session.delete(slot)
                removed += 1
        audit.append(
            session,
            EventKind.SLOTS_REMOVED,
            actor,
            details={"from": first, "to": last, "removed": removed, "retired": retired},
        )
        return RemovedSlots(removed, retired)
