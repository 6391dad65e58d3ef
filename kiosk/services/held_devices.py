"""Staff actions on a device already held: move it to another slot, keep it overnight.
Each is one transaction with its audit event."""

from __future__ import annotations

import datetime as dt

from kiosk.clock import local_date
from kiosk.db import Database
from kiosk.errors import InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services.allocation import free_slot
from kiosk.services.audit import Actor
from kiosk.services.common import now_or, require
from kiosk.services.custody import CustodyInfo, held_custody, info_of, record
from kiosk.tables import CustodyKind


def move(
    sessions: Database,
    actor: Actor,
    custody_id: int,
    to_slot_number: int,
    now: dt.datetime | None = None,
) -> CustodyInfo:
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.MOVE)
        custody = held_custody(session, custody_id)
        before = custody.slot.number if custody.slot is not None else None
        if before == to_slot_number:
            raise InvalidInput(f"The device is already in slot {before}.")
        target = free_slot(
            session.connection(),
            confiscation=custody.kind == CustodyKind.CONFISCATION,
            wanted=to_slot_number,
        )
        custody.slot_id = target.id
        session.flush()
        session.refresh(custody)
        record(
            session,
            EventKind.MOVED,
            actor,
            custody,
            now,
            details={"from_slot": before, "to_slot": target.number},
        )
        return info_of(session, custody)


def keep_overnight(
    sessions: Database,
    actor: Actor,
    custody_id: int,
    reason: str = "",
    now: dt.datetime | None = None,
) -> None:
    """Record at end of day that a held device stays in school tonight, and why."""
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.KEEP_OVERNIGHT)
        custody = held_custody(session, custody_id)
        custody.keep_overnight_on = local_date(now)
        record(
            session,
            EventKind.KEPT_OVERNIGHT,
            actor,
            custody,
            now,
            details={"reason": reason.strip()},
        )
