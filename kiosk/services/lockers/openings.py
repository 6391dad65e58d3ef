"""A door opened on purpose, from the unlock command to the door shut again: the states
and outcomes both the door actions and the monitor use."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from kiosk.event_kinds import EventKind
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.services.lockers.bank import Door
from kiosk.tables import LockerOpening


class Purpose(StrEnum):
    HAND_IN = "hand_in"
    RELEASE = "release"
    EMERGENCY = "emergency"


class State(StrEnum):
    COMMANDED = "commanded"  # unlock sent, not yet seen open
    OPEN = "open"
    SHUT_EMPTY = "shut_empty"  # a hand-in's door shut on an empty slot: asking the pupil
    FINISHED = "finished"


class Outcome(StrEnum):
    DEPOSITED = "deposited"
    SHUT_NO_SENSOR = "shut_no_sensor"  # the cabinet senses no occupancy: shut is all we know
    DECLARED_NOT_DEPOSITED = "declared_not_deposited"
    EMPTIED = "emptied"
    NOT_EMPTY = "not_empty"
    SHUT = "shut"
    JAMMED = "jammed"
    BOARD_FAILED = "board_failed"
    REOPENED = "reopened"
    SUPERSEDED = "superseded"  # an emergency release took the door over


def active(session: Session) -> dict[int, LockerOpening]:
    """The unfinished opening of each slot (by slot id)."""
    rows = session.scalars(
        select(LockerOpening)
        .where(LockerOpening.finished_at.is_(None))
        .order_by(LockerOpening.opened_at)
    )
    return {opening.slot_id: opening for opening in rows}


def start(
    conn: Connection | Session,
    door: Door,
    purpose: Purpose,
    actor: Actor,
    now: dt.datetime,
    *,
    custody_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    """Record an opening about to be commanded, with its audit event; its id."""
    if isinstance(conn, Session):
        conn.flush()
        conn = conn.connection()
    opening_id: int = conn.execute(
        _INSERT_OPENING,
        {
            "slot_id": door.slot_id,
            "purpose": purpose.value,
            "custody_id": custody_id,
            "opened_at": now,
            "opened_by_id": actor.id,
            "state": State.COMMANDED.value,
        },
    ).scalar_one()
    audit.append(
        conn,
        EventKind.LOCKER_UNLOCK_SENT,
        actor,
        slot_number=door.slot_number,
        custody_id=custody_id,
        at=now,
        details={
            "opening_id": opening_id,
            "purpose": purpose.value,
            "cabinet": door.cabinet,
            "board": door.board,
            "channel": door.channel,
            **(details or {}),
        },
    )
    return opening_id


_INSERT_OPENING = insert(LockerOpening).returning(LockerOpening.id)


def finish(opening: LockerOpening, outcome: Outcome, now: dt.datetime) -> None:
    opening.state, opening.outcome, opening.finished_at = State.FINISHED.value, outcome.value, now
