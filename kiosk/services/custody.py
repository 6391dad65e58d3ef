"""Custody of devices: one function per user action, each one transaction with its audit
event. Results are plain dataclasses so screens never touch a closed session."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.devices import Device, checked
from kiosk.errors import (
    ConfiscatedNeedsParent,
    NotAuthorised,
    NotHeld,
    TooLate,
    UndoWindowPassed,
)
from kiosk.event_kinds import EventKind
from kiosk.rules import Action, may_undo
from kiosk.services import audit, cards, hand_in_facts, placing
from kiosk.services.allocation import retry_on_conflict
from kiosk.services.audit import KIOSK_ACTOR, Actor
from kiosk.services.common import (
    PupilSummary,
    active_pupil_summary,
    now_or,
    require,
    require_on,
    summarise,
)
from kiosk.services.exemptions import ExemptionInfo
from kiosk.services.placing import Placement
from kiosk.tables import (
    HELD,
    Custody,
    CustodyKind,
    CustodyState,
    Pupil,
    ReleasedTo,
)


@dataclass(frozen=True)
class HandInResult:
    pupil: PupilSummary
    slot_number: int | None  # None when the pupil is exempt
    custody_id: int | None
    already_held: bool
    exemption: ExemptionInfo | None
    received_at: dt.datetime | None
    # every slot the pupil's devices are in (the first is slot_number): "phone and watch
    # in slot 12", or one line a slot when they did not fit one
    placements: tuple[Placement, ...] = ()
    late: bool = False  # after the hand-in window closed (kiosk.services.school_day)
    exam_today: bool = False  # an exam candidate today: remind them, every device


@dataclass(frozen=True)
class CustodyInfo:
    id: int
    pupil: PupilSummary
    kind: str
    state: str
    slot_number: int | None
    received_at: dt.datetime
    dsl_referred: bool = False
    kinds: tuple[str, ...] = ()  # the devices in it (kiosk.devices.DeviceKind values)
    other_slots: tuple[int, ...] = ()  # the pupil's day's devices that filled more slots


@dataclass(frozen=True)
class CollectionCheck:
    """What the kiosk shows at home time before staff confirm."""

    pupil: PupilSummary
    daily: CustodyInfo | None  # its other_slots name the day's other slots, if any
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
        kinds=kinds_in(custody),
    )


def kinds_in(custody: Custody) -> tuple[str, ...]:
    """The kinds of device in the custody that have not left it apart from the rest."""
    return tuple(item.kind for item in custody.items if item.released_at is None)


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
    sessions: Database,
    pupil_id: int,
    *,
    actor: Actor = KIOSK_ACTOR,
    now: dt.datetime | None = None,
    devices: Sequence[Device] | None = None,
) -> HandInResult:
    """Give the pupil the lowest free slot (for all their devices: ``devices``, else their
    usual ones), or show the slot already held for them today."""
    chosen = checked(devices) if devices is not None else None
    return retry_on_conflict(
        lambda: _hand_in_once(
            sessions, actor, now, lambda conn: active_pupil_summary(conn, pupil_id), chosen
        )
    )


def hand_in_without_card(
    sessions: Database, pupil_id: int, actor: Actor, *, now: dt.datetime | None = None
) -> HandInResult:
    """A pupil who forgot their card: a member of staff found them by name (photo shown)
    and vouches for them; recorded card-less, with that member as the receiver."""
    return retry_on_conflict(
        lambda: _hand_in_once(
            sessions,
            actor,
            now,
            lambda conn: active_pupil_summary(conn, pupil_id),
            card_less=True,
        )
    )


def hand_in_by_card(
    sessions: Database,
    card_text: object,
    *,
    now: dt.datetime | None = None,
    deadline: float | None = None,
    token: str | None = None,
) -> HandInResult:
    """Past ``deadline`` (``time.monotonic()``) the pupil may have gone, phone and all:
    nothing is written, ``TooLate`` is raised, and they scan again. ``token`` (made by the
    kiosk for this scan) goes into the hand-in's audit details, so a hand-in whose commit
    was cut off can be looked up (``kiosk.services.outcome``)."""
    find = partial(cards.card_holder, text=card_text)
    return retry_on_conflict(
        lambda: _hand_in_once(sessions, KIOSK_ACTOR, now, find, deadline=deadline, token=token)
    )


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise TooLate()


def _hand_in_once(
    sessions: Database,
    actor: Actor,
    now: dt.datetime | None,
    find_pupil: Callable[[Connection], PupilSummary],
    devices: Sequence[Device] | None = None,
    deadline: float | None = None,
    token: str | None = None,
    *,
    card_less: bool = False,
) -> HandInResult:
    # On a Core connection, not an ORM session: a pupil waits for this at every scan, and
    # the session's bookkeeping cost more than the statements themselves.
    now = now_or(now)
    with sessions.transaction() as conn:
        _check_deadline(deadline)  # SQLite: the write lock is ours from here
        if card_less or actor.id is not None:  # card-less: a member of staff vouches
            require_on(conn, actor, Action.HAND_IN_FOR_PUPIL)
        pupil = find_pupil(conn)
        facts = hand_in_facts.read(conn, pupil.id, now)  # one statement: the day so far
        exam, held = facts.exam_today, facts.held
        if held:
            audit.append(
                conn,
                EventKind.HAND_IN_REPEAT_SCAN,
                actor,
                pupil_id=pupil.id,
                slot_number=held.number,
                custody_id=held.custody_id,
                at=now,
            )
            placed = placing.held_placements(conn, pupil.id)
            return HandInResult(
                pupil,
                held.number,
                held.custody_id,
                True,
                None,
                held.received_at,
                placed,
                exam_today=exam,
            )
        exemption = facts.exemption
        if exemption:
            audit.append(
                conn,
                EventKind.EXEMPTION_SHOWN,
                actor,
                pupil_id=pupil.id,
                at=now,
                details={"exemption_id": exemption.id, "category": exemption.category},
            )
            return HandInResult(pupil, None, None, False, exemption, None, exam_today=exam)
        check = partial(_check_deadline, deadline)  # PostgreSQL: the slot lock is ours then
        marks = placing.Marks(card_less=card_less, late=facts.late, token=token)
        placed = placing.place_day(
            conn, pupil, actor, now, facts, devices, before_write=check, marks=marks
        )
        first = placed[0]
        return HandInResult(
            pupil, first.slot_number, first.custody_id, False, None, now, placed, marks.late, exam
        )


def undo_hand_in(
    sessions: Database,
    custody_id: int,
    *,
    actor: Actor = KIOSK_ACTOR,
    card_text: object = None,
    now: dt.datetime | None = None,
) -> None:
    """Take back a hand-in made in error. At the kiosk: within a short window, and only
    with the card that handed it in shown again (a pupil in the queue has not got it).
    Staff: any time. Either way the slot is not given to anyone else until a member of
    staff has checked it is empty (``slot_checks``): the phone may already be in it."""
    now = now_or(now)
    with sessions.begin() as session:
        custody = held_custody(session, custody_id)
        if custody.kind != CustodyKind.DAILY:
            raise NotAuthorised("A confiscation cannot be undone here.")
        if actor.id is None:
            if not may_undo(custody.received_at, now):
                raise UndoWindowPassed()
            if cards.card_holder(session.connection(), card_text).id != custody.pupil_id:
                raise NotAuthorised("Only the card that handed it in can undo it.")
        else:
            require(session, actor, Action.UNDO_HAND_IN)
        # a hand-in that filled several slots is undone whole; each slot then waits for a
        # member of staff to check it is empty before anyone else is given it
        for part in _held(session, custody.pupil_id, CustodyKind.DAILY):
            if part.received_at == custody.received_at:
                part.state = CustodyState.CANCELLED.value
                part.released_at, part.released_by_id = now, actor.id
                if part.slot is not None:
                    part.slot.check_needed_since = now
                record(session, EventKind.HAND_IN_UNDONE, actor, part, now)


def check_collection(sessions: Database, card_text: object) -> CollectionCheck:
    """Read-only: what is held for the pupil whose card was scanned at home time."""
    with sessions() as session:
        pupil = cards.pupil_for_card(session, card_text)
        return _collection_check(session, pupil)


def _collection_check(session: Session, pupil: Pupil) -> CollectionCheck:
    daily = _held(session, pupil.id, CustodyKind.DAILY)
    confiscated = _held(session, pupil.id, CustodyKind.CONFISCATION)
    return CollectionCheck(
        pupil=_summary(session, pupil),
        daily=_day_info(session, daily) if daily else None,
        confiscations=tuple(info_of(session, c) for c in confiscated),
    )


def _day_info(session: Session, parts: list[Custody]) -> CustodyInfo:
    """The first slot of the pupil's day, with every device of the day and the other slots."""
    first = info_of(session, parts[0])
    kinds = tuple(kind for part in parts for kind in kinds_in(part))
    others = tuple(n for part in parts[1:] if (n := _slot_number(part)) is not None)
    return replace(first, kinds=kinds, other_slots=others)


def collect(
    sessions: Database, custody_id: int, actor: Actor, now: dt.datetime | None = None
) -> CustodyInfo:
    """Give a daily hand-in back to its pupil: every device of the pupil's day, from every
    slot it fills (leaving one behind needs a reason: device_items.give_back_some).
    Confiscated devices never go this way."""
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.COLLECT)
        custody = held_custody(session, custody_id)
        if custody.kind == CustodyKind.CONFISCATION:
            raise ConfiscatedNeedsParent()
        parts = [custody] + [
            c for c in _held(session, custody.pupil_id, CustodyKind.DAILY) if c.id != custody.id
        ]
        for part in parts:
            mark_released(part, actor, now, ReleasedTo.PUPIL)
            record(session, EventKind.COLLECTED, actor, part, now, devices_details(part))
        return _day_info(session, parts)


def devices_details(custody: Custody) -> dict[str, Any] | None:
    """An event's details naming the devices, unless it is the plain single phone."""
    kinds = kinds_in(custody)
    return None if kinds == ("phone",) else {"devices": list(kinds)}


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
