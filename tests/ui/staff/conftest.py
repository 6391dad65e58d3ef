"""The staff console driven through its real widgets, against a real SQLite file (a copy
of the small demo school), offscreen."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import (
    QAbstractEventDispatcher,
    QCoreApplication,
    QEvent,
    QEventLoop,
    Qt,
    QTimer,
)
from PySide6.QtWidgets import QApplication
from school_copies import engine_on_a_copy, school_on_a_copy  # noqa: F401

from kiosk.config import load_config
from kiosk.demo import DEMO_STAFF
from kiosk.ui.background import shared_lane
from kiosk.ui.staff.console import StaffConsole
from ui.look import kiosk_look, save_png
from ui.taps import tap_name

PINS = {member.role: (member.name, member.pin) for member in DEMO_STAFF}


@pytest.fixture
def config(data_dir):
    return load_config(data_dir)


@pytest.fixture(scope="session")
def styled(qapp):
    """The application's own style sheet, so screenshots look like the kiosk. Set once:
    changing an application's style sheet re-styles every widget alive."""
    return kiosk_look(qapp)


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
    background). The condition is checked each time the loop has run out of events to
    handle, so the test goes on as soon as the answer is shown (sleeping 10 ms between
    checks cost a tenth of a second a log-in); a 10 ms timer checks it too, for a change
    that posts no event. Checked again once the loop has stopped: the events handled on
    its last pass may have started more work."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not condition():
        left_ms = int((deadline - time.monotonic()) * 1000)
        assert left_ms > 0, "timed out waiting for the background answer"
        _run_the_loop_until(condition, left_ms)


def _run_the_loop_until(condition, timeout_ms):
    loop = QEventLoop()

    def check():
        # As QTest.qWait does between passes: what the screens handed to deleteLater
        # goes now (a nested loop would keep what was deleted outside it).
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        if condition():
            loop.quit()

    dispatcher = QAbstractEventDispatcher.instance()
    dispatcher.aboutToBlock.connect(check)
    ticks = QTimer(interval=10, timeout=check)
    deadline = QTimer(singleShot=True, timeout=loop.quit)
    ticks.start()
    deadline.start(timeout_ms)
    try:
        loop.exec()
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    finally:
        dispatcher.aboutToBlock.disconnect(check)
        ticks.stop()
        deadline.stop()


def settle():
    """Wait until the background work the screens started (lists, the dashboard, the
    log-in) has answered and been shown. It returns as soon as it has; the long timeout
    is for a loaded machine (a whole-school action under the full suite took over 5 s)."""
    wait_until(lambda: shared_lane().pending == 0, timeout_ms=20_000)


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
    assert save_png(widget.grab(), path)
    return path
