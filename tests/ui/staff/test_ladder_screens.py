"""Screenshots of the escalation ladder's two screens at the smallest, a middle and the
largest supported screen, into ``artifacts/staff/``: the confiscate form with a pupil's
3rd confiscation this term and a condition other than the rule (its reason asked), and
the admin's confiscation rules editor. Nothing may be cut off (see test_screenshots)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from kiosk.services import confiscation
from kiosk.ui.admin.panel import AdminPanel
from kiosk.ui.staff.confiscate import ConfiscateTab
from ui.staff.conftest import log_in, settle
from ui.staff.test_screenshots import SIZES, shot


def scroll_to(widget: QWidget) -> None:
    """Scroll every scroll area around ``widget`` (the tab's, the form's) to show it, once
    the layouts are done (a tab built as it is shown is laid out by the event loop)."""
    QApplication.processEvents()
    area = widget.parentWidget()
    while area is not None:
        if isinstance(area, QScrollArea):
            area.ensureWidgetVisible(widget)
            QApplication.processEvents()
        area = area.parentWidget()


def on_screen(widget: QWidget, window: QWidget) -> bool:
    """Is all of ``widget`` inside every scroll area's view and the window?"""
    top, parent = widget.mapTo(window, QPoint(0, 0)), widget.parentWidget()
    inside = top.y() >= 0 and top.y() + widget.height() <= window.height()
    while parent is not None and inside:
        if isinstance(parent, QScrollArea):
            corner = widget.mapTo(parent.viewport(), QPoint(0, 0))
            inside = corner.y() >= 0 and corner.y() + widget.height() <= parent.viewport().height()
        parent = parent.parentWidget()
    return inside


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_ladder_screens_at_each_screen_size(make_console, artifacts, sessions, school, size):
    folder = artifacts / "staff"
    folder.mkdir(parents=True, exist_ok=True)
    pupil_id = school.pupil_ids[9]
    for _ in range(2):
        confiscation.confiscate(sessions, school.actors["office"], pupil_id, "used in lesson")
    console = make_console()
    console.resize(*size)
    log_in(console, "admin")
    tab = console.show_tab("Confiscate")
    assert isinstance(tab, ConfiscateTab)
    console.handle_scan(school.card_texts[pupil_id])
    settle()
    tab.reason.setCurrentIndex(0)
    tab.ladder.condition.setCurrentIndex(tab.ladder.condition.findData("end_of_week"))
    tab.ladder.reason.setText("Agreed with the head of year")
    settle()
    assert tab.ladder.count.text().startswith("3rd confiscation this term")
    assert tab.ladder.reason.isVisible() and tab.ladder.condition.isVisible()
    shot(console, folder, "20_confiscate_ladder", size)
    scroll_to(tab.ladder)  # a small screen scrolls the form
    assert on_screen(tab.ladder, console)
    shot(console, folder, "20_confiscate_ladder_scrolled", size)

    panel = console.show_tab("Admin")
    assert isinstance(panel, AdminPanel)
    panel.show_section(panel.stack.indexOf(panel.ladder))
    settle()
    assert len(panel.ladder.steps) == 3
    scroll_to(panel.ladder.save_button)
    assert on_screen(panel.ladder.save_button, console)
    shot(console, folder, "21_admin_confiscation_rules", size)
