"""A pupil's several devices and a day out, through the real kiosk screen: one scan in the
morning puts the phone and the watch in one slot, one scan at home time shows both and
gives both back; a pupil back from an appointment scans and gets the slot they left."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from steady_clock import MORNING, local

from kiosk.db import Database
from kiosk.demo import DemoSchool
from kiosk.devices import Device, DeviceKind
from kiosk.services import day_outs, device_items, settings
from kiosk.ui.kiosk_screen.outcomes import State

from .conftest import OFFICE, ScreenFactory, click, pupil_id_with_card, scan
from .test_afternoon import give_back, switch_mode_with_pin

NOON = local(12)
PHONE_AND_WATCH = [Device(DeviceKind.PHONE), Device(DeviceKind.WATCH, "black Garmin")]


def test_phone_and_watch_are_one_scan_in_the_morning_and_one_at_home_time(
    qtbot: QtBot, make_screen: ScreenFactory, sessions: Database, school: DemoSchool
) -> None:
    pupil_id, text = pupil_id_with_card(school, 0)
    device_items.set_usual_devices(sessions, school.actors["office"], pupil_id, PHONE_AND_WATCH)
    screen = make_screen(clock=MORNING)
    assert scan(qtbot, screen, text) is State.HANDED_IN
    page = screen.result_page
    assert page.slot.text() == "1"
    assert page.message.text() == "Switch off your phone and watch and put them in slot 1"
    assert "Garmin" not in page.message.text()  # descriptions are for staff
    assert [i.kind for i in device_items.held_items(sessions, pupil_id)] == ["phone", "watch"]
    assert scan(qtbot, screen, text) is State.ALREADY_HANDED_IN
    assert page.message.text() == "You have already handed in. Phone and watch in slot 1"

    switch_mode_with_pin(qtbot, screen, "collection", OFFICE)
    assert scan(qtbot, screen, text) is State.COLLECT_CONFIRM
    collection = screen.collection_page
    assert collection.caption.text() == "Phone and watch in slot"
    assert collection.slot.text() == "1"
    give_back(qtbot, screen)
    assert screen.state is State.COLLECTED
    assert screen.result_page.message.text() == "Phone and watch given back from slot 1. Goodbye!"
    assert device_items.held_items(sessions, pupil_id) == ()


def test_devices_in_two_slots_are_each_named(
    qtbot: QtBot, make_screen: ScreenFactory, sessions: Database, school: DemoSchool
) -> None:
    settings.update(sessions, school.actors["admin"], {"slot_capacity": "1"})
    pupil_id, text = pupil_id_with_card(school, 0)
    device_items.set_usual_devices(sessions, school.actors["office"], pupil_id, PHONE_AND_WATCH)
    screen = make_screen(clock=MORNING)
    assert scan(qtbot, screen, text) is State.HANDED_IN
    assert screen.result_page.message.text() == (
        "Switch them off: Phone in slot 1, Watch in slot 2"
    )
    # "Not me? Undo", confirmed by showing the same card again, takes back both slots
    click(qtbot, screen.result_page.undo)
    assert screen.state is State.UNDO_CONFIRM
    assert scan(qtbot, screen, text) is State.UNDONE
    qtbot.waitUntil(lambda: screen.lane.pending == 0, timeout=5000)
    assert device_items.held_items(sessions, pupil_id) == ()


def test_a_pupil_back_from_an_appointment_scans_and_gets_the_slot_they_left(
    qtbot: QtBot, make_screen: ScreenFactory, sessions: Database, school: DemoSchool
) -> None:
    leaver, leaver_card = pupil_id_with_card(school, 0)
    _, other_card = pupil_id_with_card(school, 1)
    screen = make_screen(clock=MORNING)
    assert scan(qtbot, screen, leaver_card) is State.HANDED_IN
    assert scan(qtbot, screen, other_card) is State.HANDED_IN
    day_outs.release_for_day_out(
        sessions, school.actors["office"], [leaver], "appointment", now=local(10)()
    )
    assert [o.pupil.id for o in day_outs.still_out(sessions, now=NOON())] == [leaver]
    back = make_screen(clock=NOON)  # back at lunchtime: the kiosk takes hand-ins
    assert scan(qtbot, back, leaver_card) is State.HANDED_IN
    assert back.result_page.slot.text() == "1"
    assert day_outs.still_out(sessions, now=NOON()) == []
