"""The kiosk's look in the tests' application, so screenshots show what the kiosk shows,
and screenshots saved."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QApplication

from kiosk.ui.style import STYLE_SHEET


def kiosk_look(app: QApplication) -> QApplication:
    """Give ``app`` the kiosk's style sheet. Setting a sheet re-styles every widget alive,
    even when it is the same sheet again (over half a second a test with the screens of
    earlier tests not yet collected), so it is set only when the application lacks it."""
    if app.styleSheet() != STYLE_SHEET:
        app.setStyleSheet(STYLE_SHEET)
    return app


# Qt's PNG writer maps quality 75 to zlib level 2: the same pixels as its default (level 6)
# for a third to a half less CPU (a 1920x1080 screen took 55 ms at the default), files a
# quarter larger. The tests save some 300 pictures.
QUICK_PNG = 75


def save_png(picture: QImage | QPixmap, path: str | Path) -> bool:
    """Save a screenshot as PNG, quickly compressed; True when it was written."""
    return picture.save(str(path), "PNG", QUICK_PNG)
