"""Start the Qt application."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from kiosk.config import Config
from kiosk.db import Sessions
from kiosk.ui.main_window import MainWindow
from kiosk.ui.style import STYLE_SHEET


def run_app(config: Config, sessions: Sessions) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("Device hand-in kiosk")
    app.setStyleSheet(STYLE_SHEET)
    window = MainWindow(config, sessions)
    if config.fullscreen:
        window.showFullScreen()
    else:
        window.resize(1280, 800)
        window.show()
    return app.exec()
