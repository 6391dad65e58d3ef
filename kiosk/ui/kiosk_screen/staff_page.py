"""The staff menu behind the kiosk's Staff button, and the PIN keypad every staff action
on the kiosk asks for."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.db import Database
from kiosk.ui.kiosk_screen.pages import LEFT, kiosk_button
from kiosk.ui.style import INK, PAPER, TOUCH
from kiosk.ui.widgets.fit_text import FitText
from kiosk.ui.widgets.page import ColouredPage
from kiosk.ui.widgets.pinpad import StaffLogin

MENU_ACTIONS: tuple[tuple[str, str], ...] = (
    ("console", "Open the staff console"),
    ("collection", "Home time: give phones back"),
    ("handin", "Morning: hand-in"),
    ("auto", "Automatic, by the clock"),
    ("full_screen", "Full screen"),
    ("close", "Close the kiosk program"),
    ("emergency", "Emergency: print the list of every device held"),  # the whole last row
)
PIN_PURPOSES = {
    "collection": "Start home time",
    "handin": "Start morning hand-in",
    "auto": "Switch to automatic",
    "leave_full_screen": "Leave full screen (an admin)",
    "enter_full_screen": "Back to full screen",
    "close": "Close the kiosk program (an admin)",
    "give_back": "Give a phone back",
    "emergency": "Emergency list (senior staff or an admin)",
}


class StaffPage(ColouredPage):
    """The staff menu behind the Staff button, and the PIN keypad every staff action on
    the kiosk needs. Emits ``action_chosen(key)``, then ``logged_in(StaffMember)`` or
    ``cancelled()``."""

    action_chosen = Signal(str)
    logged_in = Signal(object)
    cancelled = Signal()

    def __init__(self, sessions: Database, terminal: str, parent: QWidget | None = None) -> None:
        super().__init__(PAPER, parent)
        self.heading = FitText("Staff", max_px=34, colour=INK, align=LEFT)
        self.info = FitText(max_px=22, bold=False, colour=INK, align=LEFT)
        self.back = kiosk_button("Back to the pupil screen")
        self.back.clicked.connect(self.cancelled.emit)
        self.views = QStackedWidget()
        self.menu = QWidget()
        self.menu_buttons: dict[str, QPushButton] = {}
        self._build_menu()
        self.login = StaffLogin(sessions, cancellable=False, terminal=terminal)
        self.login.title.hide()
        login_layout = self.login.layout()
        if login_layout is not None:
            login_layout.setContentsMargins(0, 0, 0, 0)
        self.login.logged_in.connect(self.logged_in.emit)
        self.views.addWidget(self.menu)
        self.views.addWidget(self.login)
        header = QHBoxLayout()
        header.addWidget(self.heading, 1)
        header.addWidget(self.back)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.views, 1)

    def _build_menu(self) -> None:
        grid = QGridLayout()
        for index, (key, label) in enumerate(MENU_ACTIONS):
            button = kiosk_button(label)
            button.clicked.connect(lambda _=False, k=key: self._choose(k))
            last_alone = index == len(MENU_ACTIONS) - 1 and index % 2 == 0
            grid.addWidget(button, index // 2, index % 2, 1, 2 if last_alone else 1)
            self.menu_buttons[key] = button
        self.menu_buttons["emergency"].setProperty("role", "danger")
        layout = QVBoxLayout(self.menu)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.info)
        layout.addLayout(grid, 1)

    def show_menu(self, *, mode_setting: str, full_screen: bool, info: str) -> None:
        self.heading.setText("Staff")
        self.info.setText(info)
        labels = dict(MENU_ACTIONS)
        for key in ("collection", "handin", "auto"):
            now = " (now)" if key == mode_setting else ""
            self.menu_buttons[key].setText(labels[key] + now)
        self.menu_buttons["full_screen"].setText(
            "Leave full screen" if full_screen else "Back to full screen"
        )
        self.views.setCurrentWidget(self.menu)

    def show_login(self, purpose: str) -> None:
        self.heading.setText(f"{purpose}: staff PIN")
        self.login.reload()
        self.login.message.setText("")
        self.login.pinpad.clear()
        self.views.setCurrentWidget(self.login)

    def _choose(self, key: str) -> None:
        if key == "full_screen":
            leaving = self.menu_buttons[key].text().startswith("Leave")
            key = "leave_full_screen" if leaving else "enter_full_screen"
        self.action_chosen.emit(key)

    def apply_scale(self, scale: float) -> None:
        margin = round(20 * scale)
        self.set_margins(margin, margin // 2)
        self.heading.setFixedHeight(max(TOUCH, round(64 * scale)))
        self.heading.set_max_px(round(34 * scale))
        self.info.setFixedHeight(round(36 * scale))
        self.info.set_max_px(round(22 * scale))
        self.back.setStyleSheet(f"QPushButton {{ font-size: {round(20 * scale)}px; }}")
        # The shared keypad's 88 px keys do not fit a 600 px high screen: size them here.
        # (Style first: a style sheet's min-height would undo the fixed size.)
        key = max(TOUCH + 8, min(120, round(76 * scale)))
        for button in self.login.pinpad.buttons.values():
            button.setStyleSheet(
                f"font-size: {round(key * 0.4)}px; padding: 0px;"
                f" min-width: {key - 4}px; min-height: {key - 4}px;"
            )
            button.setFixedSize(key, key)
        text_px = round(20 * min(scale, 1.5))
        self.login.setStyleSheet(
            f"QPushButton {{ font-size: {round(22 * scale)}px;"
            f" min-height: {max(TOUCH, round(64 * scale)) - 16}px; }}"
            f" QLabel {{ font-size: {text_px}px; }}"
        )
        rows = -(-len(self.menu_buttons) // 2)
        height = max(TOUCH, round(96 * scale * min(1.0, 3 / rows)))  # three rows' height
        for button in self.menu_buttons.values():
            button.setStyleSheet(
                f"QPushButton {{ min-height: {height}px; font-size: {round(24 * scale)}px; }}"
            )
