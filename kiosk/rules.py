"""Pure rules: no database, no Qt. Services ask these questions and act on the answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

from kiosk.tables import Role

UNDO_WINDOW = dt.timedelta(minutes=2)


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
    # leave full screen or close the program: a desktop running as the kiosk's user, with
    # its files, so an admin's only
    LEAVE_KIOSK = "leave_kiosk"
    OPEN_ALL_LOCKERS = "open_all_lockers"  # the emergency release of every locker door
    SET_USUAL_DEVICES = "set_usual_devices"
    RELEASE_FOR_DAY_OUT = "release_for_day_out"
    EMERGENCY = "emergency"  # the list of every held device, and the release of all
    SET_EXAMS = "set_exams"  # exam sessions and their candidates
    # a confiscated device released to someone not among the pupil's contacts who may collect
    AUTHORISE_UNLISTED_RELEASE = "authorise_unlisted_release"
    # search and examination records: office staff may start one, a senior records it
    DRAFT_SEARCH = "draft_search"
    RECORD_SEARCH = "record_search"


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
    Action.SET_USUAL_DEVICES,
    Action.RELEASE_FOR_DAY_OUT,
}
_SENIOR = _OFFICE | {
    Action.RELEASE_DSL_REFERRED,
    Action.AUTHORISE_UNLISTED_RELEASE,
    Action.HAND_TO_POLICE,
    Action.MANAGE_EXEMPTIONS,
    Action.EXPORT,
    Action.EMERGENCY,
    Action.SET_EXAMS,
}
_ADMIN = _OFFICE | {
    Action.MANAGE_STAFF,
    Action.MANAGE_SLOTS,
    Action.MANAGE_ROSTER,
    Action.MANAGE_SETTINGS,
    Action.PRINT_CARDS,
    Action.EXPORT,
    Action.LEAVE_KIOSK,
    Action.OPEN_ALL_LOCKERS,
    Action.EMERGENCY,
    Action.SET_EXAMS,
}
# Safeguarding records: not an admin's (IT), so not in _OFFICE, which admins share.
_SEARCHES = {Action.DRAFT_SEARCH}
PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.OFFICE: frozenset(_OFFICE | _SEARCHES),
    Role.SENIOR: frozenset(_SENIOR | _SEARCHES | {Action.RECORD_SEARCH}),
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


# -- PINs: which are too easy to guess -------------------------------------------------------

PIN_MIN, PIN_MAX = 4, 12
PIN_MIN_FOR_ROLE = {Role.OFFICE: 4, Role.SENIOR: 6, Role.ADMIN: 6}
# The on-screen keypad (kiosk.ui.widgets.pinpad): 1 2 3 / 4 5 6 / 7 8 9 / . 0 .
_KEY_AT = {str(n): divmod(n - 1, 3) for n in range(1, 10)} | {"0": (3, 1)}
# Common PINs no other rule below catches (after the published PIN frequency studies).
_COMMON = frozenset({"1004", "1122", "5683", "112233", "123321", "111222", "102030", "110011"})


def pin_problem(pin: str, role: str = Role.OFFICE) -> str | None:
    """Why ``pin`` is not acceptable as a new PIN for ``role``, in words, or None."""
    shortest = PIN_MIN_FOR_ROLE.get(role, PIN_MIN)  # type: ignore[call-overload]
    if not pin.isdigit() or not PIN_MIN <= len(pin) <= PIN_MAX:
        return f"A PIN is {PIN_MIN} to {PIN_MAX} digits, and only digits."
    if len(pin) < shortest:
        return f"A PIN for {_ROLE_WORDS[Role(role)]} needs at least {shortest} digits."
    for problem, words in (
        (_repeats(pin), "repeats a pattern (like 1111 or 1212)"),
        (_in_sequence(pin), "is a run of digits (like 1234 or 9876)"),
        (_keypad_lines(pin), "follows lines of keys on the keypad (like 2580 or 147258)"),
        (_is_year(pin), "is a year"),
        (_is_date(pin), "could be a date (like a birthday)"),
        (pin in _COMMON, "is one of the most common PINs"),
    ):
        if problem:
            return f"That PIN {words}: people guess those first. Please choose another."
    return None


def _repeats(pin: str) -> bool:
    """One digit, or one short group of digits, over and over (1111, 1212, 123123)."""
    return any(
        len(pin) % size == 0 and pin == pin[:size] * (len(pin) // size)
        for size in range(1, len(pin) // 2 + 1)
    )


def _in_sequence(pin: str) -> bool:
    """Each digit one up (or each one down) from the one before, 9 to 0 included."""
    steps = {(int(b) - int(a)) % 10 for a, b in pairwise(pin)}
    return steps in ({1}, {9})


def _keypad_line(keys: str) -> bool:
    """Three or more keys in a straight line of neighbours: a row, column or diagonal."""
    if len(keys) < 3:
        return False
    places = [_KEY_AT[k] for k in keys]
    steps = {(r2 - r1, c2 - c1) for (r1, c1), (r2, c2) in pairwise(places)}
    if len(steps) != 1:
        return False
    (step,) = steps
    return step != (0, 0) and max(abs(step[0]), abs(step[1])) == 1


def _keypad_lines(pin: str) -> bool:
    """The PIN is keypad lines end to end, give or take one digit at either end (2580,
    147258, 1470, 3691)."""
    return any(_lines_only(body) for body in (pin, pin[1:], pin[:-1]))


def _lines_only(keys: str) -> bool:
    if not keys:
        return True
    return any(
        _keypad_line(keys[:end]) and _lines_only(keys[end:]) for end in range(3, len(keys) + 1)
    )


def _is_year(pin: str) -> bool:
    return len(pin) == 4 and 1900 <= int(pin) <= 2099


def _is_date(pin: str) -> bool:
    """Day and month (either order), with a year of two digits, or 1900-2099, or none."""
    shapes = {
        4: ("%d%m", "%m%d"),
        6: ("%d%m%y", "%m%d%y", "%y%m%d"),
        8: ("%d%m%Y", "%m%d%Y", "%Y%m%d"),
    }.get(len(pin), ())
    for shape in shapes:
        try:
            # a leap year, so that 2902 counts as a date
            day = dt.datetime.strptime(
                f"{pin}2024" if len(pin) == 4 else pin, shape + "%Y" * (len(pin) == 4)
            )
        except ValueError:
            continue
        if 1900 <= day.year <= 2099:
            return True
    return False


# -- wrong PINs: growing waits per kiosk, a hard lock only after many ------------------------

PIN_FREE_TRIES = 3  # wrong PINs for one account at one kiosk before any wait (typing slips)
PIN_FIRST_WAIT = dt.timedelta(seconds=10)  # then the wait doubles with each wrong PIN...
PIN_LONGEST_WAIT = dt.timedelta(minutes=5)  # ...up to this
PIN_QUIET = dt.timedelta(minutes=15)  # a kiosk's count starts again after this long quiet
PIN_ALERT_AT = 5  # wrong PINs in one burst at one kiosk that staff see on the dashboard
PIN_HARD_LOCK_AT = 20  # wrong PINs for one account, at all kiosks, since its last log-in


@dataclass(frozen=True)
class PinBurst:
    """Wrong PINs for one account at one kiosk, each within PIN_QUIET of the one before."""

    failures: int = 0
    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None


NO_BURST = PinBurst()


def current_burst(burst: PinBurst, now: dt.datetime) -> PinBurst:
    """The burst as it stands at ``now``: over (empty) after a quiet spell."""
    if burst.last_at is None or now - burst.last_at >= PIN_QUIET:
        return NO_BURST
    return burst


def wait_after(failures: int) -> dt.timedelta:
    """How long a kiosk waits after ``failures`` wrong PINs in a row before checking the
    next PIN for that account: nothing for the first few, then 10 s, 20 s, 40 s... 5 min."""
    if failures < PIN_FREE_TRIES:
        return dt.timedelta(0)
    doublings = min(failures - PIN_FREE_TRIES, 10)
    wait: dt.timedelta = PIN_FIRST_WAIT * 2**doublings
    return min(wait, PIN_LONGEST_WAIT)


def pin_wait(burst: PinBurst, now: dt.datetime) -> dt.timedelta:
    """How much longer before a PIN for this account may be checked at this kiosk."""
    burst = current_burst(burst, now)
    if burst.last_at is None:
        return dt.timedelta(0)
    return max(dt.timedelta(0), burst.last_at + wait_after(burst.failures) - now)


def after_wrong_pin(burst: PinBurst, now: dt.datetime) -> PinBurst:
    burst = current_burst(burst, now)
    return PinBurst(burst.failures + 1, burst.first_at or now, now)


def hard_locked(wrong_pins: int) -> bool:
    """Whether an account's wrong PINs since its last log-in (all kiosks) lock it until an
    admin unlocks it."""
    return wrong_pins >= PIN_HARD_LOCK_AT


class WrongPinNote(StrEnum):
    """Which wrong PINs go in the audit log: the log gets a few events per burst, however
    many PINs are tried (the count is kept on the burst, and shown on the dashboard)."""

    FIRST = "first"  # the first of a burst at a kiosk
    THROTTLED = "throttled"  # the one after which the kiosk starts to wait
    LOCKED = "locked"  # the one that locks the account


def wrong_pin_note(burst_failures: int, account_wrong_pins: int) -> WrongPinNote | None:
    """What to record for a wrong PIN, given the counts after it; None: nothing new."""
    if account_wrong_pins == PIN_HARD_LOCK_AT:
        return WrongPinNote.LOCKED
    if burst_failures == PIN_FREE_TRIES:
        return WrongPinNote.THROTTLED
    if burst_failures == 1:
        return WrongPinNote.FIRST
    return None


def pin_alert(burst: PinBurst) -> bool:
    """Whether a burst of wrong PINs is one staff should hear about."""
    return burst.failures >= PIN_ALERT_AT
