"""Locker faults: what the staff dashboard shows until someone deals with it. Raising one
writes its audit event in the caller's transaction; each fault is raised once while open."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.errors import InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import KIOSK_ACTOR, Actor
from kiosk.services.common import now_or, require
from kiosk.tables import LockerFault


class FaultKind(StrEnum):
    DOOR_LEFT_OPEN = "door_left_open"
    DOOR_JAMMED = "door_jammed"
    DOOR_OPENED_UNEXPECTEDLY = "door_opened_unexpectedly"
    OCCUPIED_BUT_FREE = "occupied_but_free"
    BOARD_NOT_ANSWERING = "board_not_answering"
    DECLARED_NOT_DEPOSITED = "declared_not_deposited"
    NOT_EMPTY_AFTER_RELEASE = "not_empty_after_release"


@dataclass(frozen=True)
class FaultInfo:
    id: int
    kind: str
    slot_number: int | None
    cabinet: str | None
    board: int | None
    custody_id: int | None
    raised_at: dt.datetime
    message: str


@dataclass(frozen=True)
class FaultKey:
    """What makes two faults the same one: a slot's, or a board's."""

    kind: str
    slot_number: int | None = None
    cabinet: str | None = None
    board: int | None = None


def _info(fault: LockerFault) -> FaultInfo:
    return FaultInfo(
        fault.id,
        fault.kind,
        fault.slot_number,
        fault.cabinet,
        fault.board,
        fault.custody_id,
        fault.raised_at,
        fault.message,
    )


def _key(fault: LockerFault) -> FaultKey:
    if fault.slot_number is not None:
        return FaultKey(fault.kind, fault.slot_number)
    return FaultKey(fault.kind, None, fault.cabinet, fault.board)


def open_in(session: Session) -> dict[FaultKey, LockerFault]:
    rows = session.scalars(select(LockerFault).where(LockerFault.cleared_at.is_(None)))
    return {_key(fault): fault for fault in rows}


def board_down(session: Connection | Session, cabinet: str, board: int) -> bool:
    """Whether the board has an open "not answering" fault (the kiosk does not wait on a
    board it already knows is down: the slot is manual until it answers again)."""
    found = session.execute(_BOARD_DOWN, {"cabinet": cabinet, "board": board}).first()
    return found is not None


_BOARD_DOWN = select(LockerFault.id).where(
    LockerFault.cleared_at.is_(None),
    LockerFault.kind == FaultKind.BOARD_NOT_ANSWERING.value,
    LockerFault.cabinet == bindparam("cabinet"),
    LockerFault.board == bindparam("board"),
)


def raise_in(
    session: Session,
    key: FaultKey,
    message: str,
    now: dt.datetime,
    *,
    custody_id: int | None = None,
    already_open: dict[FaultKey, LockerFault] | None = None,
) -> LockerFault | None:
    """Record the fault unless the same one is open already; returns the new fault."""
    known = open_in(session) if already_open is None else already_open
    if key in known:
        return None
    fault = LockerFault(
        kind=key.kind,
        slot_number=key.slot_number,
        cabinet=key.cabinet,
        board=key.board,
        custody_id=custody_id,
        raised_at=now,
        message=message,
    )
    session.add(fault)
    session.flush()
    known[key] = fault
    audit.append(
        session,
        EventKind.LOCKER_FAULT,
        KIOSK_ACTOR,
        slot_number=key.slot_number,
        custody_id=custody_id,
        at=now,
        details={
            "fault_id": fault.id,
            "kind": key.kind,
            "cabinet": key.cabinet,
            "board": key.board,
            "message": message,
        },
    )
    return fault


def clear_in(
    session: Session, fault: LockerFault, actor: Actor, now: dt.datetime, note: str
) -> None:
    fault.cleared_at, fault.cleared_by_id, fault.cleared_note = now, actor.id, note or None
    audit.append(
        session,
        EventKind.LOCKER_FAULT_CLEARED,
        actor,
        slot_number=fault.slot_number,
        custody_id=fault.custody_id,
        at=now,
        details={"fault_id": fault.id, "kind": fault.kind, "note": note},
    )


def open_faults(sessions: Database) -> list[FaultInfo]:
    """The faults the staff dashboard shows, oldest first."""
    with sessions() as session:
        rows = session.scalars(
            select(LockerFault)
            .where(LockerFault.cleared_at.is_(None))
            .order_by(LockerFault.raised_at, LockerFault.id)
        )
        return [_info(fault) for fault in rows]


def clear(
    sessions: Database, actor: Actor, fault_id: int, note: str, now: dt.datetime | None = None
) -> None:
    """A member of staff has dealt with the fault (say how in ``note``)."""
    note = " ".join(note.split())
    if not note:
        raise InvalidInput("Say what was done about it.")
    with sessions.begin() as session:
        require(session, actor, Action.VIEW_CONSOLE)
        fault = session.get(LockerFault, fault_id)
        if fault is None or fault.cleared_at is not None:
            raise InvalidInput("That fault is not open.")
        clear_in(session, fault, actor, now_or(now), note)
