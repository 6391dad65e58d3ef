"""Parents: every confiscated device awaiting a parent or carer, with its age (unclaimed
ones in red), collection appointment and emails. For the one chosen: the emails sent about
it and how each went, the letter to make or email again, and the collection appointment."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.config import Config
from kiosk.db import Sessions
from kiosk.services import appointments, parent_mail
from kiosk.services.appointments import AwaitingParent
from kiosk.services.parent_mail import MessageRecord, message_line
from kiosk.services.staff import StaffMember
from kiosk.ui.staff import models
from kiosk.ui.staff.appointment_form import AppointmentForm
from kiosk.ui.staff.awaiting import awaiting_colour, awaiting_search, chasing_columns
from kiosk.ui.staff.common import (
    Feedback,
    PupilHeader,
    attempt,
    school_today,
    side_panel,
    when_text,
)
from kiosk.ui.staff.models import RowsModel, SearchProxy
from kiosk.ui.staff.parent_letters import LetterStatus

NO_EMAILS = "No emails about this device yet."


class ParentsTab(QWidget):
    def __init__(
        self, sessions: Sessions, staff: StaffMember, config: Config, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.sessions, self.staff, self.config = sessions, staff, config
        self.chosen: AwaitingParent | None = None
        self.feedback = Feedback(collapsible=True)
        self.model = RowsModel(
            chasing_columns(school_today), awaiting_search, colour=awaiting_colour
        )
        self.proxy = SearchProxy(self.model)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by name, form or 'unclaimed'")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_search)
        self.table = models.make_table(self.proxy, compact=True)
        self.table.clicked.connect(self._tapped)
        left = QVBoxLayout()
        left.addWidget(QLabel("Confiscated devices awaiting a parent or carer"))
        left.addWidget(self.search)
        left.addWidget(self.table, 1)
        left.addWidget(self.feedback)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addWidget(side_panel(self._build_side(), 520))
        self.show_row(None)

    def _build_side(self) -> QVBoxLayout:
        self.header = PupilHeader(self.sessions)
        self.details = QLabel("")
        self.details.setWordWrap(True)
        self.history = QLabel(NO_EMAILS)
        self.history.setWordWrap(True)
        self.make_letter = QPushButton("Make the letter")
        self.make_letter.clicked.connect(lambda: self._letter(email=False))
        self.email_letter = QPushButton("Email the letter")
        self.email_letter.clicked.connect(lambda: self._letter(email=True))
        self.letter = LetterStatus(self.sessions, self.staff, self.config)
        self.letter.finished.connect(self.refresh)
        self.appointment = AppointmentForm(self.sessions, self.staff, self.config)
        self.appointment.changed.connect(self.refresh)
        letter_buttons = QHBoxLayout()
        letter_buttons.addWidget(self.make_letter)
        letter_buttons.addWidget(self.email_letter)
        side = QVBoxLayout()
        side.addWidget(self.header)
        side.addWidget(self.details)
        side.addWidget(QLabel("<b>Letter to parents</b>"))
        side.addLayout(letter_buttons)
        side.addWidget(self.letter)
        side.addWidget(self.history)
        side.addWidget(self.appointment)
        side.addStretch(1)
        return side

    def refresh(self) -> None:
        attempt(
            self,
            self.feedback,
            "Loading the devices awaiting a parent",
            partial(appointments.awaiting_parent, self.sessions),
            self._show_rows,
        )

    def _show_rows(self, rows: list[AwaitingParent]) -> None:
        self.model.set_rows(rows)
        unclaimed = sum(1 for r in rows if r.unclaimed)
        if not rows:
            self.feedback.note("No confiscated devices are waiting for a parent or carer.")
        elif unclaimed:
            self.feedback.error(f"{unclaimed} unclaimed beyond the school's limit (in red).")
        else:
            self.feedback.clear()
        if self.chosen is not None:  # the same device, read afresh
            again = [r for r in rows if r.device.custody_id == self.chosen.device.custody_id]
            self.show_row(again[0] if again else None)

    def _tapped(self) -> None:
        self.show_row(models.selected_row(self.table, self.proxy))

    def show_row(self, row: AwaitingParent | None) -> None:
        changed = (
            row is None
            or self.chosen is None
            or (row.device.custody_id != self.chosen.device.custody_id)
        )
        self.chosen = row
        for widget in (self.make_letter, self.email_letter):
            widget.setEnabled(row is not None)
        if row is None:
            self.header.show_pupil(None, "Choose a device from the list")
            self.details.setText("")
            self.history.setText("")
            self.appointment.show_device(None, None, None)
            return
        device = row.device
        if changed:
            self.header.show_pupil(device.pupil)
            self.letter.reset()  # the status shown was another device's
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
