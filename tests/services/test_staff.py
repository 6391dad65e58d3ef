import contextlib
import datetime as dt

import pytest
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)
from sqlalchemy import func, select

from kiosk.demo import DEMO_PINS
from kiosk.errors import AccountLocked, InvalidInput, NotAuthorised, PinThrottled, WrongPin
from kiosk.rules import PIN_FIRST_WAIT, PIN_FREE_TRIES, PIN_HARD_LOCK_AT, Action, wait_after
from kiosk.services import pin_seal, pin_tries, school_keys, staff
from kiosk.services.common import require
from kiosk.tables import AuditEvent, PinTries, Staff

NOW = dt.datetime(2026, 11, 20, 9, 0)
OFFICE_PIN = DEMO_PINS["office"]
KIOSK = "kiosk-1"


def office_id(school) -> int:
    return school.actors["office"].id


def pin_events(sessions) -> list[str]:
    kinds = ("pin_wrong", "pin_throttled", "staff_locked_out", "staff_unlocked")
    with sessions() as s:
        return list(
            s.scalars(
                select(AuditEvent.kind).where(AuditEvent.kind.in_(kinds)).order_by(AuditEvent.seq)
            )
        )


def guess_wrong(sessions, staff_id: int, times: int, at: dt.datetime, kiosk: str = KIOSK):
    """``times`` wrong PINs, each as soon as the kiosk lets it be checked; the time after."""
    for _ in range(times):
        try:
            staff.check_pin(sessions, staff_id, "000000", terminal=kiosk, now=at)
        except WrongPin as error:
            at += error.wait
        except AccountLocked:
            pass
    return at


def test_pins_are_stored_only_as_argon2id_hashes_sealed_under_the_pepper(school, sessions):
    with sessions() as s:
        rows = list(s.execute(select(Staff.id, Staff.role, Staff.pin_hash)))
        pepper = school_keys.of(s.connection()).pin_pepper
    assert rows and all(pin_seal.is_sealed(h) for _i, _r, h in rows)
    inner = [pin_seal.unseal(pepper, h, staff_id, role) for staff_id, role, h in rows]
    assert all(h and h.startswith("$argon2id$") for h in inner)
    assert not any(OFFICE_PIN in h for _i, _r, h in rows)


def test_the_kiosk_hashes_pins_at_argon2ids_rfc_9106_low_memory_cost(quick_pin_hashes):
    """The tests hash at the cheapest cost (conftest.py); the kiosk's own hasher keeps the
    RFC 9106 "low memory" profile: 64 MiB, 3 passes, 4 lanes."""
    kiosks = quick_pin_hashes
    assert kiosks.time_cost == 3 and kiosks.memory_cost == 65536 and kiosks.parallelism == 4
    hashed = kiosks.hash(OFFICE_PIN)
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert kiosks.verify(hashed, OFFICE_PIN)


def test_the_right_pin_logs_in_and_is_recorded_with_the_kiosk(school, sessions):
    member = staff.check_pin(sessions, office_id(school), OFFICE_PIN, terminal=KIOSK, now=NOW)
    assert (member.name, member.role) == ("Olivia Office", "office")
    with sessions() as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert (last.kind, last.actor_id, last.details) == (
        "staff_login",
        office_id(school),
        '{"kiosk":"kiosk-1"}',
    )


def test_wrong_pins_make_the_kiosk_wait_longer_and_longer_then_the_right_pin_works(
    school, sessions
):
    waits = []
    at = NOW
    for _ in range(PIN_FREE_TRIES + 2):
        with pytest.raises(WrongPin) as error:
            staff.check_pin(sessions, office_id(school), "000000", terminal=KIOSK, now=at)
        waits.append(error.value.wait)
        at += error.value.wait
    assert waits == [dt.timedelta(0)] * (PIN_FREE_TRIES - 1) + [
        PIN_FIRST_WAIT,
        2 * PIN_FIRST_WAIT,
        4 * PIN_FIRST_WAIT,
    ]
    assert str(WrongPin(PIN_FIRST_WAIT)) == "Wrong PIN. Please wait 10 seconds before the next try."
    # Within the wait even the right PIN is not checked (and nothing is written).
    events_before = pin_events(sessions)
    early = at - dt.timedelta(seconds=1)
    with pytest.raises(PinThrottled, match="try again in 1 second"):
        staff.check_pin(sessions, office_id(school), OFFICE_PIN, terminal=KIOSK, now=early)
    assert pin_events(sessions) == events_before
    member = staff.check_pin(sessions, office_id(school), OFFICE_PIN, terminal=KIOSK, now=at)
    assert member.name == "Olivia Office"
    with sessions() as s:
        login = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
        assert s.scalar(select(func.count()).select_from(PinTries)) == 0  # the burst is over
    assert login.details == '{"kiosk":"kiosk-1","wrong_pins_before":5}'


def test_the_wait_is_per_kiosk_another_kiosk_checks_at_once(school, sessions):
    at = guess_wrong(sessions, office_id(school), PIN_FREE_TRIES + 3, NOW)
    with pytest.raises(PinThrottled):
        staff.check_pin(sessions, office_id(school), OFFICE_PIN, terminal=KIOSK, now=NOW)
    member = staff.check_pin(sessions, office_id(school), OFFICE_PIN, terminal="kiosk-2", now=at)
    assert member.name == "Olivia Office"


def test_a_hundred_tries_write_a_few_events_not_a_hundred(school, sessions):
    at = NOW
    for second in range(100):  # a pupil tapping away for 100 s
        with contextlib.suppress(WrongPin, PinThrottled):
            staff.check_pin(sessions, office_id(school), f"{second:06d}", terminal=KIOSK, now=at)
        at += dt.timedelta(seconds=1)
    with sessions() as s:
        row = s.get(PinTries, (office_id(school), KIOSK))
    assert row is not None and row.failures == 6  # 3 at once, then after 10, 20 and 40 s
    assert pin_events(sessions) == ["pin_wrong", "pin_throttled"]


def test_many_wrong_pins_across_kiosks_lock_the_account_until_an_admin_unlocks_it(school, sessions):
    admin, office = school.actors["admin"], school.actors["office"]
    at = NOW
    for kiosk in ("kiosk-1", "kiosk-2", "kiosk-3", "kiosk-4"):
        at = max(at, guess_wrong(sessions, office.id, PIN_HARD_LOCK_AT // 4, NOW, kiosk))
    with pytest.raises(AccountLocked, match="an admin can unlock it"):
        staff.check_pin(sessions, office.id, OFFICE_PIN, terminal="kiosk-5", now=at)
    assert next(m for m in staff.list_staff(sessions) if m.id == office.id).locked
    # A session already open goes on: the lock stops log-ins only.
    with sessions() as session:
        require(session, office, Action.COLLECT)
    with pytest.raises(NotAuthorised):
        staff.unlock(sessions, office, office.id)
    staff.unlock(sessions, admin, office.id)
    assert staff.check_pin(sessions, office.id, OFFICE_PIN, terminal=KIOSK, now=at).name
    with pytest.raises(InvalidInput, match="not locked"):
        staff.unlock(sessions, admin, office.id)
    events = pin_events(sessions)
    assert events.count("staff_locked_out") == 1 and events[-1] == "staff_unlocked"
    assert events.count("pin_wrong") == 4  # one a kiosk


def test_a_burst_after_a_quiet_spell_starts_afresh_and_keeps_the_last_ones_count(school, sessions):
    at = guess_wrong(sessions, office_id(school), 7, NOW)
    later = at + dt.timedelta(hours=1)
    with pytest.raises(WrongPin) as error:
        staff.check_pin(sessions, office_id(school), "000000", terminal=KIOSK, now=later)
    assert error.value.wait == wait_after(1) == dt.timedelta(0)
    with sessions() as s:
        first = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert first.kind == "pin_wrong" and '"earlier_burst_wrong_pins":7' in first.details


def test_dashboard_alerts_name_the_account_the_kiosk_and_the_time(school, sessions):
    at = guess_wrong(sessions, office_id(school), 12, NOW)
    (alert,) = pin_tries.alerts(sessions, at)
    assert alert.words.startswith("12 wrong PINs for Olivia Office at kiosk-1, ")
    assert pin_tries.alerts(sessions, at + dt.timedelta(days=1)) == []


def test_the_hash_runs_outside_any_write_transaction(school, sessions, monkeypatch):
    """While the PIN is hashed another connection can take the write lock at once."""
    if sessions.dialect != "sqlite":
        return
    import sqlite3

    took_lock = []
    real = staff._pin_matches

    def hashing(pin_hash: str, pin: str) -> bool:
        other = sqlite3.connect(str(sessions.file), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            took_lock.append(True)
        finally:
            other.close()
        return real(pin_hash, pin)

    monkeypatch.setattr(staff, "_pin_matches", hashing)
    staff.check_pin(sessions, office_id(school), OFFICE_PIN, terminal=KIOSK)
    assert took_lock == [True]


def test_the_first_account_must_be_an_admin_and_later_ones_need_an_admin(sessions):
    with pytest.raises(InvalidInput):
        staff.add_staff(sessions, None, "Olivia", "office", "5937")
    admin_id = staff.add_staff(sessions, None, "Alex", "admin", "804726")
    with pytest.raises(NotAuthorised):
        staff.add_staff(sessions, None, "Olivia", "office", "5937")
    admin = staff.StaffMember(admin_id, "Alex", "admin", True, False).actor
    office_id = staff.add_staff(sessions, admin, "Olivia", "office", "5937")
    office = staff.StaffMember(office_id, "Olivia", "office", True, False).actor
    with pytest.raises(NotAuthorised):
        staff.add_staff(sessions, office, "Mallory", "admin", "905163")
    with pytest.raises(InvalidInput, match="already"):
        staff.add_staff(sessions, admin, "olivia", "office", "9051")


@pytest.mark.parametrize(
    ("role", "pin", "words"),
    [
        ("admin", "9051", "A PIN for an admin needs at least 6 digits."),
        ("senior", "90516", "A PIN for a senior member of staff needs at least 6 digits."),
        ("office", "2580", "That PIN follows lines of keys on the keypad"),
        ("admin", "147258", "That PIN follows lines of keys on the keypad"),
        ("office", "1966", "That PIN is a year"),
        ("admin", "250399", "That PIN could be a date"),
        ("office", "4321", "That PIN is a run of digits"),
        ("senior", "121212", "That PIN repeats a pattern"),
    ],
)
def test_weak_pins_are_refused_in_words(school, sessions, role, pin, words):
    with pytest.raises(InvalidInput) as error:
        staff.add_staff(sessions, school.actors["admin"], "Pat", role, pin)
    assert str(error.value).startswith(words)


def test_a_deactivated_member_can_neither_log_in_nor_act(school, sessions):
    admin = school.actors["admin"]
    staff.set_active(sessions, admin, office_id(school), False)
    with pytest.raises(NotAuthorised):
        staff.check_pin(sessions, office_id(school), OFFICE_PIN, terminal=KIOSK)
    with pytest.raises(NotAuthorised):
        staff.set_active(sessions, school.actors["office"], office_id(school), True)


def test_reset_pin_and_role_change_are_admin_only_and_a_reset_lifts_a_lock(school, sessions):
    admin, office = school.actors["admin"], school.actors["office"]
    with pytest.raises(NotAuthorised):
        staff.reset_pin(sessions, office, office_id(school), "9051")
    guess_wrong(sessions, office_id(school), PIN_HARD_LOCK_AT, NOW)
    staff.reset_pin(sessions, admin, office_id(school), "9051")
    assert staff.check_pin(sessions, office_id(school), "9051", terminal=KIOSK).name
    staff.set_role(sessions, admin, office_id(school), "senior")
    assert staff.check_pin(sessions, office_id(school), "9051", terminal=KIOSK).role == "senior"
    with pytest.raises(InvalidInput, match="at least 6"):
        staff.reset_pin(sessions, admin, office_id(school), "9051")
    with pytest.raises(InvalidInput):
        staff.set_role(sessions, admin, admin.id, "office")


def test_guesses_checked_side_by_side_at_one_kiosk_do_not_slip_past_the_wait(
    school, sessions, monkeypatch
):
    """Two checks at once: the one that finishes second is answered only if it would have
    been checked had they run one after the other."""
    guess_wrong(sessions, office_id(school), PIN_FREE_TRIES - 1, NOW)
    real, nested = staff._pin_matches, []

    def hashing(pin_hash: str, pin: str) -> bool:
        if not nested:  # meanwhile, another wrong PIN at the same kiosk is checked
            nested.append(True)
            with pytest.raises(WrongPin):
                staff.check_pin(sessions, office_id(school), "000000", terminal=KIOSK, now=NOW)
        return real(pin_hash, pin)

    monkeypatch.setattr(staff, "_pin_matches", hashing)
    with pytest.raises(PinThrottled):
        staff.check_pin(sessions, office_id(school), OFFICE_PIN, terminal=KIOSK, now=NOW)


def test_a_pin_changed_while_the_old_one_was_hashed_is_not_accepted(school, sessions, monkeypatch):
    real = staff._pin_matches

    def hashing(pin_hash: str, pin: str) -> bool:
        if pin == OFFICE_PIN:  # the admin sets a new PIN meanwhile
            staff.reset_pin(sessions, school.actors["admin"], office_id(school), "8642")
        return real(pin_hash, pin)

    monkeypatch.setattr(staff, "_pin_matches", hashing)
    with pytest.raises(InvalidInput, match="changed just now"):
        staff.check_pin(sessions, office_id(school), OFFICE_PIN, terminal=KIOSK, now=NOW)
    assert staff.check_pin(sessions, office_id(school), "8642", terminal=KIOSK, now=NOW).name


def test_when_every_admin_is_locked_the_kiosk_pcs_shell_can_unlock_one(school, sessions):
    admin_id = school.actors["admin"].id
    with pytest.raises(NotAuthorised, match="An admin can still log in"):
        staff.unlock_last_admin(sessions, admin_id, "kiosk-1 (command line)")
    guess_wrong(sessions, office_id(school), PIN_HARD_LOCK_AT, NOW)
    guess_wrong(sessions, admin_id, PIN_HARD_LOCK_AT, NOW)  # the only admin
    with pytest.raises(InvalidInput, match="Only a locked admin"):
        staff.unlock_last_admin(sessions, office_id(school), "kiosk-1 (command line)")
    staff.unlock_last_admin(sessions, admin_id, "kiosk-1 (command line)")
    assert staff.check_pin(sessions, admin_id, DEMO_PINS["admin"], terminal=KIOSK, now=NOW)
    with sessions() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.kind == "staff_unlocked")).one()
    assert (event.actor_id, event.actor_name) == (None, "kiosk-1 (command line)")
