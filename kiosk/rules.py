"""Pure rules: no database, no Qt. Services ask these questions and act on the answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from kiosk.tables import Role

UNDO_WINDOW = dt.timedelta(minutes=2)
MAX_FAILED_PINS = 5
LOCKOUT = dt.timedelta(minutes=15)
PIN_MIN, PIN_MAX = 4, 12


class Action(StrEnum):
    HAND_IN_FOR_PUPIL = "hand_in_for_pupil"
    COLLECT = "collect"
    CONFISCATE = "confiscate"
    RELEASE_TO_PARENT = "release_to_parent"
    RELEASE_DSL_REFERRED = "release_dsl_referred"
    REFER_TO_DSL = "refer_to_dsl"
    HAND_TO_POLICE = "hand_to_police"
    MOVE = "move"
    KEEP_OVERNIGHT = "keep_overnight"
    UNDO_HAND_IN = "undo_hand_in"
    MANAGE_EXEMPTIONS = "manage_exemptions"
    MANAGE_STAFF = "manage_staff"
    MANAGE_SLOTS = "manage_slots"
    MANAGE_ROSTER = "manage_roster"
    MANAGE_SETTINGS = "manage_settings"
    PRINT_CARDS = "print_cards"
    EXPORT = "export"
    SET_MODE = "set_mode"
    VIEW_CONSOLE = "view_console"
    OPEN_ALL_LOCKERS = "open_all_lockers"  # the emergency release of every locker door


_OFFICE = {
    Action.HAND_IN_FOR_PUPIL,
    Action.COLLECT,
    Action.CONFISCATE,
    Action.RELEASE_TO_PARENT,
    Action.REFER_TO_DSL,
    Action.MOVE,
    Action.KEEP_OVERNIGHT,
    Action.UNDO_HAND_IN,
    Action.SET_MODE,
    Action.VIEW_CONSOLE,
}
_SENIOR = _OFFICE | {
    Action.RELEASE_DSL_REFERRED,
    Action.HAND_TO_POLICE,
    Action.MANAGE_EXEMPTIONS,
    Action.EXPORT,
}
_ADMIN = _OFFICE | {
    Action.MANAGE_STAFF,
    Action.MANAGE_SLOTS,
    Action.MANAGE_ROSTER,
    Action.MANAGE_SETTINGS,
    Action.PRINT_CARDS,
    Action.EXPORT,
    Action.OPEN_ALL_LOCKERS,
}
PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.OFFICE: frozenset(_OFFICE),
    Role.SENIOR: frozenset(_SENIOR),
    Role.ADMIN: frozenset(_ADMIN),
}


_ROLE_WORDS = {
    Role.OFFICE: "a member of the office staff",
    Role.SENIOR: "a senior member of staff",
    Role.ADMIN: "an admin",
}


def who_may(action: Action) -> str:
    """Who can do ``action``, in words: "an admin", "a senior member of staff or an admin"."""
    roles = [role for role in (Role.SENIOR, Role.ADMIN) if action in PERMISSIONS[role]]
    if action in PERMISSIONS[Role.OFFICE] or not roles:
        return "any member of staff"
    return " or ".join(_ROLE_WORDS[role] for role in roles)


def may(role: str, action: Action) -> bool:
    try:
        return action in PERMISSIONS[Role(role)]
    except ValueError:
        return False


@dataclass(frozen=True)
class SlotCandidate:
    number: int
    in_service: bool
    reserved_for_confiscation: bool
    occupied: bool


def choose_slot(slots: Iterable[SlotCandidate], *, confiscation: bool) -> int | None:
    """The lowest free in-service slot. Confiscations prefer the reserved slots and fall
    back to ordinary ones; daily hand-ins never use reserved slots."""
    free = sorted(
        (s for s in slots if s.in_service and not s.occupied),
        key=lambda s: (s.reserved_for_confiscation != confiscation, s.number),
    )
    if not confiscation:
        free = [s for s in free if not s.reserved_for_confiscation]
    return free[0].number if free else None


def may_undo(received_at: dt.datetime, now: dt.datetime) -> bool:
    return dt.timedelta(0) <= now - received_at <= UNDO_WINDOW


def pin_problem(pin: str) -> str | None:
    """Why a new PIN is not acceptable, or None."""
    if not pin.isdigit() or not PIN_MIN <= len(pin) <= PIN_MAX:
        return f"A PIN is {PIN_MIN} to {PIN_MAX} digits."
    if len(set(pin)) == 1 or pin in "0123456789012" or pin in "9876543210987":
        return "That PIN is too easy to guess."
    return None


def after_failed_pin(failed_attempts: int, now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """New (failed attempts, locked until) after one more wrong PIN."""
    attempts = failed_attempts + 1
    if attempts >= MAX_FAILED_PINS:
        return 0, now + LOCKOUT
    return attempts, None


def is_locked(locked_until: dt.datetime | None, now: dt.datetime) -> bool:
    return locked_until is not None and now < locked_until


def exemption_applies(
    starts_on: dt.date, ends_on: dt.date | None, ended: bool, today: dt.date
) -> bool:
    return not ended and starts_on <= today and (ends_on is None or today <= ends_on)
