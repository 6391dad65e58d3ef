"""What a person looks for on a screen, found in the real widgets: a name button by its
words, the console's tab titles. The product never looks them up this way, so these live
with the tests rather than in the widgets."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton

from kiosk.ui.staff.console import StaffConsole
from kiosk.ui.widgets.pinpad import StaffLogin


def tap_name(login: StaffLogin, name: str) -> None:
    """Tap the staff name button that reads ``name`` on a log-in screen."""
    for index in range(login.names.count()):
        item = login.names.itemAt(index)
        button = item.widget() if item is not None else None
        if isinstance(button, QPushButton) and button.text() == name:
            button.click()
            return
    raise LookupError(name)


def tab_titles(console: StaffConsole) -> list[str]:
    return [console.tabs.tabText(i) for i in range(console.tabs.count())]
