"""The wedge filter with real key events sent by QTest to a real window.

QTest key events carry no timestamp, so the filter times them with the monotonic clock.
The limits are set wide here (fast = no delay at all, slow = 300 ms a key) so a busy
test machine cannot blur the two.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from kiosk.scanning.wedge import ScannerWedgeFilter

SCAN = "HK1.DEMO.3F.4.QI5OOWRN7BQUQ"
SLOW_MS = 300


class Form(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.line = QLineEdit(self)
        self.button = QPushButton("OK", self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.line)
        layout.addWidget(self.button)
        self.returns = 0
        self.line.returnPressed.connect(self._on_return)

    def _on_return(self) -> None:
        self.returns += 1


@pytest.fixture
def wedge(qapp: QApplication) -> Iterator[ScannerWedgeFilter]:
    wedge = ScannerWedgeFilter(max_gap_ms=150, min_length=6, release_after_ms=200)
    qapp.installEventFilter(wedge)
    yield wedge
    qapp.removeEventFilter(wedge)


@pytest.fixture
def form(qtbot: QtBot) -> Form:
    form = Form()
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    form.line.setFocus()
    return form


def test_a_scanner_burst_is_emitted_and_never_reaches_the_line_edit(
    qtbot: QtBot, wedge: ScannerWedgeFilter, form: Form
) -> None:
    with qtbot.waitSignal(wedge.scanned, timeout=2000) as scanned:
        QTest.keyClicks(form.line, SCAN)
        QTest.keyClick(form.line, Qt.Key.Key_Return)
    assert scanned.args == [SCAN]
    assert form.line.text() == ""
    assert form.returns == 0


def test_shift_presses_around_capitals_do_not_break_a_burst(
    qtbot: QtBot, wedge: ScannerWedgeFilter, form: Form
) -> None:
    with qtbot.waitSignal(wedge.scanned, timeout=2000) as scanned:
        for char in SCAN:
            QTest.keyPress(form.line, Qt.Key.Key_Shift, Qt.KeyboardModifier.ShiftModifier)
            QTest.keyClicks(form.line, char, Qt.KeyboardModifier.ShiftModifier)
            QTest.keyRelease(form.line, Qt.Key.Key_Shift)
        QTest.keyClick(form.line, Qt.Key.Key_Return)
    assert scanned.args == [SCAN]
    assert form.line.text() == ""


def test_slow_typing_reaches_the_line_edit_untouched(
    qtbot: QtBot, wedge: ScannerWedgeFilter, form: Form
) -> None:
    scans: list[str] = []
    wedge.scanned.connect(scans.append)
    QTest.keyClicks(form.line, "Smith7", Qt.KeyboardModifier.NoModifier, SLOW_MS)
    qtbot.waitUntil(lambda: form.line.text() == "Smith7", timeout=2000)
    QTest.keyClick(form.line, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, SLOW_MS)
    assert form.returns == 1
    assert scans == []


def test_a_short_fast_burst_is_typing_and_arrives_in_order(
    qtbot: QtBot, wedge: ScannerWedgeFilter, form: Form
) -> None:
    scans: list[str] = []
    wedge.scanned.connect(scans.append)
    QTest.keyClicks(form.line, "abc")
    QTest.keyClick(form.line, Qt.Key.Key_Return)
    assert form.line.text() == "abc"
    assert form.returns == 1
    assert scans == []


def test_keys_held_for_a_possible_burst_are_released_when_nothing_follows(
    qtbot: QtBot, wedge: ScannerWedgeFilter, form: Form
) -> None:
    QTest.keyClicks(form.line, "Jo")
    qtbot.waitUntil(lambda: form.line.text() == "Jo", timeout=2000)


def test_a_non_text_key_releases_held_keys_first(
    qtbot: QtBot, wedge: ScannerWedgeFilter, form: Form
) -> None:
    QTest.keyClicks(form.line, "abcd")
    QTest.keyClick(form.line, Qt.Key.Key_Backspace)
    assert form.line.text() == "abc"


def test_a_scan_with_focus_on_a_button_is_emitted_too(
    qtbot: QtBot, wedge: ScannerWedgeFilter, form: Form
) -> None:
    form.button.setFocus()
    with qtbot.waitSignal(wedge.scanned, timeout=2000) as scanned:
        QTest.keyClicks(form.button, SCAN)
        QTest.keyClick(form.button, Qt.Key.Key_Return)
    assert scanned.args == [SCAN]


def test_a_scan_sent_through_the_window_lands_nowhere(
    qtbot: QtBot, wedge: ScannerWedgeFilter, form: Form
) -> None:
    # Real keyboards deliver to the QWindow first, which forwards to the focus widget.
    window = form.windowHandle()
    assert window is not None
    with qtbot.waitSignal(wedge.scanned, timeout=2000) as scanned:
        for char in SCAN:
            QTest.keyClick(window, char)  # type: ignore[call-overload]  # the char overload
        QTest.keyClick(window, Qt.Key.Key_Return)
    assert scanned.args == [SCAN]
    assert form.line.text() == ""


def test_space_on_a_focused_button_still_clicks_it_once(
    qtbot: QtBot, wedge: ScannerWedgeFilter, form: Form
) -> None:
    # The release must not overtake its held press, or the button sticks down.
    clicks: list[int] = []
    form.button.clicked.connect(lambda: clicks.append(1))
    form.button.setFocus()
    with qtbot.waitSignal(form.button.clicked, timeout=2000):
        QTest.keyClick(form.button, Qt.Key.Key_Space)
    assert len(clicks) == 1
    assert not form.button.isDown()
