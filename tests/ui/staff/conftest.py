"""The staff console driven through its real widgets, against a real SQLite file (a copy
of the small demo school), offscreen."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from school_copies import engine_on_a_copy, school_on_a_copy  # noqa: F401

from kiosk.config import load_config
from kiosk.demo import DEMO_STAFF
from kiosk.ui.background import shared_lane
from kiosk.ui.staff.console import StaffConsole
from kiosk.ui.style import STYLE_SHEET
from ui.taps import tap_name

PINS = {member.role: (member.name, member.pin) for member in DEMO_STAFF}


@pytest.fixture
def config(data_dir):
    return load_config(data_dir)


@pytest.fixture(scope="session")
def styled(qapp):
    """The application's own style sheet, so screenshots look like the kiosk. Set once:
    changing an application's style sheet re-styles every widget alive."""
    qapp.setStyleSheet(STYLE_SHEET)
    return qapp


@pytest.fixture
def make_console(qtbot, sessions, config, styled):
    def make(**kwargs):
        console = StaffConsole(sessions, config, **kwargs)
        qtbot.addWidget(console)
        console.resize(1280, 800)
        console.show()
        qtbot.waitExposed(console)
        return console

    return make


@pytest.fixture
def console(make_console):
    return make_console()


def wait_until(condition, timeout_ms=5000):
    """What ``qtbot.waitUntil`` does, for helpers that have no ``qtbot``: run the event
    loop until ``condition()`` holds (the log-in reads names and checks PINs in the
    background)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the background answer"
        QTest.qWait(10)


def settle():
    """Wait until the background work the screens started (lists, the dashboard, the
    log-in) has answered and been shown."""
    wait_until(lambda: shared_lane().pending == 0)


def type_pin(console, pin):
    for digit in pin:
        console.login.pinpad.press(digit)
    console.login.pinpad.press("OK")
    wait_until(lambda: not console.login.checking)


def log_in(console, role):
    name, pin = PINS[role]
    wait_until(lambda: console.login.loaded)
    tap_name(console.login, name)
    type_pin(console, pin)
    settle()  # the first tab (the dashboard) reads the day in the background
    assert console.staff is not None and console.staff.role == role
    return console.staff


def click(qtbot, widget):
    # Widgets added to a shown layout appear on the next pass of the event loop.
    qtbot.waitUntil(widget.isVisible, timeout=2000)
    assert widget.isEnabled(), f"{widget.text()!r} is disabled"
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
    settle()  # the service call behind the button answers in the background


def screenshot(widget, artifacts, name):
    QApplication.processEvents()
    path = artifacts / f"staff_{name}.png"
    assert widget.grab().save(str(path))
    return path
