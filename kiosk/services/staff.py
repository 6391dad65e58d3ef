"""Staff accounts and PIN checks (argon2id; five wrong PINs lock the account)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.db import Sessions
from kiosk.errors import AccountLocked, InvalidInput, NotAuthorised, WrongPin
from kiosk.event_kinds import EventKind
from kiosk.rules import MAX_FAILED_PINS, Action, after_failed_pin, is_locked, pin_problem
from kiosk.services import audit, pin_seal, school_keys
from kiosk.services.audit import Actor
from kiosk.services.common import now_or, require
from kiosk.tables import Role, Staff

# argon2id with the library's RFC 9106 "low memory" profile: ~50 ms a check here.
_hasher = PasswordHasher()
LOCK_REASONS = ("locked", "idle", "exit")  # why a console session ended


@dataclass(frozen=True)
class StaffMember:
    id: int
    name: str
    role: str
    active: bool
    locked: bool

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.name)


def _member(staff: Staff, now: dt.datetime) -> StaffMember:
    return StaffMember(
        staff.id, staff.name, staff.role, staff.active, is_locked(staff.locked_until, now)
    )


def hash_pin(pin: str) -> str:
    return _hasher.hash(pin)


def _valid_role(role: str) -> str:
    try:
        return Role(role).value
    except ValueError as exc:
        raise InvalidInput("Role is office, senior or admin.") from exc


def _valid_pin(pin: str) -> str:
    problem = pin_problem(pin)
    if problem:
        raise InvalidInput(problem)
    return pin


def add_staff(sessions: Sessions, actor: Actor | None, name: str, role: str, pin: str) -> int:
    """Add a staff member. The very first account (an admin) needs no actor."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("A name is needed.")
    role = _valid_role(role)
    pin_hash = hash_pin(_valid_pin(pin))  # slow: outside the transaction
    with sessions.begin() as session:
        first = not session.scalar(select(func.count()).select_from(Staff))
        if first and role != Role.ADMIN:
            raise InvalidInput("The first staff account must be an admin.")
        if not first:
            if actor is None:
                raise NotAuthorised()
            require(session, actor, Action.MANAGE_STAFF)
        if session.scalar(select(Staff.id).where(func.lower(Staff.name) == name.lower())):
            raise InvalidInput(f"There is already a staff member called {name}.")
        staff = Staff(name=name, role=role, pin_hash="", active=True, created_at=now_or(None))
        session.add(staff)
        session.flush()  # the id, which the sealed hash is bound to
        staff.pin_hash = pin_seal.seal(_pepper(session), pin_hash, staff.id, role)
        who = actor or Actor(staff.id, staff.name)
        audit.append(
            session,
            EventKind.STAFF_ADDED,
            who,
            details={"staff_id": staff.id, "name": name, "role": role},
        )
        return staff.id


def check_pin(
    sessions: Sessions, staff_id: int, pin: str, now: dt.datetime | None = None
) -> StaffMember:
    """Log in. Raises WrongPin (with attempts left) or AccountLocked; both are recorded."""
    now = now_or(now)
    with sessions.begin() as session:
        staff = session.get(Staff, staff_id, with_for_update=True)
        if staff is None or not staff.active:
            raise NotAuthorised("Unknown or inactive staff account.")
        actor = Actor(staff.id, staff.name)
        if is_locked(staff.locked_until, now):
            audit.append(session, EventKind.PIN_REFUSED_LOCKED, actor, at=now)
            failure: Exception = AccountLocked(staff.locked_until or now)
        elif _pin_matches(session, staff, pin):
            staff.failed_attempts = 0
            staff.locked_until = None
            audit.append(session, EventKind.STAFF_LOGIN, actor, at=now)
            return _member(staff, now)
        else:
            staff.failed_attempts, staff.locked_until = after_failed_pin(staff.failed_attempts, now)
            if staff.locked_until:
                audit.append(
                    session,
                    EventKind.STAFF_LOCKED_OUT,
                    actor,
                    at=now,
                    details={"until": staff.locked_until.isoformat()},
                )
                failure = AccountLocked(staff.locked_until)
            else:
                audit.append(
                    session,
                    EventKind.PIN_WRONG,
                    actor,
                    at=now,
                    details={"failed_attempts": staff.failed_attempts},
                )
                failure = WrongPin(MAX_FAILED_PINS - staff.failed_attempts)
    raise failure  # after the commit, so the failed attempt is kept


def record_console_locked(
    sessions: Sessions, actor: Actor, reason: str, now: dt.datetime | None = None
) -> None:
    """Close a staff member's console session in the log (``staff_login`` opened it)."""
    if reason not in LOCK_REASONS:
        raise InvalidInput("Unknown reason for locking.")
    if actor.id is None:
        raise NotAuthorised("Only a member of staff's console can be locked.")
    with sessions.begin() as session:
        require(session, actor, Action.VIEW_CONSOLE)  # a forged or disabled id records nothing
        audit.append(
            session,
            EventKind.STAFF_CONSOLE_LOCKED,
            actor,
            at=now_or(now),
            details={"reason": reason},
        )


def _pepper(session: Session) -> bytes:
    return school_keys.of(session.connection()).pin_pepper


def _pin_matches(session: Session, staff: Staff, pin: str) -> bool:
    """Whether ``pin`` is the account's. Only a hash sealed for this account under this
    school's pepper counts: one written into the database by other means opens nothing."""
    inner = pin_seal.unseal(_pepper(session), staff.pin_hash, staff.id, staff.role)
    if inner is None:
        return False
    try:
        return _hasher.verify(inner, pin)
    except (VerificationError, InvalidHashError):
        return False


def list_staff(sessions: Sessions, *, include_inactive: bool = False) -> list[StaffMember]:
    now = now_or(None)
    with sessions() as session:
        query = select(Staff).order_by(Staff.name)
        if not include_inactive:
            query = query.where(Staff.active.is_(True))
        return [_member(s, now) for s in session.scalars(query)]


def _target(session: Session, staff_id: int) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise InvalidInput("No such staff member.")
    return staff


def set_active(sessions: Sessions, actor: Actor, staff_id: int, active: bool) -> None:
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_STAFF)
        staff = _target(session, staff_id)
        if not active and staff.id == actor.id:
            raise InvalidInput("You cannot deactivate your own account.")
        staff.active = active
        kind = EventKind.STAFF_REACTIVATED if active else EventKind.STAFF_DEACTIVATED
        audit.append(session, kind, actor, details={"staff_id": staff.id, "name": staff.name})


def reset_pin(sessions: Sessions, actor: Actor, staff_id: int, new_pin: str) -> None:
    pin_hash = hash_pin(_valid_pin(new_pin))
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_STAFF)
        staff = _target(session, staff_id)
        sealed = pin_seal.seal(_pepper(session), pin_hash, staff.id, staff.role)
        staff.pin_hash, staff.failed_attempts, staff.locked_until = sealed, 0, None
        audit.append(session, EventKind.STAFF_PIN_RESET, actor, details={"staff_id": staff.id})


def set_role(sessions: Sessions, actor: Actor, staff_id: int, role: str) -> None:
    role = _valid_role(role)
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_STAFF)
        staff = _target(session, staff_id)
        if staff.id == actor.id and role != Role.ADMIN:
            raise InvalidInput("You cannot remove your own admin role.")
        before, staff.role = staff.role, role
        staff.pin_hash = pin_seal.reseal(_pepper(session), staff.pin_hash, staff.id, before, role)
        audit.append(
            session,
            EventKind.STAFF_ROLE_CHANGED,
            actor,
            details={"staff_id": staff.id, "before": before, "after": role},
        )
