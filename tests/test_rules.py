import datetime as dt

import pytest
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)

from kiosk import rules
from kiosk.rules import Action, SlotCandidate, choose_slot
from kiosk.tables import Role


def slot(n: int, *, free: bool = True, service: bool = True, reserved: bool = False):
    return SlotCandidate(n, service, reserved, not free)


def test_daily_hand_in_takes_the_lowest_free_in_service_slot():
    slots = [slot(3), slot(1, free=False), slot(2, service=False), slot(4)]
    assert choose_slot(slots, confiscation=False) == 3


def test_daily_hand_in_never_uses_a_slot_reserved_for_confiscations():
    assert choose_slot([slot(1, reserved=True)], confiscation=False) is None


def test_confiscation_prefers_reserved_slots_then_falls_back_to_ordinary_ones():
    slots = [slot(1), slot(2), slot(9, reserved=True)]
    assert choose_slot(slots, confiscation=True) == 9
    slots = [slot(1), slot(2), slot(9, reserved=True, free=False)]
    assert choose_slot(slots, confiscation=True) == 1


def test_no_free_slot_gives_none():
    assert choose_slot([slot(1, free=False)], confiscation=False) is None
    assert choose_slot([], confiscation=True) is None


def test_undo_is_allowed_only_within_the_window():
    t = dt.datetime(2026, 11, 20, 8, 0)
    assert rules.may_undo(t, t + dt.timedelta(seconds=30))
    assert not rules.may_undo(t, t + rules.UNDO_WINDOW + dt.timedelta(seconds=1))
    assert not rules.may_undo(t, t - dt.timedelta(seconds=1))


@pytest.mark.parametrize("pin", ["123", "abcd", "1111", "1234", "98765", "1" * 13, ""])
def test_weak_or_malformed_pins_are_refused(pin):
    assert rules.pin_problem(pin)


@pytest.mark.parametrize(
    "pin",
    [
        *("2580", "1470", "3691", "147258", "159357", "0852", "7410", "963"),  # keypad lines
        *("1212", "123123", "0000"),  # repeats
        *("7890", "3210", "901234"),  # runs, 9 to 0 included
        *("1900", "1987", "2024", "2099"),  # years
        *("2512", "1225", "250399", "122599", "991225", "25031999"),  # dates
        "1004",  # common
    ],
)
def test_the_commonest_pins_are_refused(pin):
    assert rules.pin_problem(pin, "office")


@pytest.mark.parametrize("pin", ["147036", "9051", "5937", "8642"])
def test_reasonable_office_pins_are_accepted(pin):
    assert rules.pin_problem(pin, "office") is None


def test_senior_and_admin_pins_need_six_digits():
    assert rules.pin_problem("9051", "senior") == (
        "A PIN for a senior member of staff needs at least 6 digits."
    )
    assert rules.pin_problem("9051", "admin") == "A PIN for an admin needs at least 6 digits."
    assert rules.pin_problem("905163", "admin") is None


def test_the_demo_pins_are_strong_enough_for_their_roles():
    from kiosk.demo import DEMO_STAFF

    for member in DEMO_STAFF:
        assert rules.pin_problem(member.pin, member.role) is None, member


def test_waits_grow_after_a_few_wrong_pins_and_stop_growing():
    waits = [rules.wait_after(n).total_seconds() for n in range(1, 12)]
    assert waits == [0, 0, 10, 20, 40, 80, 160, 300, 300, 300, 300]


def test_a_quiet_spell_ends_a_burst_of_wrong_pins():
    now = dt.datetime(2026, 11, 20, 8, 0)
    burst = rules.NO_BURST
    for _ in range(4):
        burst = rules.after_wrong_pin(burst, now)
    assert burst.failures == 4 and burst.first_at == now
    assert rules.pin_wait(burst, now) == dt.timedelta(seconds=20)
    assert rules.pin_wait(burst, now + dt.timedelta(seconds=15)) == dt.timedelta(seconds=5)
    later = now + rules.PIN_QUIET
    assert rules.current_burst(burst, later) == rules.NO_BURST
    assert rules.after_wrong_pin(burst, later).failures == 1


def test_a_burst_writes_an_event_at_its_start_when_waits_begin_and_at_the_lock():
    notes = [rules.wrong_pin_note(n, n) for n in range(1, rules.PIN_HARD_LOCK_AT + 1)]
    assert notes[0] is rules.WrongPinNote.FIRST
    assert notes[rules.PIN_FREE_TRIES - 1] is rules.WrongPinNote.THROTTLED
    assert notes[-1] is rules.WrongPinNote.LOCKED
    assert sum(note is not None for note in notes) == 3
    assert not rules.hard_locked(rules.PIN_HARD_LOCK_AT - 1)
    assert rules.hard_locked(rules.PIN_HARD_LOCK_AT)


def test_leaving_the_kiosk_for_a_desktop_is_an_admins_only():
    assert rules.may(Role.ADMIN, Action.LEAVE_KIOSK)
    assert not rules.may(Role.OFFICE, Action.LEAVE_KIOSK)
    assert not rules.may(Role.SENIOR, Action.LEAVE_KIOSK)


def test_only_senior_staff_may_hand_a_device_to_the_police_or_release_a_dsl_referral():
    for action in (Action.HAND_TO_POLICE, Action.RELEASE_DSL_REFERRED, Action.MANAGE_EXEMPTIONS):
        assert rules.may(Role.SENIOR, action)
        assert not rules.may(Role.OFFICE, action)
        assert not rules.may(Role.ADMIN, action)


def test_only_admins_manage_staff_and_unknown_roles_may_do_nothing():
    assert rules.may(Role.ADMIN, Action.MANAGE_STAFF)
    assert not rules.may(Role.SENIOR, Action.MANAGE_STAFF)
    assert not rules.may("pupil", Action.COLLECT)
