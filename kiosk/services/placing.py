"""Where a pupil's devices of the day go: the hand-in's slot choice for several devices.

Runs inside the hand-in's transaction on its Core connection (the morning's hot path): the
pupil's devices (their usual set, or what they took out if they are back from an
appointment or a trip) go together in one slot when they fit, else in as few slots as the
school's slot capacity allows; a pupil back from being out gets the slot they left if it is
still free. Each slot's share is one custody (its part), each device one item of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from kiosk.devices import Device, decode, split_for_slots
from kiosk.errors import AlreadyHeld, SlotUnavailable
from kiosk.event_kinds import EventKind
from kiosk.services import audit
from kiosk.services.allocation import free_slot
from kiosk.services.audit import Actor
from kiosk.services.common import AnyRow, PupilSummary
from kiosk.services.hand_in_facts import DayFacts
from kiosk.tables import HELD, Custody, CustodyItem, CustodyKind, DayOut, Slot


@dataclass(frozen=True)
class Placement:
    """One slot of a hand-in: its number, its custody, the kinds of device put in it."""

    slot_number: int
    custody_id: int
    kinds: tuple[str, ...]


# Built once: every hand-in runs them.
_CLOSE_OUT = (
    update(DayOut)
    .where(DayOut.id == bindparam("out_id"))
    .values(back_at=bindparam("back_at"), back_custody_id=bindparam("custody_id"))
)
_INSERT_CUSTODY = insert(Custody).returning(Custody.id)
_INSERT_ITEM = insert(CustodyItem)
_HELD_ITEMS = (
    select(Custody.id, Slot.number, CustodyItem.kind)
    .join(CustodyItem, CustodyItem.custody_id == Custody.id)
    .join(Slot, Slot.id == Custody.slot_id)
    .where(
        Custody.pupil_id == bindparam("pupil_id"),
        Custody.state == HELD,
        Custody.kind == CustodyKind.DAILY.value,
        CustodyItem.released_at.is_(None),
    )
    .order_by(Custody.part, CustodyItem.id)
)


@dataclass(frozen=True)
class Marks:
    """How a hand-in came about: card-less (staff found the pupil by name) and/or late."""

    card_less: bool = False
    late: bool = False
    token: str | None = None  # the kiosk job's, so a hand-in cut off at its commit is found


def place_day(
    conn: Connection,
    pupil: PupilSummary,
    actor: Actor,
    now: dt.datetime,
    facts: DayFacts,
    devices: Sequence[Device] | None = None,
    before_write: Callable[[], None] | None = None,
    marks: Marks = Marks(),
) -> tuple[Placement, ...]:
    """Put the pupil's devices in slots, record each slot's custody, items and event, and
    close the pupil's open day-out if they are back (``facts``: read at the scan).
    ``before_write`` runs once the slot is chosen (and, on PostgreSQL, its lock held),
    before anything is written: it may refuse.
    ``marks.token`` goes into every slot's event, so a hand-in cut off at its commit can be
    looked up (``kiosk.services.outcome``)."""
    out = facts.out
    if devices is None:
        stored = out.device_kinds if out is not None and out.device_kinds else None
        devices = decode(stored or pupil.usual_devices)
    placements = []
    wanted = out.slot_number if out is not None else None
    for part, group in enumerate(split_for_slots(devices, facts.capacity), start=1):
        placements.append(
            _place(conn, pupil, actor, now, (part, group), wanted, out, before_write, marks)
        )
        wanted = None
    if out is not None:
        conn.execute(
            _CLOSE_OUT,
            {"out_id": out.out_id, "back_at": now, "custody_id": placements[0].custody_id},
        )
    return tuple(placements)


def _place(
    conn: Connection,
    pupil: PupilSummary,
    actor: Actor,
    now: dt.datetime,
    part_group: tuple[int, Sequence[Device]],
    wanted: int | None,
    out: AnyRow | None,
    before_write: Callable[[], None] | None,
    marks: Marks,
) -> Placement:
    part, group = part_group
    slot = _slot(conn, wanted)
    if before_write is not None:
        before_write()
    custody_id = conn.execute(
        _INSERT_CUSTODY,
        {
            "pupil_id": pupil.id,
            "slot_id": slot.id,
            "kind": CustodyKind.DAILY.value,
            "part": part,
            "state": HELD,
            "received_at": now,
            "received_by_id": actor.id,
            "switched_off_confirmed": False,
            "card_less": marks.card_less,
            "late": marks.late,
        },
    ).scalar_one()
    conn.execute(
        _INSERT_ITEM,
        [
            {"custody_id": custody_id, "kind": d.kind.value, "description": d.description or None}
            for d in group
        ],
    )
    kinds = tuple(d.kind.value for d in group)
    audit.append(
        conn,
        EventKind.HAND_IN_WITHOUT_CARD if marks.card_less else EventKind.HAND_IN,
        actor,
        pupil_id=pupil.id,
        slot_number=slot.number,
        custody_id=custody_id,
        at=now,
        details=_details(group, out, marks),
    )
    return Placement(slot.number, custody_id, kinds)


def _slot(conn: Connection, wanted: int | None) -> AnyRow:
    if wanted is not None:
        try:
            return free_slot(conn, confiscation=False, wanted=wanted)
        except (AlreadyHeld, SlotUnavailable):
            pass  # taken since they left, or out of service: the lowest free one
    return free_slot(conn, confiscation=False)


def _details(group: Sequence[Device], out: AnyRow | None, marks: Marks) -> dict[str, object] | None:
    """What went in, unless it is the plain single phone every older event means."""
    details: dict[str, object] = {}
    if len(group) > 1 or group[0].kind != "phone" or group[0].description:
        details["devices"] = [d.words for d in group]
    if out is not None:
        details["back_from"] = out.reason
        details["day_out_id"] = out.out_id
    if marks.late:
        details["late"] = True
    if marks.token:
        details["token"] = marks.token
    return details or None


def held_placements(conn: Connection, pupil_id: int) -> tuple[Placement, ...]:
    """The pupil's daily devices held now, by slot (what a repeat scan shows)."""
    kinds: dict[tuple[int, int], list[str]] = {}
    for row in conn.execute(_HELD_ITEMS, {"pupil_id": pupil_id}):
        kinds.setdefault((row.id, row.number), []).append(row.kind)
    return tuple(
        Placement(number, custody_id, tuple(found)) for (custody_id, number), found in kinds.items()
    )
