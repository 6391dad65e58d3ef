"""Locker faults on the staff dashboard: they appear within seconds of the door monitor
recording them, and staff mark each dealt with, saying what they did. Screenshots into
``artifacts/staff/``."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtWidgets import QPushButton

from kiosk.clock import utcnow
from kiosk.services.lockers import faults
from kiosk.services.lockers.faults import FaultKey, FaultKind
from kiosk.ui.staff.dashboard import DashboardTab
from kiosk.ui.staff.locker_faults import LockerFaultsTab
from ui_staff.conftest import click, log_in
from ui_staff.test_screenshots import shot


def raise_faults(sessions) -> None:
    now = utcnow()
    with sessions.begin() as session:
        faults.raise_in(
            session,
            FaultKey(FaultKind.DOOR_JAMMED, 4),
            "Slot 4's door did not open: it may be jammed.",
            now - dt.timedelta(minutes=3),
        )
        faults.raise_in(
            session,
            FaultKey(FaultKind.BOARD_NOT_ANSWERING, None, "Lockers", 1),
            "Cabinet Lockers board 1 is not answering: doors are manual.",
            now,
        )


@pytest.mark.parametrize("size", [(1024, 600), (1920, 1080)], ids=["1024x600", "1920x1080"])
def test_locker_faults_show_on_the_dashboard_and_are_dealt_with(
    qtbot, make_console, sessions, artifacts, size
):
    console = make_console()
    console.resize(*size)
    log_in(console, "office")
    banner = console.findChild(DashboardTab).locker_faults
    assert not banner.isVisible()  # nothing wrong: the banner takes no room
    raise_faults(sessions)
    qtbot.waitUntil(lambda: len(banner.shown) == 2, timeout=5000)
    assert banner.isVisible()
    assert banner.text().startswith("Locker faults (2): Cabinet Lockers board 1 is not")
    folder = artifacts / "staff"
    folder.mkdir(parents=True, exist_ok=True)
    shot(console, folder, "10_dashboard_locker_faults")
    click(qtbot, banner)
    tab = console.tabs.currentWidget()
    assert isinstance(tab, LockerFaultsTab)
    qtbot.waitUntil(lambda: len(tab.shown) == 2, timeout=5000)
    shot(console, folder, "11_locker_faults_tab")
    buttons = [b for b in tab.findChildren(QPushButton) if b.text() == "Dealt with"]
    click(qtbot, buttons[0])
    assert tab.feedback.text() == "Say what was done about it first."
    tab.note.setText("Freed the latch; the door opens now")
    click(qtbot, buttons[0])
    qtbot.waitUntil(lambda: len(tab.shown) == 1, timeout=5000)
    assert [f.kind for f in faults.open_faults(sessions)] == [FaultKind.BOARD_NOT_ANSWERING]
    qtbot.waitUntil(lambda: len(banner.shown) == 1, timeout=5000)
