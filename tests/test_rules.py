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


@pytest.mark.parametrize("pin", ["2580", "147036", "9051"])
def test_reasonable_pins_are_accepted(pin):
    assert rules.pin_problem(pin) is None


def test_fifth_wrong_pin_locks_the_account_and_resets_the_count():
    now = dt.datetime(2026, 11, 20, 8, 0)
    attempts, locked = 0, None
    for _ in range(rules.MAX_FAILED_PINS - 1):
        attempts, locked = rules.after_failed_pin(attempts, now)
        assert locked is None
    attempts, locked = rules.after_failed_pin(attempts, now)
    assert attempts == 0 and locked == now + rules.LOCKOUT
    assert rules.is_locked(locked, now + dt.timedelta(minutes=1))
    assert not rules.is_locked(locked, now + rules.LOCKOUT)


def test_only_senior_staff_may_hand_a_device_to_the_police_or_release_a_dsl_referral():
    for action in (Action.HAND_TO_POLICE, Action.RELEASE_DSL_REFERRED, Action.MANAGE_EXEMPTIONS):
        assert rules.may(Role.SENIOR, action)
        assert not rules.may(Role.OFFICE, action)
        assert not rules.may(Role.ADMIN, action)


def test_only_admins_manage_staff_and_unknown_roles_may_do_nothing():
    assert rules.may(Role.ADMIN, Action.MANAGE_STAFF)
    assert not rules.may(Role.SENIOR, Action.MANAGE_STAFF)
    assert not rules.may("pupil", Action.COLLECT)


def test_exemption_applies_between_its_dates_unless_ended():
    d = dt.date(2026, 11, 20)
    assert rules.exemption_applies(d, None, False, d)
    assert rules.exemption_applies(d, d, False, d)
    assert not rules.exemption_applies(d, d, False, d + dt.timedelta(days=1))
    assert not rules.exemption_applies(d + dt.timedelta(days=1), None, False, d)
    assert not rules.exemption_applies(d, None, True, d)
