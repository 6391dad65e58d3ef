"""Custody of devices: one function per user action, each one transaction with its audit
event. Results are plain dataclasses so screens never touch a closed session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import bindparam, exists, insert, literal_column, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from kiosk.clock import local_date
from kiosk.db import Sessions, engine_of
from kiosk.errors import (
    AlreadyHeld,
    ConfiscatedNeedsParent,
    DatabaseUnavailable,
    InvalidInput,
    NoFreeSlot,
    NotAuthorised,
    NotHeld,
    SlotUnavailable,
    UndoWindowPassed,
)
from kiosk.event_kinds import EventKind
from kiosk.rules import Action, SlotCandidate, choose_slot, may_undo
from kiosk.services import audit, cards
from kiosk.services.audit import KIOSK_ACTOR, Actor
from kiosk.services.common import (
    AnyRow,
    PupilSummary,
    active_pupil_summary,
    get_pupil,
    now_or,
    require,
    require_on,
    summarise,
)
from kiosk.services.exemptions import ExemptionInfo, active_exemption
from kiosk.tables import (
    HELD,
    Confiscation,
    Custody,
    CustodyKind,
    CustodyState,
    Pupil,
    ReleasedTo,
    Slot,
)

ALLOCATION_RETRIES = 5
# PostgreSQL's "try again" errors: serialization failure, deadlock detected.
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
T = TypeVar("T")
REASON_CATEGORIES = (
    "used in lesson",
    "not handed in",
    "misuse / filming",
    "bullying or harassment",
    "inappropriate content",
    "suspected offence",
    "other",
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


def _info(session: Session, custody: Custody) -> CustodyInfo:
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
# Written as literals, not bound values: SQLite uses the partial unique indexes on held
# custodies (WHERE state = 'held' ...) only when a query states their condition itself.
_IS_HELD = Custody.state == literal_column(f"'{HELD}'")
_IS_DAILY = Custody.kind == literal_column(f"'{CustodyKind.DAILY.value}'")
_HELD_DAILY = (
    select(Custody.id, Slot.number, Custody.received_at)
    .outerjoin(Slot, Slot.id == Custody.slot_id)
    .where(Custody.pupil_id == bindparam("pupil_id"), _IS_HELD, _IS_DAILY)
    .order_by(Custody.received_at)
    .limit(1)
)
_SLOT_COLUMNS = (Slot.id, Slot.number, Slot.in_service, Slot.reserved_for_confiscation)
_SLOT_BY_NUMBER = select(*_SLOT_COLUMNS).where(Slot.number == bindparam("number"))
_HOLDS_A_DEVICE = exists().where(Custody.slot_id == Slot.id, _IS_HELD)
_DEVICE_IN_SLOT = select(Custody.id).where(Custody.slot_id == bindparam("slot_id"), _IS_HELD)
# Walks the slots in number order and stops at the first free one (one index probe each).
_LOWEST_FREE_SLOT = (
    select(*_SLOT_COLUMNS)
    .where(
        Slot.in_service.is_(True),
        Slot.reserved_for_confiscation == bindparam("reserved"),
        ~_HOLDS_A_DEVICE,
    )
    .order_by(Slot.number)
    .limit(1)
)
_INSERT_CUSTODY = insert(Custody).returning(Custody.id)


def _free_slot(conn: Connection, *, confiscation: bool, wanted: int | None = None) -> AnyRow:
    """The slot a device goes in (a row of _SLOT_COLUMNS): ``wanted`` if it is free, else
    the lowest free one the rules allow."""
    # Kiosks sharing a PostgreSQL database choose slots one at a time: take the audit
    # chain's lock (held to commit; the event is appended under it anyway) before reading
    # which slots are free, so no two see the same slot free. SQLite's BEGIN IMMEDIATE
    # already serialises. The unique index on held slots stays the last line of defence.
    audit.lock_chain(conn)
    if wanted is not None:
        slot = conn.execute(_SLOT_BY_NUMBER, {"number": wanted}).first()
        if slot is None or not slot.in_service:
            raise SlotUnavailable(f"Slot {wanted} is not in service.")
        if conn.execute(_DEVICE_IN_SLOT, {"slot_id": slot.id}).first() is not None:
            raise AlreadyHeld(f"Slot {wanted} already holds a device.")
        return slot
    # The rule picks between the lowest free slot of each kind it may use (daily hand-ins
    # never take a reserved slot, so they need not look there).
    kinds = (True, False) if confiscation else (False,)
    lowest = {
        slot.number: slot
        for reserved in kinds
        if (slot := conn.execute(_LOWEST_FREE_SLOT, {"reserved": reserved}).first())
    }
    candidates = [
        SlotCandidate(number, True, slot.reserved_for_confiscation, False)
        for number, slot in lowest.items()
    ]
    number = choose_slot(candidates, confiscation=confiscation)
    if number is None:
        raise NoFreeSlot()
    return lowest[number]


def _get_custody(session: Session, custody_id: int) -> Custody:
    custody = session.get(Custody, custody_id, with_for_update=True)
    if custody is None:
        raise NotHeld("No such device record.")
    return custody


def _require_held(custody: Custody) -> None:
    if custody.state != HELD:
        raise NotHeld("That device is no longer held.")


def _retryable(exc: DBAPIError) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    return getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES


def _retry_on_conflict(action: Callable[[], T]) -> T:
    """Run a whole transaction again when another kiosk got there first (a unique index
    refused ours, or PostgreSQL asked for a retry); ``sessions.begin()`` has rolled the
    failed attempt back, and the next one sees the other kiosk's committed work."""
    last: DBAPIError | None = None
    for _ in range(ALLOCATION_RETRIES):
        try:
            return action()
        except DBAPIError as exc:
            if not _retryable(exc):
                raise
            last = exc
    raise DatabaseUnavailable("The kiosk was busy. Please scan again.") from last


# -- the pupil's own actions at the kiosk -------------------------------------------------


def hand_in(
    sessions: Sessions, pupil_id: int, *, actor: Actor = KIOSK_ACTOR, now: dt.datetime | None = None
) -> HandInResult:
    """Give the pupil the lowest free slot, or the slot already held for them today."""
    return _retry_on_conflict(
        lambda: _hand_in_once(
            sessions, actor, now, lambda conn: active_pupil_summary(conn, pupil_id)
        )
    )


def hand_in_by_card(
    sessions: Sessions, card_text: object, *, now: dt.datetime | None = None
) -> HandInResult:
    return _retry_on_conflict(
        lambda: _hand_in_once(
            sessions, KIOSK_ACTOR, now, lambda conn: cards.card_holder(conn, card_text)
        )
    )


def _hand_in_once(
    sessions: Sessions,
    actor: Actor,
    now: dt.datetime | None,
    find_pupil: Callable[[Connection], PupilSummary],
) -> HandInResult:
    # On a Core connection, not an ORM session: a pupil waits for this at every scan, and
    # the session's bookkeeping cost more than the statements themselves.
    now = now_or(now)
    with engine_of(sessions).begin() as conn:
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
        slot = _free_slot(conn, confiscation=False)
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
        custody = _get_custody(session, custody_id)
        _require_held(custody)
        if custody.kind != CustodyKind.DAILY:
            raise NotAuthorised("A confiscation cannot be undone here.")
        if actor.id is None:
            if not may_undo(custody.received_at, now):
                raise UndoWindowPassed()
        else:
            require(session, actor, Action.UNDO_HAND_IN)
        custody.state = CustodyState.CANCELLED.value
        custody.released_at, custody.released_by_id = now, actor.id
        _record(session, EventKind.HAND_IN_UNDONE, actor, custody, now)


def check_collection(sessions: Sessions, card_text: object) -> CollectionCheck:
    """Read-only: what is held for the pupil whose card was scanned at home time."""
    with sessions() as session:
        pupil = cards.pupil_for_card(session, card_text)
        return _collection_check(session, pupil)


def collection_check_for(sessions: Sessions, pupil_id: int) -> CollectionCheck:
    with sessions() as session:
        return _collection_check(session, get_pupil(session, pupil_id))


def _collection_check(session: Session, pupil: Pupil) -> CollectionCheck:
    daily = _held(session, pupil.id, CustodyKind.DAILY)
    confiscated = _held(session, pupil.id, CustodyKind.CONFISCATION)
    return CollectionCheck(
        pupil=_summary(session, pupil),
        daily=_info(session, daily[0]) if daily else None,
        confiscations=tuple(_info(session, c) for c in confiscated),
    )


def collect(
    sessions: Sessions, custody_id: int, actor: Actor, now: dt.datetime | None = None
) -> CustodyInfo:
    """Give a daily hand-in back to its pupil. Confiscated devices never go this way."""
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.COLLECT)
        custody = _get_custody(session, custody_id)
        _require_held(custody)
        if custody.kind == CustodyKind.CONFISCATION:
            raise ConfiscatedNeedsParent()
        _release(custody, actor, now, ReleasedTo.PUPIL)
        info = _info(session, custody)
        _record(session, EventKind.COLLECTED, actor, custody, now)
        return info


def _slot_number(custody: Custody) -> int | None:
    return custody.slot.number if custody.slot else None


def _record(
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


def _release(
    custody: Custody,
    actor: Actor,
    now: dt.datetime,
    to: ReleasedTo,
    state: CustodyState = CustodyState.RELEASED,
) -> None:
    custody.state = state.value
    custody.released_at = now
    custody.released_by_id = actor.id
    custody.released_to = to.value


# -- staff actions on confiscated devices -------------------------------------------------


def confiscate(
    sessions: Sessions,
    actor: Actor,
    pupil_id: int,
    reason_category: str,
    note: str = "",
    *,
    do_not_examine: bool = False,
    slot_number: int | None = None,
    description: str = "",
    switched_off: bool = True,
    now: dt.datetime | None = None,
) -> CustodyInfo:
    """Record a confiscation and put the device in a slot (reserved ones first)."""
    if reason_category not in REASON_CATEGORIES:
        raise InvalidInput("Please choose a reason.")
    now = now_or(now)

    def attempt() -> CustodyInfo:
        with sessions.begin() as session:
            require(session, actor, Action.CONFISCATE)
            pupil = get_pupil(session, pupil_id)
            slot = _free_slot(session.connection(), confiscation=True, wanted=slot_number)
            custody = Custody(
                pupil_id=pupil.id,
                slot_id=slot.id,
                kind=CustodyKind.CONFISCATION.value,
                state=HELD,
                received_at=now,
                received_by_id=actor.id,
                description=description.strip() or None,
                switched_off_confirmed=switched_off,
            )
            custody.confiscation = Confiscation(
                reason_category=reason_category,
                note=note.strip() or None,
                do_not_examine=do_not_examine,
                dsl_referred_at=now if do_not_examine else None,
                dsl_referred_by_id=actor.id if do_not_examine else None,
            )
            session.add(custody)
            session.flush()
            audit.append(
                session,
                EventKind.CONFISCATED,
                actor,
                pupil_id=pupil.id,
                slot_number=slot.number,
                custody_id=custody.id,
                at=now,
                details={
                    "reason": reason_category,
                    "note": note.strip(),
                    "do_not_examine": do_not_examine,
                    "description": description.strip(),
                    "switched_off": switched_off,
                },
            )
            return _info(session, custody)

    return _retry_on_conflict(attempt)


def release_to_parent(
    sessions: Sessions,
    actor: Actor,
    custody_id: int,
    name: str,
    relationship: str,
    id_seen: bool,
    now: dt.datetime | None = None,
) -> CustodyInfo:
    name, relationship = " ".join(name.split()), " ".join(relationship.split())
    if not name or not relationship:
        raise InvalidInput("Enter the parent or carer's name and relationship.")
    if not id_seen:
        raise InvalidInput("Check the parent or carer's ID before releasing the device.")
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.RELEASE_TO_PARENT)
        custody = _get_custody(session, custody_id)
        _require_held(custody)
        if custody.confiscation and custody.confiscation.dsl_referred_at:
            require(session, actor, Action.RELEASE_DSL_REFERRED)
        _release(custody, actor, now, ReleasedTo.PARENT)
        custody.released_to_name, custody.released_to_relationship = name, relationship
        custody.id_seen = True
        info = _info(session, custody)
        _record(
            session,
            EventKind.RELEASED_TO_PARENT,
            actor,
            custody,
            now,
            details={"name": name, "relationship": relationship, "id_seen": True},
        )
        return info


def refer_to_dsl(
    sessions: Sessions, actor: Actor, custody_id: int, note: str, now: dt.datetime | None = None
) -> None:
    """Flag a held confiscated device for the DSL: only senior staff may release it now."""
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.REFER_TO_DSL)
        custody = _get_custody(session, custody_id)
        _require_held(custody)
        if custody.confiscation is None:
            raise InvalidInput("Only a confiscated device can be referred to the DSL.")
        custody.confiscation.dsl_referred_at = now
        custody.confiscation.dsl_referred_by_id = actor.id
        custody.confiscation.dsl_note = note.strip() or None
        _record(
            session, EventKind.REFERRED_TO_DSL, actor, custody, now, details={"note": note.strip()}
        )


def hand_to_police(
    sessions: Sessions,
    actor: Actor,
    custody_id: int,
    officer: str,
    officer_number: str,
    reference: str,
    at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Record a hand-over to the police. ``at`` is when it happened (staff may record it
    afterwards); the audit event carries the time it was recorded, so the log's times never
    run backwards, with the hand-over time in its details."""
    officer, officer_number, reference = officer.strip(), officer_number.strip(), reference.strip()
    if not (officer and officer_number and reference):
        raise InvalidInput("Enter the officer's name, number and the police reference.")
    now = now_or(now)
    at = now_or(at or now)
    if at > now + dt.timedelta(minutes=5):
        raise InvalidInput("The hand-over time is in the future.")
    with sessions.begin() as session:
        require(session, actor, Action.HAND_TO_POLICE)
        custody = _get_custody(session, custody_id)
        _require_held(custody)
        if custody.confiscation is None:
            raise InvalidInput("Only a confiscated device can be handed to the police.")
        details = {
            "officer": officer,
            "officer_number": officer_number,
            "reference": reference,
            "handed_over_at": at.isoformat(timespec="seconds"),
        }
        c = custody.confiscation
        c.police_officer, c.police_number, c.police_reference, c.police_at = (
            officer,
            officer_number,
            reference,
            at,
        )
        _release(custody, actor, at, ReleasedTo.PARENT, CustodyState.HANDED_TO_POLICE)
        custody.released_to = None
        custody.released_to_name = f"{officer} ({officer_number})"
        custody.released_to_relationship = "police"
        _record(session, EventKind.HANDED_TO_POLICE, actor, custody, now, details=details)


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
        custody = _get_custody(session, custody_id)
        _require_held(custody)
        before = _slot_number(custody)
        if before == to_slot_number:
            raise InvalidInput(f"The device is already in slot {before}.")
        target = _free_slot(
            session.connection(),
            confiscation=custody.kind == CustodyKind.CONFISCATION,
            wanted=to_slot_number,
        )
        custody.slot_id = target.id
        session.flush()
        session.refresh(custody)
        _record(
            session,
            EventKind.MOVED,
            actor,
            custody,
            now,
            details={"from_slot": before, "to_slot": target.number},
        )
        return _info(session, custody)


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
        custody = _get_custody(session, custody_id)
        _require_held(custody)
        custody.keep_overnight_on = local_date(now)
        _record(
            session,
            EventKind.KEPT_OVERNIGHT,
            actor,
            custody,
            now,
            details={"reason": reason.strip()},
        )


def custody_info(sessions: Sessions, custody_id: int) -> CustodyInfo:
    with sessions() as session:
        custody = session.get(Custody, custody_id)
        if custody is None:
            raise NotHeld("No such device record.")
        return _info(session, custody)
