"""Choosing the slot a device goes in, safely when several kiosks share one database:
slots are chosen under the audit chain's lock, and a transaction that still loses a race
(a unique index refuses it, or PostgreSQL asks for a retry) runs again."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import bindparam, exists, literal_column, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from kiosk.errors import AlreadyHeld, DatabaseUnavailable, NoFreeSlot, SlotUnavailable
from kiosk.prepared import Prepared
from kiosk.rules import SlotCandidate, choose_slot
from kiosk.services import audit
from kiosk.services.common import AnyRow
from kiosk.tables import HELD, Custody, Slot

ALLOCATION_RETRIES = 5
# PostgreSQL's "try again" errors: serialization failure, deadlock detected.
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
T = TypeVar("T")

# Written as literals, not bound values: SQLite uses the partial unique indexes on held
# custodies (WHERE state = 'held' ...) only when a query states their condition itself.
IS_HELD = Custody.state == literal_column(f"'{HELD}'")
_SLOT_COLUMNS = (
    Slot.id,
    Slot.number,
    Slot.in_service,
    Slot.reserved_for_confiscation,
    Slot.check_needed_since,
)
_SLOT_BY_NUMBER = select(*_SLOT_COLUMNS).where(Slot.number == bindparam("number"))
_HOLDS_A_DEVICE = exists().where(Custody.slot_id == Slot.id, IS_HELD)
_DEVICE_IN_SLOT = select(Custody.id).where(Custody.slot_id == bindparam("slot_id"), IS_HELD)
# Walks the slots in number order and stops at the first free one (one index probe each).
_LOWEST_FREE_SLOT = Prepared(
    select(*_SLOT_COLUMNS)
    .where(
        Slot.in_service.is_(True),
        Slot.reserved_for_confiscation == bindparam("reserved"),
        Slot.check_needed_since.is_(None),  # an undone hand-in's phone may still be there
        ~_HOLDS_A_DEVICE,
    )
    .order_by(Slot.number)
    .limit(1)
)


def free_slot(conn: Connection, *, confiscation: bool, wanted: int | None = None) -> AnyRow:
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
        if slot.check_needed_since is not None:
            raise SlotUnavailable(f"Slot {wanted} must be checked empty first (hand-in undone).")
        return slot
    # The rule picks between the lowest free slot of each kind it may use (daily hand-ins
    # never take a reserved slot, so they need not look there).
    kinds = (True, False) if confiscation else (False,)
    lowest = {
        slot.number: slot
        for reserved in kinds
        if (slot := conn.execute(_LOWEST_FREE_SLOT.on(conn), {"reserved": reserved}).first())
    }
    candidates = [
        SlotCandidate(number, True, slot.reserved_for_confiscation, False)
        for number, slot in lowest.items()
    ]
    number = choose_slot(candidates, confiscation=confiscation)
    if number is None:
        raise NoFreeSlot()
    return lowest[number]


def _retryable(exc: DBAPIError) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    return getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES


def retry_on_conflict(action: Callable[[], T]) -> T:
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
