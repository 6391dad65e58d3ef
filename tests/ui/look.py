"""The kiosk's look in the tests' application, so screenshots show what the kiosk shows."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from kiosk.ui.style import STYLE_SHEET


def kiosk_look(app: QApplication) -> QApplication:
    """Give ``app`` the kiosk's style sheet. Setting a sheet re-styles every widget alive,
    even when it is the same sheet again (over half a second a test with the screens of
    earlier tests not yet collected), so it is set only when the application lacks it."""
    if app.styleSheet() != STYLE_SHEET:
        app.setStyleSheet(STYLE_SHEET)
    return app
