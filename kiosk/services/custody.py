"""Custody of devices: one function per user action, each one transaction with its audit
event. Results are plain dataclasses so screens never touch a closed session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, literal_column, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from kiosk.clock import local_date
from kiosk.db import Sessions
from kiosk.errors import (
    ConfiscatedNeedsParent,
    InvalidInput,
    NotAuthorised,
    NotHeld,
    UndoWindowPassed,
)
from kiosk.event_kinds import EventKind
from kiosk.rules import Action, may_undo
from kiosk.services import audit, cards
from kiosk.services.allocation import IS_HELD, free_slot, retry_on_conflict
from kiosk.services.audit import KIOSK_ACTOR, Actor
from kiosk.services.common import (
    PupilSummary,
    active_pupil_summary,
    now_or,
    require,
    require_on,
    summarise,
)
from kiosk.services.exemptions import ExemptionInfo, active_exemption
from kiosk.tables import (
    HELD,
    Custody,
    CustodyKind,
    CustodyState,
    Pupil,
    ReleasedTo,
    Slot,
)


@dataclass(frozen=True)
class HandInResult:
    pupil: PupilSummary
    slot_number: int | None  # None when the pupil is exempt
    custody_id: int | None
    already_held: bool
    exemption: ExemptionInfo | None
    received_at: dt.datetime | None


@dataclass(frozen=True)
class CustodyInfo:
    id: int
    pupil: PupilSummary
    kind: str
    state: str
    slot_number: int | None
    received_at: dt.datetime
    dsl_referred: bool = False


@dataclass(frozen=True)
class CollectionCheck:
    """What the kiosk shows at home time before staff confirm."""

    pupil: PupilSummary
    daily: CustodyInfo | None
    confiscations: tuple[CustodyInfo, ...]


def _has_photo(session: Session, pupil_id: int) -> bool:
    return bool(session.connection().execute(_HAS_PHOTO, {"pupil_id": pupil_id}).scalar())


def _summary(session: Session, pupil: Pupil) -> PupilSummary:
    return summarise(pupil, _has_photo(session, pupil.id))


def info_of(session: Session, custody: Custody) -> CustodyInfo:
    referred = bool(custody.confiscation and custody.confiscation.dsl_referred_at)
    return CustodyInfo(
        id=custody.id,
        pupil=_summary(session, custody.pupil),
        kind=custody.kind,
        state=custody.state,
        slot_number=_slot_number(custody),
        received_at=custody.received_at,
        dsl_referred=referred,
    )


def _held(session: Session, pupil_id: int, kind: CustodyKind) -> list[Custody]:
    return list(session.scalars(_HELD_FOR_PUPIL, {"pupil_id": pupil_id, "kind": kind.value}))


# Built once: every hand-in runs them (building a statement costs more than running it).
_HAS_PHOTO = select(Pupil.photo.is_not(None)).where(Pupil.id == bindparam("pupil_id"))
_HELD_FOR_PUPIL = (
    select(Custody)
    .where(
        Custody.pupil_id == bindparam("pupil_id"),
        Custody.state == HELD,
        Custody.kind == bindparam("kind"),
    )
    .order_by(Custody.received_at)
)
# A literal for the same reason as IS_HELD: the partial indexes state it so.
_IS_DAILY = Custody.kind == literal_column(f"'{CustodyKind.DAILY.value}'")
_HELD_DAILY = (
    select(Custody.id, Slot.number, Custody.received_at)
    .outerjoin(Slot, Slot.id == Custody.slot_id)
    .where(Custody.pupil_id == bindparam("pupil_id"), IS_HELD, _IS_DAILY)
    .order_by(Custody.received_at)
    .limit(1)
)
_INSERT_CUSTODY = insert(Custody).returning(Custody.id)


def held_custody(session: Session, custody_id: int) -> Custody:
    """The device's record, locked for this transaction; NotHeld unless it is held now."""
    custody = session.get(Custody, custody_id, with_for_update=True)
    if custody is None:
        raise NotHeld("No such device record.")
    if custody.state != HELD:
        raise NotHeld("That device is no longer held.")
    return custody


# -- the pupil's own actions at the kiosk -------------------------------------------------


def hand_in(
    sessions: Sessions, pupil_id: int, *, actor: Actor = KIOSK_ACTOR, now: dt.datetime | None = None
) -> HandInResult:
    """Give the pupil the lowest free slot, or the slot already held for them today."""
    return retry_on_conflict(
        lambda: _hand_in_once(
            sessions, actor, now, lambda conn: active_pupil_summary(conn, pupil_id)
        )
    )


def hand_in_by_card(
    sessions: Sessions,
    card_text: object,
    *,
    now: dt.datetime | None = None,
    token: str | None = None,
) -> HandInResult:
    """``token`` (made by the kiosk for this scan) goes into the hand-in's audit details,
    so a hand-in whose commit was cut off can be looked up (``kiosk.services.outcome``)."""
    return retry_on_conflict(
        lambda: _hand_in_once(
            sessions, KIOSK_ACTOR, now, lambda conn: cards.card_holder(conn, card_text), token
        )
    )


def _hand_in_once(
    sessions: Sessions,
    actor: Actor,
    now: dt.datetime | None,
    find_pupil: Callable[[Connection], PupilSummary],
    token: str | None = None,
) -> HandInResult:
    # On a Core connection, not an ORM session: a pupil waits for this at every scan, and
    # the session's bookkeeping cost more than the statements themselves.
    now = now_or(now)
    with sessions.transaction() as conn:
        if actor.id is not None:
            require_on(conn, actor, Action.HAND_IN_FOR_PUPIL)
        pupil = find_pupil(conn)
        held = conn.execute(_HELD_DAILY, {"pupil_id": pupil.id}).first()
        if held:
            audit.append(
                conn,
                EventKind.HAND_IN_REPEAT_SCAN,
                actor,
                pupil_id=pupil.id,
                slot_number=held.number,
                custody_id=held.id,
                at=now,
            )
            return HandInResult(pupil, held.number, held.id, True, None, held.received_at)
        exemption = active_exemption(conn, pupil.id, local_date(now))
        if exemption:
            audit.append(
                conn,
                EventKind.EXEMPTION_SHOWN,
                actor,
                pupil_id=pupil.id,
                at=now,
                details={"exemption_id": exemption.id, "category": exemption.category},
            )
            return HandInResult(pupil, None, None, False, exemption, None)
        slot = free_slot(conn, confiscation=False)
        custody_id = conn.execute(
            _INSERT_CUSTODY,
            {
                "pupil_id": pupil.id,
                "slot_id": slot.id,
                "kind": CustodyKind.DAILY.value,
                "state": HELD,
                "received_at": now,
                "received_by_id": actor.id,
                "switched_off_confirmed": False,
            },
        ).scalar_one()
        audit.append(
            conn,
            EventKind.HAND_IN,
            actor,
            pupil_id=pupil.id,
            slot_number=slot.number,
            custody_id=custody_id,
            at=now,
            details={"token": token} if token else None,
        )
        return HandInResult(pupil, slot.number, custody_id, False, None, now)


def undo_hand_in(
    sessions: Sessions,
    custody_id: int,
    *,
    actor: Actor = KIOSK_ACTOR,
    now: dt.datetime | None = None,
) -> None:
    """Take back a hand-in made in error, within a short window (staff: any time today)."""
    now = now_or(now)
    with sessions.begin() as session:
        custody = held_custody(session, custody_id)
        if custody.kind != CustodyKind.DAILY:
            raise NotAuthorised("A confiscation cannot be undone here.")
        if actor.id is None:
            if not may_undo(custody.received_at, now):
                raise UndoWindowPassed()
        else:
            require(session, actor, Action.UNDO_HAND_IN)
        custody.state = CustodyState.CANCELLED.value
        custody.released_at, custody.released_by_id = now, actor.id
        record(session, EventKind.HAND_IN_UNDONE, actor, custody, now)


def check_collection(sessions: Sessions, card_text: object) -> CollectionCheck:
    """Read-only: what is held for the pupil whose card was scanned at home time."""
    with sessions() as session:
        pupil = cards.pupil_for_card(session, card_text)
        return _collection_check(session, pupil)


def _collection_check(session: Session, pupil: Pupil) -> CollectionCheck:
    daily = _held(session, pupil.id, CustodyKind.DAILY)
    confiscated = _held(session, pupil.id, CustodyKind.CONFISCATION)
    return CollectionCheck(
        pupil=_summary(session, pupil),
        daily=info_of(session, daily[0]) if daily else None,
        confiscations=tuple(info_of(session, c) for c in confiscated),
    )


def collect(
    sessions: Sessions, custody_id: int, actor: Actor, now: dt.datetime | None = None
) -> CustodyInfo:
    """Give a daily hand-in back to its pupil. Confiscated devices never go this way."""
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.COLLECT)
        custody = held_custody(session, custody_id)
        if custody.kind == CustodyKind.CONFISCATION:
            raise ConfiscatedNeedsParent()
        mark_released(custody, actor, now, ReleasedTo.PUPIL)
        info = info_of(session, custody)
        record(session, EventKind.COLLECTED, actor, custody, now)
        return info


def _slot_number(custody: Custody) -> int | None:
    return custody.slot.number if custody.slot else None


def record(
    session: Session,
    kind: EventKind,
    actor: Actor,
    custody: Custody,
    now: dt.datetime,
    details: dict[str, Any] | None = None,
) -> None:
    """The audit event of a staff action on one device (a release keeps the slot it left)."""
    audit.append(
        session,
        kind,
        actor,
        pupil_id=custody.pupil_id,
        slot_number=_slot_number(custody),
        custody_id=custody.id,
        at=now,
        details=details,
    )


def mark_released(
    custody: Custody,
    by: Actor,
    now: dt.datetime,
    to: ReleasedTo,
    state: CustodyState = CustodyState.RELEASED,
) -> None:
    """Set a release's fields on the device's record, inside the caller's transaction (the
    caller has checked the actor's permission and records the event)."""
    custody.state = state.value
    custody.released_at = now
    custody.released_by_id = by.id
    custody.released_to = to.value


# -- staff housekeeping --------------------------------------------------------------------


def move(
    sessions: Sessions,
    actor: Actor,
    custody_id: int,
    to_slot_number: int,
    now: dt.datetime | None = None,
) -> CustodyInfo:
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.MOVE)
        custody = held_custody(session, custody_id)
        before = _slot_number(custody)
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
    sessions: Sessions,
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
