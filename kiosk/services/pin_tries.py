"""Wrong PINs: each account's burst at each kiosk (what the kiosk's growing waits come from),
the hard lock an admin lifts, and the alerts staff see. The rules are ``kiosk.rules``'; this
keeps their state in the database, so that kiosks sharing one database agree.

A PIN check reads here first (``before_check``, in a read-only transaction that takes no
write lock), hashes the PIN outside any transaction, then writes the outcome (``after_check``,
inside the caller's writing transaction): the slow hash never holds the write lock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kiosk.clock import local_date, start_of_local_day, to_local
from kiosk.db import Database
from kiosk.errors import AccountLocked, InvalidInput, NotAuthorised, PinThrottled, WrongPin
from kiosk.event_kinds import EventKind
from kiosk.rules import (
    NO_BURST,
    PinBurst,
    WrongPinNote,
    after_wrong_pin,
    current_burst,
    hard_locked,
    pin_alert,
    pin_wait,
    wait_after,
    wrong_pin_note,
)
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.tables import PinTries, Staff

_NOTE_KINDS = {
    WrongPinNote.FIRST: EventKind.PIN_WRONG,
    WrongPinNote.THROTTLED: EventKind.PIN_THROTTLED,
    WrongPinNote.LOCKED: EventKind.STAFF_LOCKED_OUT,
}


@dataclass(frozen=True)
class Seen:
    """What a PIN check read before hashing: the account, and its burst at this kiosk."""

    staff_id: int
    name: str
    role: str
    pin_hash: str
    burst: PinBurst


def _burst_of(row: PinTries | None) -> PinBurst:
    if row is None:
        return NO_BURST
    return PinBurst(row.failures, row.first_failure_at, row.last_failure_at)


def _usable(staff: Staff | None) -> Staff:
    if staff is None or not staff.active:
        raise NotAuthorised("Unknown or inactive staff account.")
    if staff.pin_locked_at is not None:
        raise AccountLocked()
    return staff


def before_check(session: Session, staff_id: int, terminal: str, now: dt.datetime) -> Seen:
    """Whether a PIN for ``staff_id`` may be checked at ``terminal`` now (else PinThrottled,
    AccountLocked or NotAuthorised, and nothing is recorded: a refused try is no guess).
    ``session`` only reads (the caller's ``Database.read()``)."""
    staff = _usable(session.get(Staff, staff_id))
    burst = _burst_of(session.get(PinTries, (staff_id, terminal)))
    seen = Seen(staff.id, staff.name, staff.role, staff.pin_hash, burst)
    wait = pin_wait(seen.burst, now)
    if wait:
        raise PinThrottled(wait)
    return seen


def after_check(
    session: Session, seen: Seen, terminal: str, matched: bool, now: dt.datetime
) -> Exception | None:
    """Record the outcome of a check in the caller's writing transaction; returns the error
    to raise once it commits, or None for a log-in (its event is written here)."""
    staff = _usable(session.get(Staff, seen.staff_id, with_for_update=True))
    row = session.get(PinTries, (seen.staff_id, terminal), with_for_update=True)
    burst = current_burst(_burst_of(row), now)
    if burst != current_burst(seen.burst, now) and pin_wait(burst, now):
        # Another check at this kiosk failed while this one hashed: had they run one after
        # the other, this one would have had to wait, so its answer is not given.
        return PinThrottled(pin_wait(burst, now))
    if staff.pin_hash != seen.pin_hash:  # an admin set a new PIN while this one hashed
        return InvalidInput("This PIN was changed just now. Please type the new one.")
    if matched:
        _logged_in(session, staff, row, burst, terminal, now)
        return None
    return _wrong_pin(session, staff, row, burst, terminal, now)


def _logged_in(
    session: Session,
    staff: Staff,
    row: PinTries | None,
    burst: PinBurst,
    terminal: str,
    now: dt.datetime,
) -> None:
    details: dict[str, object] = {"kiosk": terminal}
    if burst.failures:
        details["wrong_pins_before"] = burst.failures  # the burst ends here, on record
    if row is not None:
        session.delete(row)
    staff.failed_attempts = 0
    audit.append(
        session, EventKind.STAFF_LOGIN, Actor(staff.id, staff.name), at=now, details=details
    )


def _wrong_pin(
    session: Session,
    staff: Staff,
    row: PinTries | None,
    burst: PinBurst,
    terminal: str,
    now: dt.datetime,
) -> Exception:
    ended = _burst_of(row).failures if row is not None and not burst.failures else 0
    burst = after_wrong_pin(burst, now)
    if row is None:
        row = PinTries(staff_id=staff.id, terminal=terminal)
        session.add(row)
    row.failures, row.last_failure_at = burst.failures, now
    row.first_failure_at = burst.first_at or now
    staff.failed_attempts += 1
    locked = hard_locked(staff.failed_attempts)
    if locked:
        staff.pin_locked_at = staff.pin_locked_at or now
    note = wrong_pin_note(burst.failures, staff.failed_attempts)
    if note is not None:
        details: dict[str, object] = {"kiosk": terminal, "wrong_pins": burst.failures}
        if note is WrongPinNote.LOCKED:
            details["wrong_pins_for_account"] = staff.failed_attempts
        if ended:
            details["earlier_burst_wrong_pins"] = ended  # the last burst's count, kept
        actor = Actor(staff.id, staff.name)
        audit.append(session, _NOTE_KINDS[note], actor, at=now, details=details)
    return AccountLocked() if locked else WrongPin(wait_after(burst.failures))


def unlock(session: Session, staff: Staff) -> int:
    """Lift an account's hard lock and forget its wrong PINs; returns how many there were.
    (The caller checks who may, and records it.)"""
    wrong_pins = staff.failed_attempts
    staff.pin_locked_at, staff.failed_attempts, staff.locked_until = None, 0, None
    session.execute(delete(PinTries).where(PinTries.staff_id == staff.id))
    return wrong_pins


# -- what staff are told -------------------------------------------------------------------


@dataclass(frozen=True)
class PinAlert:
    """A burst of wrong PINs worth a look, or an account locked by them."""

    name: str
    kiosk: str | None  # None: the account is locked (its wrong PINs at every kiosk)
    wrong_pins: int
    last_at: dt.datetime

    @property
    def words(self) -> str:
        if self.kiosk is None:
            return (
                f"{self.name} is locked after {self.wrong_pins} wrong PINs "
                f"({to_local(self.last_at):%H:%M}): an admin can unlock it (Admin, Staff)."
            )
        return (
            f"{self.wrong_pins} wrong PINs for {self.name} at {self.kiosk}, "
            f"{to_local(self.last_at):%H:%M}"
        )


def alerts(sessions: Database, now: dt.datetime) -> list[PinAlert]:
    """Today's bursts of wrong PINs that staff should know about, and locked accounts."""
    since = start_of_local_day(local_date(now))
    with sessions.read() as session:
        locked = session.execute(
            select(Staff.name, Staff.failed_attempts, Staff.pin_locked_at)
            .where(Staff.pin_locked_at.is_not(None), Staff.active.is_(True))
            .order_by(Staff.name)
        ).all()
        bursts = session.execute(
            select(Staff.name, PinTries.terminal, PinTries.failures, PinTries.last_failure_at)
            .join(Staff, Staff.id == PinTries.staff_id)
            .where(PinTries.last_failure_at >= since, Staff.pin_locked_at.is_(None))
            .order_by(PinTries.last_failure_at.desc())
        ).all()
    found = [PinAlert(name, None, count, at or now) for name, count, at in locked]
    for name, terminal, failures, last_at in bursts:
        if pin_alert(PinBurst(failures, None, last_at)):
            found.append(PinAlert(name, terminal, failures, last_at))
    return found
