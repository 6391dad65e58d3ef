"""The main window: stacks the pupil screen and the staff console."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from kiosk.config import Config
from kiosk.db import Sessions
from kiosk.services import settings


class MainWindow(QMainWindow):
    def __init__(self, config: Config, sessions: Sessions) -> None:
        super().__init__()
        self.config, self.sessions = config, sessions
        self.setWindowTitle("Device hand-in kiosk")
        self.stack = QStackedWidget()
        school = settings.load(sessions)
        idle = QWidget()
        layout = QVBoxLayout(idle)
        for text, size in ((school.school_name, 48), ("Show your card", 72)):
            label = QLabel(text)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setStyleSheet(f"font-size: {size}px; font-weight: 800;")
            layout.addWidget(label)
        self.stack.addWidget(idle)
        self.setCentralWidget(self.stack)
