import datetime as dt

import pytest
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)
from sqlalchemy import select

from kiosk.errors import AccountLocked, InvalidInput, NotAuthorised, WrongPin
from kiosk.rules import LOCKOUT, MAX_FAILED_PINS
from kiosk.services import pin_seal, school_keys, staff
from kiosk.tables import AuditEvent, Staff

NOW = dt.datetime(2026, 11, 20, 9, 0)


def office_id(school) -> int:
    return school.actors["office"].id


def test_pins_are_stored_only_as_argon2id_hashes_sealed_under_the_pepper(school, sessions):
    with sessions() as s:
        rows = list(s.execute(select(Staff.id, Staff.role, Staff.pin_hash)))
        pepper = school_keys.of(s.connection()).pin_pepper
    assert rows and all(pin_seal.is_sealed(h) for _i, _r, h in rows)
    inner = [pin_seal.unseal(pepper, h, staff_id, role) for staff_id, role, h in rows]
    assert all(h and h.startswith("$argon2id$") for h in inner)
    assert not any("2580" in h for _i, _r, h in rows)


def test_the_right_pin_logs_in_and_is_recorded(school, sessions):
    member = staff.check_pin(sessions, office_id(school), "2580", now=NOW)
    assert (member.name, member.role) == ("Olivia Office", "office")
    with sessions() as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert (last.kind, last.actor_id) == ("staff_login", office_id(school))


def test_five_wrong_pins_lock_the_account_even_against_the_right_pin(school, sessions):
    for attempt in range(1, MAX_FAILED_PINS):
        with pytest.raises(WrongPin) as error:
            staff.check_pin(sessions, office_id(school), "0000", now=NOW)
        assert error.value.attempts_left == MAX_FAILED_PINS - attempt
    with pytest.raises(AccountLocked):
        staff.check_pin(sessions, office_id(school), "0000", now=NOW)
    with pytest.raises(AccountLocked):
        staff.check_pin(sessions, office_id(school), "2580", now=NOW + dt.timedelta(minutes=1))
    later = NOW + LOCKOUT + dt.timedelta(seconds=1)
    assert staff.check_pin(sessions, office_id(school), "2580", now=later).name
    with sessions() as s:
        recorded = list(
            s.scalars(
                select(AuditEvent.kind).where(
                    AuditEvent.kind.like("%pin%") | (AuditEvent.kind == "staff_locked_out")
                )
            )
        )
    assert recorded.count("pin_wrong") == MAX_FAILED_PINS - 1
    assert "staff_locked_out" in recorded and "pin_refused_locked" in recorded


def test_the_first_account_must_be_an_admin_and_later_ones_need_an_admin(sessions):
    with pytest.raises(InvalidInput):
        staff.add_staff(sessions, None, "Olivia", "office", "2580")
    admin_id = staff.add_staff(sessions, None, "Alex", "admin", "1470")
    with pytest.raises(NotAuthorised):
        staff.add_staff(sessions, None, "Olivia", "office", "2580")
    admin = staff.StaffMember(admin_id, "Alex", "admin", True, False).actor
    office_id = staff.add_staff(sessions, admin, "Olivia", "office", "2580")
    office = staff.StaffMember(office_id, "Olivia", "office", True, False).actor
    with pytest.raises(NotAuthorised):
        staff.add_staff(sessions, office, "Mallory", "admin", "9051")
    with pytest.raises(InvalidInput, match="already"):
        staff.add_staff(sessions, admin, "olivia", "office", "9051")


def test_a_deactivated_member_can_neither_log_in_nor_act(school, sessions):
    admin = school.actors["admin"]
    staff.set_active(sessions, admin, office_id(school), False)
    with pytest.raises(NotAuthorised):
        staff.check_pin(sessions, office_id(school), "2580")
    with pytest.raises(NotAuthorised):
        staff.set_active(sessions, school.actors["office"], office_id(school), True)


def test_reset_pin_and_role_change_are_admin_only(school, sessions):
    admin, office = school.actors["admin"], school.actors["office"]
    with pytest.raises(NotAuthorised):
        staff.reset_pin(sessions, office, office_id(school), "9051")
    staff.reset_pin(sessions, admin, office_id(school), "9051")
    assert staff.check_pin(sessions, office_id(school), "9051").name
    staff.set_role(sessions, admin, office_id(school), "senior")
    assert staff.check_pin(sessions, office_id(school), "9051").role == "senior"
    with pytest.raises(InvalidInput):
        staff.set_role(sessions, admin, admin.id, "office")
