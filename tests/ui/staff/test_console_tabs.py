"""The console's tabs at the smallest, a middle and the largest supported screen: one row
of touch-sized buttons (no second or third row eating the page, no scroll arrows), the
tabs that do not fit under "More", and every tab reached by taps alone. Screenshots, with
the More menu open, go to ``artifacts/staff/tabs``."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from kiosk.ui.style import TOUCH
from ui.look import save_png
from ui.staff.conftest import log_in, settle
from ui.taps import tab_titles

SIZES = ((1024, 600), (1280, 800), (1920, 1080))
IDS = [f"{w}x{h}" for w, h in SIZES]


def on_console(console, widget: QWidget) -> QRect:
    return QRect(widget.mapTo(console, QPoint(0, 0)), widget.size())


def on_screen(widget: QWidget) -> QRect:
    return QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size())


def tap(qtbot, widget):
    assert widget.isVisible() and widget.isEnabled(), widget.text()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
    settle()


def reach(qtbot, console, title):
    """Show the tab ``title`` as a finger would: its button, or More and then its button.
    Every button tapped is checked to be whole, inside the window and at least TOUCH px."""
    strip = console.tabs.strip
    window = on_screen(console)
    choice = strip.buttons[title]
    if not choice.isVisible():
        tap(qtbot, strip.more)
        qtbot.waitUntil(strip.menu.isVisible, timeout=2000)
        choice = strip.menu.buttons[title]
        assert window.contains(on_screen(strip.menu)), "the More menu leaves the window"
    assert choice.height() >= TOUCH and choice.width() >= TOUCH, f"{title}: {choice.size()}"
    assert window.contains(on_screen(choice)), f"{title}'s button is outside the window"
    tap(qtbot, choice)
    assert console.tabs.tabText(console.tabs.currentIndex()) == title
    assert not strip.menu.isVisible()


def picture(console, artifacts, name):
    """The console with the More menu drawn where it is open (a pop-up is its own window)."""
    QApplication.processEvents()
    image = console.grab()
    menu = console.tabs.strip.menu
    if menu.isVisible():
        painter = QPainter(image)
        painter.drawPixmap(console.mapFromGlobal(menu.mapToGlobal(QPoint(0, 0))), menu.grab())
        painter.end()
    folder = artifacts / "staff" / "tabs"
    folder.mkdir(parents=True, exist_ok=True)
    assert save_png(image, folder / f"{name}_{console.width()}x{console.height()}.png")


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_every_tab_is_one_tap_or_two_away_in_one_row(qtbot, make_console, artifacts, size):
    console = make_console()
    console.resize(*size)
    log_in(console, "admin")
    QApplication.processEvents()
    strip = console.tabs.strip
    shown = [t for t, b in strip.buttons.items() if b.isVisible()]
    assert strip.height() < 2 * TOUCH, "the tabs take more than one row"
    corner = on_console(console, console.lock_button)
    for title in shown:
        place = on_console(console, strip.buttons[title])
        assert not place.intersects(corner), f"{title} lies under Lock"
        assert console.rect().contains(place), f"{title} is cut off"
    if strip.more.isVisible():
        assert console.rect().contains(on_console(console, strip.more))
        assert len(shown) + len(strip.hidden) == len(strip.buttons)
    picture(console, artifacts, "00_row")
    for title in tab_titles(console):
        reach(qtbot, console, title)
    if strip.hidden:  # the page on show is named on More when it is one of those
        assert strip.more.text() == f"More: {tab_titles(console)[-1]}"
        assert strip.more.isChecked()
        tap(qtbot, strip.more)
        qtbot.waitUntil(strip.menu.isVisible, timeout=2000)
        picture(console, artifacts, "01_more_open")
        strip.menu.hide()
    assert (console.width(), console.height()) == size


def test_tabs_added_later_go_under_more(qtbot, make_console, artifacts):
    """Other screens add tabs (searches, appointments...): the row stays one row and every
    new tab is reachable at the smallest screen."""
    console = make_console()
    console.resize(1024, 600)
    extra = ["Searches", "Appointments", "Letters home", "Lost property", "Visitors"]
    for title in extra:
        console.add_tab(title, lambda _staff, t=title: QLabel(t), {"office", "senior", "admin"})
    log_in(console, "admin")
    assert console.tabs.strip.height() < 2 * TOUCH
    for title in [*extra, "Admin", "Dashboard"]:
        reach(qtbot, console, title)
    tap(qtbot, console.tabs.strip.more)
    picture(console, artifacts, "02_more_with_extra_tabs")
    assert console.tabs.strip.menu.isVisible()
