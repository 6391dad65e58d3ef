"""On-screen PIN keypad and the staff log-in built on it (used by the console and for the
staff actions on the kiosk). The list of names and the PIN check are read in the
background, so a slow database never freezes the keypad."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kiosk.db import Database
from kiosk.rules import PIN_MAX
from kiosk.services import staff
from kiosk.services.staff import StaffMember
from kiosk.ui.background import Failure, Op
from kiosk.ui.style import TOUCH

KEY_SIZE = 88


class PinPad(QWidget):
    """Digits, delete and OK. The PIN is shown as dots and never leaves this widget except
    through ``submitted``."""

    submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pin = ""
        self.display = QLabel("")
        self.display.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.display.setMinimumHeight(TOUCH)
        self.display.setStyleSheet(
            "font-size: 40px; letter-spacing: 8px; background: white;"
            "border: 2px solid #4b5563; border-radius: 8px;"
        )
        grid = QGridLayout()
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0", "OK"]
        self.buttons: dict[str, QPushButton] = {}
        for index, key in enumerate(keys):
            button = QPushButton(key)
            button.setFixedSize(KEY_SIZE, KEY_SIZE)
            button.setStyleSheet("font-size: 32px;")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            if key == "OK":
                button.setProperty("role", "primary")
            button.clicked.connect(lambda _=False, k=key: self.press(k))
            grid.addWidget(button, index // 3, index % 3)
            self.buttons[key] = button
        layout = QVBoxLayout(self)
        layout.addWidget(self.display)
        layout.addLayout(grid)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def press(self, key: str) -> None:
        if key == "⌫":
            self._pin = self._pin[:-1]
        elif key == "OK":
            if self._pin:
                pin, self._pin = self._pin, ""
                self._refresh()
                self.submitted.emit(pin)
            return
        elif key.isdigit() and len(self._pin) < PIN_MAX:
            self._pin += key
        self._refresh()

    def clear(self) -> None:
        self._pin = ""
        self._refresh()

    def _refresh(self) -> None:
        self.display.setText("●" * len(self._pin))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # a desk keyboard works too
        text = event.text()
        if text.isdigit():
            self.press(text)
        elif event.key() == Qt.Key.Key_Backspace:
            self.press("⌫")
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.press("OK")
        else:
            super().keyPressEvent(event)


class StaffLogin(QWidget):
    """Tap your name, type your PIN. Emits ``logged_in`` with the checked staff member;
    wrong PINs and lock-outs are shown in words (and recorded by the service)."""

    logged_in = Signal(object)  # StaffMember
    cancelled = Signal()

    def __init__(
        self,
        sessions: Database,
        title: str = "Staff log in",
        parent: QWidget | None = None,
        *,
        terminal: str,
        cancellable: bool = True,
    ) -> None:
        """``terminal``: this kiosk's name (wrong PINs make it wait, not other kiosks)."""
        super().__init__(parent)
        self.sessions, self.terminal = sessions, terminal
        self.selected: StaffMember | None = None
        self.loaded = False  # the names are on screen
        self.checking = False  # a PIN is being checked
        self._round = 0  # each reload starts a new round; older answers are ignored
        self.title = QLabel(title)
        self.title.setProperty("role", "title")
        self.prompt = QLabel("Tap your name")
        self.message = QLabel("")
        self.message.setProperty("role", "error")
        self.message.setWordWrap(True)
        self.names = QVBoxLayout()
        names_box = QWidget()
        names_box.setLayout(self.names)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(names_box)
        scroll.setMinimumWidth(360)
        self.pinpad = PinPad()
        self.pinpad.submitted.connect(self._check)
        right = QVBoxLayout()
        right.addWidget(self.prompt)
        right.addWidget(self.pinpad)
        right.addWidget(self.message)
        right.addStretch(1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancelled.emit)
        self.cancel_button.setVisible(cancellable)
        body = QHBoxLayout()
        body.addWidget(scroll, 1)
        body.addLayout(right)
        header = QHBoxLayout()  # Cancel beside the title: the pad fits a 600 px screen
        header.addWidget(self.title, 1)
        header.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(body, 1)
        self.reload()

    def reload(self) -> None:
        """Read the list of names afresh (call again after staff changes)."""
        self._round += 1
        self.loaded = self.checking = False
        self.selected = None
        self.prompt.setText("Tap your name")
        while self.names.count():
            widget = self._name_widget(0)
            self.names.takeAt(0)
            if widget is not None:
                widget.deleteLater()
        this_round = self._round
        Op(self, "Loading the staff list", partial(staff.list_staff, self.sessions)).success(
            partial(self._show_names, this_round)
        ).failure(partial(self._say, this_round)).run()

    def _show_names(self, this_round: int, members: list[StaffMember]) -> None:
        if this_round != self._round:
            return
        for member in members:
            button = QPushButton(member.name)
            button.setCheckable(True)
            button.clicked.connect(lambda _=False, m=member, b=button: self._select(m, b))
            self.names.addWidget(button)
        self.names.addStretch(1)
        self.loaded = True

    def _say(self, this_round: int, failure: Failure) -> None:
        """The database is down, a PIN is wrong, an account locked: words, never a crash."""
        if this_round == self._round:
            self.checking = False
            self.message.setText(failure.words)

    def _name_widget(self, index: int) -> QWidget | None:
        item = self.names.itemAt(index)
        return item.widget() if item is not None else None

    def _select(self, member: StaffMember, button: QPushButton) -> None:
        for index in range(self.names.count()):
            widget = self._name_widget(index)
            if isinstance(widget, QPushButton) and widget is not button:
                widget.setChecked(False)
        button.setChecked(True)
        self.selected = member
        self.prompt.setText(f"{member.name}: type your PIN")
        self.message.setText("")
        self.pinpad.clear()
        self.pinpad.setFocus()

    def _check(self, pin: str) -> None:
        if self.selected is None:
            self.message.setText("Tap your name first.")
            return
        if self.checking:  # OK tapped again before the answer came
            return
        self.checking = True
        self.message.setText("Checking…")
        this_round = self._round
        # In the background: the hash takes a good part of a second on a slow kiosk.
        check = partial(
            staff.check_pin, self.sessions, self.selected.id, pin, terminal=self.terminal
        )
        Op(self, "Checking a PIN", check).success(partial(self._accepted, this_round)).failure(
            partial(self._say, this_round)
        ).run()

    def _accepted(self, this_round: int, member: StaffMember) -> None:
        if this_round != self._round:
            return
        self.checking = False
        self.message.setText("")
        self.logged_in.emit(member)
