from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from kiosk.clock import to_local, utcnow
from kiosk.errors import NotAuthorised
from kiosk.services import confiscation, custody
from kiosk.tables import AuditEvent, Confiscation, Custody, Slot
from kiosk.ui.staff.device_forms import ADMIN_ONLY
from kiosk.ui.staff.devices import DevicesTab
from kiosk.ui.staff.police_form import POLICE_SENIOR_ONLY, local_to_utc
from ui.staff.conftest import click, log_in, screenshot, settle


@pytest.fixture
def held(sessions, school):
    """A daily hand-in in slot 1 and a confiscation in a reserved slot."""
    daily = custody.hand_in(sessions, school.pupil_ids[0])
    confiscated = confiscation.confiscate(
        sessions, school.actors["office"], school.pupil_ids[1], "used in lesson", "Art"
    )
    return {"daily": daily.custody_id, "confiscated": confiscated.id}


@pytest.fixture
def devices(console, held):
    def open_as(role):
        log_in(console, role)
        tab = console.show_tab("Devices")
        settle()
        assert isinstance(tab, DevicesTab)
        return tab

    return open_as


def tap_device(qtbot, tab, custody_id):
    """Tap the device's row in the list on the left, as the office would."""
    row = next(i for i, d in enumerate(tab.model.rows) if d.custody_id == custody_id)
    index = tab.proxy.mapFromSource(tab.model.index(row, 0))
    tab.table.scrollTo(index)
    centre = tab.table.visualRect(index).center()
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert tab.device is not None and tab.device.custody_id == custody_id


def record(sessions, custody_id):
    with sessions() as session:
        custody_row = session.get(Custody, custody_id)
        slot = session.get(Slot, custody_row.slot_id)
        return custody_row, slot.number, session.get(Confiscation, custody_id)


def kinds(sessions, custody_id):
    with sessions() as session:
        return session.scalars(
            select(AuditEvent.kind).where(AuditEvent.custody_id == custody_id)
        ).all()


def set_police_time(tab, when_utc):
    local = to_local(when_utc)
    tab.police.police_date.setDate(local.date())
    tab.police.police_time.setTime(local.time().replace(second=0, microsecond=0))


def test_moving_a_device_to_a_free_slot(devices, qtbot, sessions, held, console, artifacts):
    tab = devices("office")
    tap_device(qtbot, tab, held["daily"])
    tab.show_page("Move")
    settle()
    tab.move_to.setCurrentIndex(tab.move_to.findData(12))
    settle()
    screenshot(console, artifacts, "devices_move")
    click(qtbot, tab.move_button)
    _, slot, _ = record(sessions, held["daily"])
    assert slot == 12
    assert tab.feedback.text() == "Recorded: move the device from slot 1 to 12."
    assert kinds(sessions, held["daily"])[-1] == "moved"


def test_referring_a_confiscation_to_the_dsl(devices, qtbot, sessions, held):
    tab = devices("office")
    tap_device(qtbot, tab, held["confiscated"])
    tab.show_page("Refer to DSL")
    settle()
    qtbot.keyClicks(tab.refer_note, "Upsetting images reported")
    click(qtbot, tab.refer_button)
    _, _, details = record(sessions, held["confiscated"])
    assert details.dsl_referred_at is not None
    assert details.dsl_note == "Upsetting images reported"
    assert not tab.refer_button.isEnabled()  # it is referred now


def test_a_daily_hand_in_cannot_be_referred_or_handed_to_police(devices, qtbot, held):
    tab = devices("senior")
    tap_device(qtbot, tab, held["daily"])
    assert not tab.refer_button.isEnabled()
    assert not tab.police.police_button.isEnabled()


def test_office_cannot_hand_a_device_to_the_police_on_screen_or_in_the_service(
    devices, qtbot, sessions, school, held, console, artifacts
):
    tab = devices("office")
    tap_device(qtbot, tab, held["confiscated"])
    tab.show_page("Police")
    settle()
    assert not tab.police.police_button.isEnabled()
    assert tab.police.police_note.text() == POLICE_SENIOR_ONLY
    screenshot(console, artifacts, "devices_police_office")

    with pytest.raises(NotAuthorised):
        confiscation.hand_to_police(
            sessions, school.actors["office"], held["confiscated"], "PC A", "1", "REF"
        )
    # Reached anyway: the screen shows the service's refusal and nothing changes.
    qtbot.keyClicks(tab.police.officer, "PC Amy Reed")
    qtbot.keyClicks(tab.police.officer_number, "4471")
    qtbot.keyClicks(tab.police.reference, "CR/123")
    tab.police.police_button.setEnabled(True)
    click(qtbot, tab.police.police_button)
    assert "Your role does not allow this" in tab.feedback.text()
    custody_row, _, _ = record(sessions, held["confiscated"])
    assert custody_row.state == "held"


def test_the_dsl_records_a_police_handover_and_gets_the_chain_of_custody(
    devices, qtbot, sessions, held, console, artifacts
):
    tab = devices("senior")
    tap_device(qtbot, tab, held["confiscated"])
    tab.show_page("Police")
    settle()
    qtbot.keyClicks(tab.police.officer, "PC Amy Reed")
    qtbot.keyClicks(tab.police.officer_number, "4471")
    qtbot.keyClicks(tab.police.reference, "CR/2026/123")
    before = utcnow()
    set_police_time(tab, before)  # this minute: recorded as the moment of the tap
    screenshot(console, artifacts, "devices_police_senior")
    click(qtbot, tab.police.police_button)
    after = utcnow()

    custody_row, _, details = record(sessions, held["confiscated"])
    assert custody_row.state == "handed_to_police"
    assert (details.police_officer, details.police_number, details.police_reference) == (
        "PC Amy Reed",
        "4471",
        "CR/2026/123",
    )
    assert before <= details.police_at <= after
    assert tab.receipt.path is not None and tab.receipt.path.is_file()
    assert kinds(sessions, held["confiscated"])[-2:] == ["handed_to_police", "receipt_printed"]
    assert tab.model.rowCount() == 1  # only the daily hand-in is still held
    screenshot(console, artifacts, "devices_police_done")


def test_a_handover_time_typed_in_later_is_kept(devices, qtbot, sessions, school, console):
    seized_at = utcnow() - dt.timedelta(hours=3)
    seized = confiscation.confiscate(
        sessions, school.actors["office"], school.pupil_ids[2], "other", now=seized_at
    )
    tab = devices("senior")
    tap_device(qtbot, tab, seized.id)
    tab.show_page("Police")
    settle()
    for field, text in (
        (tab.police.officer, "PC Lee"),
        (tab.police.officer_number, "12"),
        (tab.police.reference, "R1"),
    ):
        qtbot.keyClicks(field, text)
    handed_at = (utcnow() - dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    set_police_time(tab, handed_at)
    click(qtbot, tab.police.police_button)
    _, _, details = record(sessions, seized.id)
    assert details.police_at == handed_at


def test_a_police_handover_needs_every_detail_and_a_sensible_time(devices, qtbot, sessions, held):
    tab = devices("senior")
    tap_device(qtbot, tab, held["confiscated"])
    tab.show_page("Police")
    settle()
    qtbot.keyClicks(tab.police.officer, "PC Amy Reed")
    click(qtbot, tab.police.police_button)
    assert tab.feedback.text() == "Enter the officer's name, number and the police reference."
    qtbot.keyClicks(tab.police.officer_number, "4471")
    qtbot.keyClicks(tab.police.reference, "CR/1")
    set_police_time(tab, utcnow() + dt.timedelta(hours=2))
    click(qtbot, tab.police.police_button)
    assert tab.feedback.text() == "The handover time is in the future."
    set_police_time(tab, utcnow() - dt.timedelta(days=2))
    click(qtbot, tab.police.police_button)
    assert tab.feedback.text() == "The handover time is before the device was confiscated."
    custody_row, _, _ = record(sessions, held["confiscated"])
    assert custody_row.state == "held"


def test_keeping_a_device_overnight_is_recorded_with_the_reason(devices, qtbot, sessions, held):
    tab = devices("office")
    tap_device(qtbot, tab, held["daily"])
    tab.show_page("Overnight")
    settle()
    qtbot.keyClicks(tab.overnight_reason, "Parent collecting tomorrow")
    click(qtbot, tab.overnight_button)
    custody_row, _, _ = record(sessions, held["daily"])
    assert custody_row.keep_overnight_on == to_local(utcnow()).date()
    with sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.kind == "kept_overnight")).one()
    assert event.details == '{"reason":"Parent collecting tomorrow"}'
    assert event.actor_name == "Olivia Office"


def test_printing_a_chain_of_custody_receipt(devices, qtbot, sessions, held, console):
    tab = devices("office")
    tap_device(qtbot, tab, held["confiscated"])
    tab.show_page("Receipt")
    settle()
    click(qtbot, tab.receipt_button)
    assert tab.receipt.path.name.startswith(f"chain_of_custody-{held['confiscated']}-")
    assert tab.receipt.path.parent == console.config.data_dir / "receipts"
    assert kinds(sessions, held["confiscated"])[-1] == "receipt_printed"


def test_a_slot_holding_a_device_cannot_go_out_of_service_until_it_is_moved(
    devices, qtbot, sessions, held, console, artifacts
):
    tab = devices("office")
    tab.show_page("Slots")
    settle()
    tab.slot_form.slot_number.setValue(1)
    qtbot.keyClicks(tab.slot_form.slot_reason, "Lock broken")
    click(qtbot, tab.slot_form.out_button)
    assert tab.feedback.text() == "Slot 1 holds a device: move it to another slot first."
    screenshot(console, artifacts, "devices_slot_refused")

    tap_device(qtbot, tab, held["daily"])
    tab.show_page("Move")
    settle()
    tab.move_to.setCurrentIndex(tab.move_to.findData(2))
    settle()
    click(qtbot, tab.move_button)
    tab.show_page("Slots")
    settle()
    click(qtbot, tab.slot_form.out_button)
    assert tab.feedback.text() == "Slot 1 is now out of service."
    with sessions() as session:
        assert not session.scalar(select(Slot.in_service).where(Slot.number == 1))


def test_only_an_admin_can_put_a_slot_back_in_service(devices, console, qtbot, sessions, school):
    from kiosk.services import slots

    slots.set_in_service(sessions, school.actors["office"], 9, False, "Broken")
    tab = devices("office")
    tab.show_page("Slots")
    settle()
    assert not tab.slot_form.in_button.isEnabled()
    assert tab.slot_form.slots_note.text() == ADMIN_ONLY
    console.lock()
    tab = devices("admin")
    tab.show_page("Slots")
    settle()
    tab.slot_form.slot_number.setValue(9)
    click(qtbot, tab.slot_form.in_button)
    with sessions() as session:
        assert session.scalar(select(Slot.in_service).where(Slot.number == 9))


def test_local_time_is_turned_into_stored_utc_across_summer_time():
    assert local_to_utc(dt.date(2026, 1, 15), dt.time(9, 30)) == dt.datetime(2026, 1, 15, 9, 30)
    assert local_to_utc(dt.date(2026, 7, 15), dt.time(9, 30)) == dt.datetime(2026, 7, 15, 8, 30)


def test_scanning_a_card_here_chooses_that_pupils_device(devices, console, school, held):
    tab = devices("office")
    console.handle_scan(school.card_texts[school.pupil_ids[1]])
    settle()
    assert console.tabs.currentWidget() is tab
    assert tab.device.custody_id == held["confiscated"]
    assert [d.custody_id for d in tab.proxy.visible_rows()] == [held["confiscated"]]
    console.handle_scan(school.card_texts[school.pupil_ids[9]])
    settle()
    assert tab.feedback.text().startswith("Nothing is held for")
