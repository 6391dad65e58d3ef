"""Several devices per pupil, through the real services on a real database: the morning is
one scan, the devices stay together in one slot (or are split by the slot capacity), every
device goes back at home time, and some only with a reason the database insists on."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from kiosk.devices import Device, DeviceKind
from kiosk.errors import InvalidInput, NotAuthorised
from kiosk.services import custody, device_items, settings
from kiosk.tables import AuditEvent, Custody, CustodyItem, Slot

from .conftest import database_on_both as database_url  # noqa: F401 (SQLite and PostgreSQL)

T0 = dt.datetime(2026, 11, 20, 8, 0)
PHONE, WATCH = Device(DeviceKind.PHONE), Device(DeviceKind.WATCH, "black Garmin")


def events(sessions, *kinds: str) -> list[AuditEvent]:
    with sessions() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.kind.in_(kinds))))


def test_phone_and_watch_go_in_one_slot_with_one_scan_and_come_back_together(school, sessions):
    pupil = school.pupil_ids[0]
    office = school.actors["office"]
    device_items.set_usual_devices(sessions, office, pupil, [PHONE, WATCH])
    result = custody.hand_in_by_card(sessions, school.card_texts[pupil], now=T0)
    assert [(p.slot_number, p.kinds) for p in result.placements] == [(1, ("phone", "watch"))]
    held = device_items.held_items(sessions, pupil)
    assert [(i.slot_number, i.kind, i.description) for i in held] == [
        (1, "phone", ""),
        (1, "watch", "black Garmin"),
    ]
    again = custody.hand_in_by_card(sessions, school.card_texts[pupil], now=T0)
    assert again.already_held and again.placements == result.placements

    check = custody.check_collection(sessions, school.card_texts[pupil])
    assert check.daily is not None and check.daily.kinds == ("phone", "watch")
    custody.collect(sessions, check.daily.id, office, now=T0 + dt.timedelta(hours=7))
    assert device_items.held_items(sessions, pupil) == ()
    (hand_in,) = events(sessions, "hand_in")
    assert "black Garmin" in hand_in.details and "watch" in hand_in.details
    (collected,) = events(sessions, "collected")
    assert '"watch"' in collected.details


def test_a_pupil_with_one_phone_is_unchanged(school, sessions):
    result = custody.hand_in_by_card(sessions, school.card_texts[school.pupil_ids[0]], now=T0)
    assert [p.kinds for p in result.placements] == [("phone",)]
    assert events(sessions, "hand_in")[0].details == "{}"  # what every older event says


def test_devices_that_do_not_fit_one_slot_take_the_next_and_all_come_back(school, sessions):
    admin, office = school.actors["admin"], school.actors["office"]
    settings.update(sessions, admin, {"slot_capacity": "2"})
    pupil = school.pupil_ids[0]
    three = [PHONE, WATCH, Device(DeviceKind.EARBUDS)]
    result = custody.hand_in(sessions, pupil, now=T0, devices=three)
    assert [(p.slot_number, p.kinds) for p in result.placements] == [
        (1, ("phone", "watch")),
        (2, ("earbuds",)),
    ]
    other = custody.hand_in(sessions, school.pupil_ids[1], now=T0)
    assert other.slot_number == 3
    check = custody.check_collection(sessions, school.card_texts[pupil])
    assert check.daily is not None and check.daily.other_slots == (2,)
    info = custody.collect(sessions, result.custody_id or 0, office)
    assert info.kinds == ("phone", "watch", "earbuds") and info.other_slots == (2,)
    assert device_items.held_items(sessions, pupil) == ()


def test_giving_back_only_some_needs_a_reason_and_the_rest_stays(school, sessions):
    office = school.actors["office"]
    pupil = school.pupil_ids[0]
    custody.hand_in(sessions, pupil, now=T0, devices=[PHONE, WATCH])
    phone, _watch = device_items.held_items(sessions, pupil)
    with pytest.raises(InvalidInput):
        device_items.give_back_some(sessions, office, pupil, [phone.id], "  ")
    left = device_items.give_back_some(
        sessions, office, pupil, [phone.id], "watch kept: strap broken, parent collects"
    )
    assert [i.kind for i in left] == ["watch"]
    (apart,) = events(sessions, "given_back_apart")
    assert "strap broken" in apart.details
    check = custody.check_collection(sessions, school.card_texts[pupil])
    assert check.daily is not None and check.daily.kinds == ("watch",)


def test_the_database_refuses_a_device_taken_apart_without_a_reason(school, sessions, engine):
    custody.hand_in(sessions, school.pupil_ids[0], now=T0, devices=[PHONE, WATCH])
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(update(CustodyItem).values(released_at=T0))


def test_the_database_refuses_two_pupils_devices_in_one_slot(school, sessions, engine):
    first = custody.hand_in(sessions, school.pupil_ids[0], now=T0, devices=[PHONE, WATCH])
    with engine.connect() as conn:
        slot_id = conn.scalar(select(Slot.id).where(Slot.number == first.slot_number))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            insert(Custody).values(
                pupil_id=school.pupil_ids[1],
                slot_id=slot_id,
                kind="daily",
                state="held",
                received_at=T0,
                switched_off_confirmed=False,
            )
        )


def test_usual_devices_are_checked_and_set_only_by_staff(school, sessions):
    pupil = school.pupil_ids[0]
    with pytest.raises(InvalidInput):
        device_items.set_usual_devices(sessions, school.actors["office"], pupil, [])
    with pytest.raises(InvalidInput):
        device_items.set_usual_devices(
            sessions, school.actors["office"], pupil, [Device(DeviceKind.WATCH, "a;b")]
        )
    from kiosk.services.audit import KIOSK_ACTOR

    with pytest.raises(NotAuthorised):
        device_items.set_usual_devices(sessions, KIOSK_ACTOR, pupil, [PHONE])
    assert device_items.usual_devices(sessions, pupil) == (PHONE,)
