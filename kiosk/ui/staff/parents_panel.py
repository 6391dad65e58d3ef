"""Beside the Confiscations list (Lists tab): for the confiscated device chosen, the
letter to parents to make or email (again), the emails sent about it and how each went,
and the collection appointment."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kiosk.config import Config
from kiosk.db import Database
from kiosk.qtfix import emit
from kiosk.services import parent_mail
from kiosk.services.appointments import AwaitingParent
from kiosk.services.parent_mail import MessageRecord, message_line
from kiosk.services.staff import StaffMember
from kiosk.ui.staff.appointment_form import AppointmentForm
from kiosk.ui.staff.common import Feedback, PupilHeader, attempt, when_text
from kiosk.ui.staff.parent_letters import LetterStatus

NO_EMAILS = "No emails about this device yet."


class ParentsPanel(QWidget):
    changed = Signal()  # a letter emailed or an appointment made: read the list again

    def __init__(self, sessions: Database, staff: StaffMember, config: Config) -> None:
        super().__init__()
        self.sessions, self.staff, self.config = sessions, staff, config
        self.chosen: AwaitingParent | None = None
        self.feedback = Feedback(collapsible=True)
        self.header = PupilHeader(sessions)
        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.history = QLabel(NO_EMAILS)
        self.history.setWordWrap(True)
        self.make_letter = QPushButton("Make the letter")
        self.make_letter.clicked.connect(lambda: self._letter(email=False))
        self.email_letter = QPushButton("Email the letter")
        self.email_letter.clicked.connect(lambda: self._letter(email=True))
        self.letter = LetterStatus(sessions, staff, config)
        self.letter.finished.connect(lambda: emit(self.changed))
        self.appointment = AppointmentForm(sessions, staff, config)
        self.appointment.changed.connect(lambda: emit(self.changed))
        letter_buttons = QHBoxLayout()
        letter_buttons.addWidget(self.make_letter)
        letter_buttons.addWidget(self.email_letter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.details)
        layout.addWidget(QLabel("<b>Letter to parents</b>"))
        layout.addLayout(letter_buttons)
        layout.addWidget(self.letter)
        layout.addWidget(self.history)
        layout.addWidget(self.appointment)
        layout.addWidget(self.feedback)
        layout.addStretch(1)
        self.show_row(None)

    def show_row(self, row: AwaitingParent | None) -> None:
        """The device chosen (or read afresh), or None: nothing chosen."""
        before = self.chosen.device.custody_id if self.chosen else None
        self.chosen = row
        for button in (self.make_letter, self.email_letter):
            button.setEnabled(row is not None)
        if row is None:
            self.header.show_pupil(None, "Tap a device in the list")
            self.details.setText("")
            self.history.setText("")
            self.letter.reset()
            self.appointment.show_device(None, None, None)
            return
        device = row.device
        if device.custody_id != before:
            self.header.show_pupil(device.pupil)
            self.letter.reset()  # the words shown were about another device
        words = f"Confiscated {when_text(device.received_at)} ({row.days} days)"
        words += f": {device.reason_category}." if device.reason_category else "."
        if row.unclaimed:
            words += " UNCLAIMED beyond the school's limit."
        if device.dsl_referred:
            words += " Referred to the DSL: only senior staff email the letter."
        self.details.setText(words)
        self.appointment.show_device(device.custody_id, device.pupil.id, row.appointment)
        attempt(
            self,
            self.feedback,
            "Reading the emails sent",
            partial(parent_mail.messages, self.sessions, device.custody_id),
            partial(self._show_history, device.custody_id),
        )

    def _show_history(self, custody_id: int, found: list[MessageRecord]) -> None:
        if self.chosen is None or self.chosen.device.custody_id != custody_id:
            return
        lines = [message_line(m) for m in found]
        self.history.setText("Emails:\n" + "\n".join(lines) if lines else NO_EMAILS)

    def _letter(self, *, email: bool) -> None:
        if self.chosen is not None:
            self.letter.start(self.chosen.device.custody_id, email=email)
