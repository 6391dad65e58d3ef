"""The day's flows through the real staff console and kiosk screen on the big school: a
hand-picked trip of 30 released in one action and 29 scanning back in (the dashboard and
"Still out" show the one missing), an emergency release of 280 devices with the list
printed in one tap, and the reconciliation the day after; a pupil's usual devices set by
staff and one device given back apart, with a reason."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select
from steady_clock import MORNING, SteadyClock, read_the_result_up
from ui.staff.conftest import click, log_in, settle
from ui.taps import tab_titles

from kiosk.config import Config
from kiosk.db_limits import deadline
from kiosk.services import custody, device_items, emergency
from kiosk.tables import AuditEvent
from kiosk.ui.kiosk_screen.outcomes import State
from kiosk.ui.kiosk_screen.screen import KioskScreen
from kiosk.ui.staff import common
from kiosk.ui.staff.common import WHOLE_SCHOOL_CALL_S
from kiosk.ui.staff.emergency_tab import EmergencyTab
from kiosk.ui.staff.out_of_school import OutOfSchoolTab
from kiosk.ui.staff.pupil_devices import PupilDevicesTab


def events(sessions, kind: str) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).where(AuditEvent.kind == kind)) or 0


def kiosk_scan(qtbot, screen: KioskScreen, text: str) -> State:
    read_the_result_up(screen)  # the pupil before has read their slot and gone
    with qtbot.waitSignal(screen.state_changed, timeout=5000):
        screen.handle_scan(text)
    qtbot.waitUntil(lambda: screen.lane.pending == 0, timeout=5000)
    return screen.state


def test_a_hand_picked_trip_of_30_goes_out_and_29_scan_back_in(
    qtbot, make_console, sessions, school, data_dir
):
    trip = school.pupil_ids[:30]
    for pupil in trip:
        custody.hand_in(sessions, pupil)
    console = make_console()
    log_in(console, "office")
    tab = console.show_tab("Out of school")
    assert isinstance(tab, OutOfSchoolTab)
    for pupil in trip:  # each pupil's card scanned at the console joins the group
        console.handle_scan(school.card_texts[pupil])
        settle()
    assert tab.count.text() == "30 pupils chosen"
    tab.reason.setCurrentIndex(tab.reason.findText("Trip"))
    tab.group_name.setText("Year 9 museum")
    click(qtbot, tab.review)
    assert "30 pupils" in tab.confirm_box.question.text()
    click(qtbot, tab.confirm_box.yes)
    settle()
    assert tab.feedback.text().startswith("Recorded: 30 out, 30 devices")
    assert events(sessions, "group_out") == 1

    config = Config(data_dir, "", "k", camera="", fullscreen=False)
    screen = KioskScreen(sessions, config, clock=MORNING, monotonic=SteadyClock())
    qtbot.addWidget(screen)
    screen.show()
    for pupil in trip[:29]:
        assert kiosk_scan(qtbot, screen, school.card_texts[pupil]) is State.HANDED_IN

    console.show_tab("Dashboard")
    settle()
    dashboard = console.tab("Dashboard")
    assert dashboard is not None and dashboard.day_line.text() == "1 out of school"
    console.show_tab("Out of school")
    settle()
    tab.pages.setCurrentIndex(1)
    assert tab.pages.tabText(1) == "Still out (1)"
    (still,) = tab.out_model._rows
    assert still.pupil.id == trip[29] and still.group_name == "Year 9 museum"
    tab.out_table.selectRow(0)
    click(qtbot, tab.mark_back)
    settle()
    assert tab.pages.tabText(1) == "Still out (0)"


def test_an_emergency_release_of_280_devices_printed_in_one_tap_and_reconciled_next_day(
    qtbot, make_console, sessions, school, monkeypatch, tmp_path
):
    opened: list[Path] = []
    monkeypatch.setattr("kiosk.ui.staff.emergency_tab.open_document", opened.append)
    for pupil in school.pupil_ids[:280]:
        custody.hand_in(sessions, pupil)
    console = make_console()
    log_in(console, "senior")
    tab = console.show_tab("Emergency")
    assert isinstance(tab, EmergencyTab)
    settle()
    assert tab.summary.text() == "280 devices held, of 280 pupils"
    tab.print_list()  # the one tap
    settle()
    path = tab.saved.path
    assert path is not None and opened == [path]
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    first = tab.listing.devices[0] if tab.listing else None
    assert first is not None and first.pupil.surname in text and "280 devices" in text
    tab.reason.setText("Fire alarm: evacuation")
    click(qtbot, tab.release)
    assert "all 280 daily devices" in tab.confirm_box.question.text()
    deadlines: list[float] = []
    monkeypatch.setattr(common, "deadline", lambda s: deadlines.append(s) or deadline(s))
    click(qtbot, tab.confirm_box.yes)
    settle()
    assert WHOLE_SCHOOL_CALL_S in deadlines  # not cut off at a look-up's deadline
    assert tab.feedback.text() == "Recorded: 280 devices released in an emergency."
    assert tab.pages.tabText(1) == "Not confirmed back (280)"
    # at the muster point, three pupils are ticked off
    tab.pages.setCurrentIndex(1)
    for row in range(3):
        tab.not_back_table.selectRow(row)
    click(qtbot, tab.confirm_back)
    settle()
    assert tab.pages.tabText(1) == "Not confirmed back (277)"
    # the day after, the dashboard still shows what was never collected
    tomorrow = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=1)
    assert len(emergency.not_given_back(sessions)) == 277
    from kiosk.services import console as console_service

    assert console_service.dashboard(sessions, now=tomorrow).emergency_not_back == 277
    console.show_tab("Dashboard")
    settle()
    assert console.tab("Dashboard").day_line.text() == "277 not back after an emergency"
    end_of_day = console.show_tab("End of day")
    settle()
    assert "277 released in an emergency and never confirmed back" in end_of_day.day_left.text()


def test_staff_set_a_pupils_usual_devices_and_give_one_back_apart(
    qtbot, make_console, sessions, school
):
    pupil = school.pupil_ids[0]
    console = make_console()
    log_in(console, "office")
    tab = console.show_tab("Pupil's devices")
    assert isinstance(tab, PupilDevicesTab)
    console.handle_scan(school.card_texts[pupil])
    settle()
    assert tab.pupil is not None and tab.pupil.id == pupil
    buttons = {b.text(): b for b in tab.kind_buttons.values()}
    assert buttons["Phone"].isChecked() and not buttons["Watch"].isChecked()
    buttons["Watch"].click()
    tab.descriptions[next(k for k in tab.kind_buttons if k.value == "watch")].setText("blue")
    click(qtbot, tab.save)
    settle()
    assert tab.feedback.text() == "Saved: " + tab.pupil.forename + (
        " hands in phone, watch (blue) each morning."
    )
    result = custody.hand_in_by_card(sessions, school.card_texts[pupil])
    assert result.placements[0].kinds == ("phone", "watch")
    tab.refresh()
    settle()
    assert tab.held.count() == 2 and tab.held.item(1).text() == "Watch (blue), slot 1"
    tab.held.item(0).setCheckState(Qt.CheckState.Checked)
    click(qtbot, tab.give_back)
    settle()
    assert "Say why" in tab.feedback.text()  # no reason: nothing recorded
    tab.reason.setText("going to hospital, watch stays for dad")
    click(qtbot, tab.give_back)
    settle()
    assert tab.feedback.text() == "Recorded. Still held: Watch (blue), slot 1."
    assert [i.kind for i in device_items.held_items(sessions, pupil)] == ["watch"]
    assert events(sessions, "given_back_apart") == 1


@pytest.mark.parametrize(("role", "has_emergency"), [("office", False), ("admin", True)])
def test_the_emergency_tab_is_for_senior_staff_and_admins_only(make_console, role, has_emergency):
    console = make_console()
    log_in(console, role)
    assert ("Emergency" in tab_titles(console)) is has_emergency
    assert {"Out of school", "Pupil's devices"} <= set(tab_titles(console))
