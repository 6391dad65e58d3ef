"""Staff accounts and PIN checks (argon2id). Wrong PINs make the kiosk they were typed at
wait longer and longer for that account; many of them lock it until an admin unlocks it
(kiosk.rules, kiosk.services.pin_tries)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.errors import InvalidInput, NotAuthorised
from kiosk.event_kinds import EventKind
from kiosk.rules import Action, pin_problem
from kiosk.services import audit, pin_seal, pin_tries, school_keys
from kiosk.services.audit import Actor
from kiosk.services.common import now_or, require
from kiosk.tables import Role, Setting, Staff

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


def _member(staff: Staff) -> StaffMember:
    locked = staff.pin_locked_at is not None
    return StaffMember(staff.id, staff.name, staff.role, staff.active, locked)


def hash_pin(pin: str) -> str:
    return _hasher.hash(pin)


def _valid_role(role: str) -> str:
    try:
        return Role(role).value
    except ValueError as exc:
        raise InvalidInput("Role is office, senior or admin.") from exc


def _valid_pin(pin: str, role: str) -> str:
    problem = pin_problem(pin, role)
    if problem:
        raise InvalidInput(problem)
    return pin


def add_staff(sessions: Database, actor: Actor | None, name: str, role: str, pin: str) -> int:
    """Add a staff member. The very first account (an admin) needs no actor."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("A name is needed.")
    role = _valid_role(role)
    pin_hash = hash_pin(_valid_pin(pin, role))  # slow: outside the transaction
    with sessions.begin() as session:
        if actor is None:
            _hold_first_account(session)
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


def _hold_first_account(session: Session) -> None:
    """Two kiosks making the first admin at once: on PostgreSQL the second waits here until
    the first has committed, then finds an account and is refused (SQLite's writers queue
    anyway). Only one person ever gets an admin without a PIN."""
    session.execute(select(Setting.key).where(Setting.key == "school_code").with_for_update())


def command_line(kiosk_name: str | None = None) -> str:
    """The terminal a command's PIN is typed at: apart from the kiosk's own screen, so wrong
    PINs tapped there never hold up an admin at the shell."""
    return f"{kiosk_name} (command line)" if kiosk_name else "command line"


def check_pin(
    sessions: Database,
    staff_id: int,
    pin: str,
    *,
    terminal: str,
    now: dt.datetime | None = None,
) -> StaffMember:
    """Log in at ``terminal`` (the kiosk's name). Raises PinThrottled (not checked: this
    kiosk waits after wrong PINs), WrongPin or AccountLocked. The hash, the slow part, runs
    in no transaction: reading before it takes no write lock, and writing after it is quick."""
    now = now_or(now)
    with sessions.read() as session:
        seen = pin_tries.before_check(session, staff_id, terminal, now)
        inner = pin_seal.unseal(_pepper(session), seen.pin_hash, seen.staff_id, seen.role)
    matched = _pin_matches(inner, pin)
    with sessions.begin() as session:
        failure = pin_tries.after_check(session, seen, terminal, matched, now)
    if failure is not None:
        raise failure  # after the commit, so the wrong PIN is kept
    return StaffMember(seen.staff_id, seen.name, seen.role, True, False)


def record_console_locked(
    sessions: Database, actor: Actor, reason: str, now: dt.datetime | None = None
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


def _pin_matches(inner: str | None, pin: str) -> bool:
    """Whether ``pin`` is the account's, given its argon2 hash unsealed (None: the stored
    hash was not sealed for this account under this school's pepper, so written into the
    database by other means: it opens nothing)."""
    if inner is None:
        return False
    try:
        return _hasher.verify(inner, pin)
    except (VerificationError, InvalidHashError):
        return False


def list_staff(sessions: Database, *, include_inactive: bool = False) -> list[StaffMember]:
    with sessions.read() as session:
        query = select(Staff).order_by(Staff.name)
        if not include_inactive:
            query = query.where(Staff.active.is_(True))
        return [_member(s) for s in session.scalars(query)]


def _target(session: Session, staff_id: int) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise InvalidInput("No such staff member.")
    return staff


def set_active(sessions: Database, actor: Actor, staff_id: int, active: bool) -> None:
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_STAFF)
        staff = _target(session, staff_id)
        if not active and staff.id == actor.id:
            raise InvalidInput("You cannot deactivate your own account.")
        staff.active = active
        kind = EventKind.STAFF_REACTIVATED if active else EventKind.STAFF_DEACTIVATED
        audit.append(session, kind, actor, details={"staff_id": staff.id, "name": staff.name})


def reset_pin(sessions: Database, actor: Actor, staff_id: int, new_pin: str) -> None:
    """A new PIN (strong enough for the account's role); it also lifts a lock."""
    with sessions.read() as session:
        role = _target(session, staff_id).role
    pin_hash = hash_pin(_valid_pin(new_pin, role))  # slow: outside the transaction
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_STAFF)
        staff = _target(session, staff_id)
        staff.pin_hash = pin_seal.seal(_pepper(session), pin_hash, staff.id, staff.role)
        pin_tries.unlock(session, staff)
        audit.append(session, EventKind.STAFF_PIN_RESET, actor, details={"staff_id": staff.id})


def unlock(sessions: Database, actor: Actor, staff_id: int) -> None:
    """Lift the lock wrong PINs put on an account (an admin's to do)."""
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_STAFF)
        staff = _target(session, staff_id)
        if staff.pin_locked_at is None:
            raise InvalidInput(f"{staff.name}'s account is not locked.")
        wrong_pins = pin_tries.unlock(session, staff)
        details = {"staff_id": staff.id, "name": staff.name, "wrong_pins": wrong_pins}
        audit.append(session, EventKind.STAFF_UNLOCKED, actor, details=details)


def unlock_last_admin(sessions: Database, staff_id: int, where: str) -> None:
    """Lift the lock on an admin account when no admin can log in at all (every admin
    locked by wrong PINs), without an admin's PIN: for ``kiosk staff unlock`` at the kiosk
    PC's shell, whose user holds the database file anyway. Recorded as done ``where``."""
    with sessions.begin() as session:
        staff = _target(session, staff_id)
        admins = select(Staff.id).where(
            Staff.role == Role.ADMIN, Staff.active.is_(True), Staff.pin_locked_at.is_(None)
        )
        if session.scalar(admins.limit(1)) is not None:
            raise NotAuthorised("An admin can still log in: ask them (--as NAME).")
        if staff.role != Role.ADMIN or not staff.active or staff.pin_locked_at is None:
            raise InvalidInput("Only a locked admin account can be unlocked this way.")
        wrong_pins = pin_tries.unlock(session, staff)
        details = {"staff_id": staff.id, "name": staff.name, "wrong_pins": wrong_pins}
        audit.append(session, EventKind.STAFF_UNLOCKED, Actor(None, where), details=details)


def set_role(sessions: Database, actor: Actor, staff_id: int, role: str) -> None:
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
