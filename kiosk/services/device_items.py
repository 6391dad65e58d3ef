"""The devices themselves: a pupil's usual set (staff set it, so the morning stays one
scan) and giving back some of a pupil's devices while others stay, which needs a reason
(the database refuses an item taken apart from its slot's others without one)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.devices import Device, checked, decode, encode
from kiosk.errors import InvalidInput, NotHeld
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.services.common import get_pupil, now_or, require
from kiosk.services.custody import mark_released, record
from kiosk.tables import HELD, Custody, CustodyItem, CustodyKind, ReleasedTo

REASON_MAX = 200


@dataclass(frozen=True)
class HeldItem:
    """One device held for a pupil today, as staff and pupil see it at collection."""

    id: int
    custody_id: int
    slot_number: int | None
    kind: str
    description: str


def usual_devices(sessions: Database, pupil_id: int) -> tuple[Device, ...]:
    with sessions() as session:
        return decode(get_pupil(session, pupil_id).usual_devices)


def set_usual_devices(
    sessions: Database,
    actor: Actor,
    pupil_id: int,
    devices: Sequence[Device],
    now: dt.datetime | None = None,
) -> tuple[Device, ...]:
    """What the pupil hands in each morning, from now on."""
    chosen = checked(devices)
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.SET_USUAL_DEVICES)
        pupil = get_pupil(session, pupil_id)
        before = decode(pupil.usual_devices)
        pupil.usual_devices = encode(chosen)
        audit.append(
            session,
            EventKind.USUAL_DEVICES_SET,
            actor,
            pupil_id=pupil.id,
            at=now,
            details={
                "before": [d.words for d in before],
                "after": [d.words for d in chosen],
            },
        )
        return chosen


def held_items(sessions: Database, pupil_id: int) -> tuple[HeldItem, ...]:
    """Every daily device held for the pupil now, slot by slot."""
    with sessions() as session:
        return tuple(_item(i) for i in _held_items(session, pupil_id))


def _held_items(session: Session, pupil_id: int) -> list[CustodyItem]:
    query = (
        select(CustodyItem)
        .join(Custody, Custody.id == CustodyItem.custody_id)
        .where(
            Custody.pupil_id == pupil_id,
            Custody.state == HELD,
            Custody.kind == CustodyKind.DAILY.value,
            CustodyItem.released_at.is_(None),
        )
        .order_by(Custody.part, CustodyItem.id)
    )
    return list(session.scalars(query))


def _item(item: CustodyItem) -> HeldItem:
    slot = item.custody.slot
    return HeldItem(
        item.id, item.custody_id, slot.number if slot else None, item.kind, item.description or ""
    )


def give_back_some(
    sessions: Database,
    actor: Actor,
    pupil_id: int,
    item_ids: Collection[int],
    reason: str,
    now: dt.datetime | None = None,
) -> tuple[HeldItem, ...]:
    """Give the pupil the chosen devices and keep the rest, for a reason staff give (the
    whole day's devices go back with custody.collect). Returns what stays."""
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("Say why only some of the devices go back.")
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"Keep the reason under {REASON_MAX} characters.")
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.COLLECT)
        held = _held_items(session, pupil_id)
        chosen = [i for i in held if i.id in item_ids]
        if not chosen or len(chosen) != len(set(item_ids)):
            raise NotHeld("Choose devices that are held for this pupil now.")
        if len(chosen) == len(held):
            raise InvalidInput("That is every device: give them all back instead.")
        for custody in {i.custody for i in chosen}:
            _give_back(custody, [i for i in chosen if i.custody is custody], actor, now, reason)
            record(
                session,
                EventKind.GIVEN_BACK_APART,
                actor,
                custody,
                now,
                details={
                    "given_back": [i.kind for i in chosen if i.custody is custody],
                    "reason": reason,
                },
            )
        session.flush()
        return tuple(_item(i) for i in held if i not in chosen)


def _give_back(
    custody: Custody, items: list[CustodyItem], actor: Actor, now: dt.datetime, reason: str
) -> None:
    left = [i for i in custody.items if i.released_at is None and i not in items]
    if not left:  # the slot's last devices: the custody itself goes back
        mark_released(custody, actor, now, ReleasedTo.PUPIL)
        custody.release_note = reason
        return
    for item in items:
        item.released_at, item.released_by_id, item.release_reason = now, actor.id, reason
