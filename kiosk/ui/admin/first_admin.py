"""The first screen of a new kiosk (no staff accounts at all): make the first admin, with
a PIN typed twice. This is the one account made without anyone's PIN, and only while
there is no account (``services.staff.add_staff`` refuses it once one exists, even when two
kiosks try at once); from then on the setup goes on in the staff console, behind that
admin's PIN like every admin page."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QLineEdit, QVBoxLayout, QWidget

from kiosk.db import Database
from kiosk.rules import pin_problem
from kiosk.services import staff as staff_service
from kiosk.tables import Role
from kiosk.ui.admin.common import Feedback, button, hint, title, touch
from kiosk.ui.admin.staff_page import pin_field
from kiosk.ui.staff.common import attempt

WELCOME = (
    "This kiosk has no staff accounts yet. Make the first admin now: they run the setup "
    "(school, slots, times, roster, photos, cards) and add everyone else. Until an admin "
    "exists anyone at this screen could do it, so do it before the kiosk goes on the counter."
)


class FirstAdminPage(QWidget):
    """Name, PIN and the PIN again; ``created`` gives the new admin's name."""

    created = Signal(str)

    def __init__(self, sessions: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sessions = sessions
        self.feedback = Feedback()
        self.name = QLineEdit()
        touch(self.name)
        self.name.setMaxLength(100)
        self.name.setPlaceholderText("e.g. Alex Admin")
        self.pin = pin_field("6 or more digits")
        self.pin_again = pin_field("the same PIN again")
        self.make_button = button("Make this admin", "primary", self.make_admin)
        form = QFormLayout()
        form.addRow("Your name", self.name)
        form.addRow("PIN", self.pin)
        form.addRow("PIN again", self.pin_again)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 24, 40, 24)
        layout.addWidget(title("Set up this kiosk"))
        layout.addWidget(hint(WELCOME))
        layout.addLayout(form)
        layout.addWidget(self.make_button, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.feedback)
        layout.addStretch(1)

    def make_admin(self) -> None:
        name, pin, again = self.name.text().strip(), self.pin.text(), self.pin_again.text()
        self.pin.clear()
        self.pin_again.clear()
        problem = self._problem(name, pin, again)
        if problem:
            self.feedback.error(problem)
            return
        self.make_button.setEnabled(False)
        make = partial(staff_service.add_staff, self.sessions, None, name, Role.ADMIN.value, pin)
        attempt(
            self,
            self.feedback,
            "Making the first admin",
            make,
            lambda _staff_id: self.created.emit(" ".join(name.split())),
            lambda: self.make_button.setEnabled(True),
        )

    @staticmethod
    def _problem(name: str, pin: str, again: str) -> str:
        """Said before the PIN is hashed, so a wrong one costs no wait."""
        if not name:
            return "Type your name."
        if pin != again:
            return "The two PINs differ: type the PIN twice again."
        return pin_problem(pin, Role.ADMIN.value) or ""
