"""The collection appointment for one confiscated device: day, time, and who will come (one
of the pupil's contacts who may collect, or someone else by name); save, cancel, and email
the person coming a reminder."""

from __future__ import annotations

import datetime as dt
from functools import partial

from PySide6.QtCore import QDate, QTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTimeEdit,
)

from kiosk.config import Config
from kiosk.db import Database
from kiosk.keystore import KeyStore
from kiosk.qtfix import emit
from kiosk.services import appointments, contacts, parent_mail
from kiosk.services.appointments import Appointment
from kiosk.services.contacts import ContactRow
from kiosk.services.parent_mail import MailReport
from kiosk.services.staff import StaffMember
from kiosk.ui.background import Op
from kiosk.ui.staff.common import Feedback, attempt, school_today

SOMEONE_ELSE = "Someone else (type the name)"
DEFAULT_TIME = QTime(15, 30)


def may_collect(sessions: Database, pupil_id: int) -> list[ContactRow]:
    return [c for c in contacts.for_pupil(sessions, pupil_id) if c.may_receive_device]


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


class AppointmentForm(QGroupBox):
    changed = Signal()  # an appointment was saved or cancelled: the lists read it again

    def __init__(self, sessions: Database, staff: StaffMember, config: Config) -> None:
        super().__init__("Collection appointment")
        self.sessions, self.staff, self.config = sessions, staff, config
        self.custody_id: int | None = None
        self.day = QDateEdit()
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("ddd d MMM yyyy")
        self.time = QTimeEdit()
        self.time.setDisplayFormat("HH:mm")
        self.who = QComboBox()
        self.who.currentIndexChanged.connect(self._who_chosen)
        self.name = QLineEdit()
        self.name.setPlaceholderText("Name of the person coming")
        self.name.setMaxLength(appointments.NAME_LIMIT)
        self.save_button = QPushButton("Save appointment")
        self.save_button.setProperty("role", "primary")
        self.save_button.clicked.connect(self.save)
        self.cancel_button = QPushButton("Cancel it")
        self.cancel_button.clicked.connect(self.cancel)
        self.remind_button = QPushButton("Email a reminder")
        self.remind_button.clicked.connect(self.remind)
        self.feedback = Feedback(collapsible=True)
        more = QHBoxLayout()  # two rows of buttons: a 1024 px screen has no room for three
        more.addWidget(self.cancel_button)
        more.addWidget(self.remind_button)
        form = QFormLayout(self)
        form.addRow("Day", self.day)
        form.addRow("Time", self.time)
        form.addRow("Who", self.who)
        form.addRow("", self.name)
        form.addRow(self.save_button)
        form.addRow(more)
        form.addRow(self.feedback)
        self.show_device(None, None, None)

    def show_device(
        self, custody_id: int | None, pupil_id: int | None, booked: Appointment | None
    ) -> None:
        """The appointment of this device (or a blank one for tomorrow), with the pupil's
        contacts who may collect read in the background."""
        if custody_id != self.custody_id:
            self.feedback.clear()  # the words were about another device
        self.custody_id = custody_id
        self.setEnabled(custody_id is not None)
        day = booked.on_date if booked else school_today() + dt.timedelta(days=1)
        self.day.setMinimumDate(_qdate(school_today()))
        self.day.setDate(_qdate(day))
        at = booked.at_time if booked else None
        self.time.setTime(QTime(at.hour, at.minute) if at else DEFAULT_TIME)
        self._set_contacts([], booked)
        self.cancel_button.setVisible(booked is not None)
        self.remind_button.setVisible(booked is not None)
        if pupil_id is not None:
            attempt(
                self,
                self.feedback,
                "Reading the pupil's contacts",
                partial(may_collect, self.sessions, pupil_id),
                lambda found: self._set_contacts(found, booked),
            )

    def _set_contacts(self, found: list[ContactRow], booked: Appointment | None) -> None:
        self.who.blockSignals(True)
        self.who.clear()
        for contact in found:
            email = "" if contact.email else ", no email"
            self.who.addItem(f"{contact.describe()}{email}", contact.contact_id)
        self.who.addItem(SOMEONE_ELSE, None)
        someone_else = self.who.count() - 1
        if booked is None:
            index = 0 if found else someone_else
        elif booked.contact_id is None:
            index = someone_else
        else:  # a contact no longer allowed to collect is not offered: someone else
            index = self.who.findData(booked.contact_id)
        self.who.setCurrentIndex(index if index >= 0 else someone_else)
        self.who.blockSignals(False)
        self.name.setText(booked.who if booked and booked.contact_id is None else "")
        self._who_chosen()

    def _who_chosen(self) -> None:
        self.name.setVisible(self.who.currentData() is None)

    def save(self) -> None:
        if self.custody_id is None:
            return
        date, time = self.day.date(), self.time.time()
        job = partial(
            appointments.make_appointment,
            self.sessions,
            self.staff.actor,
            self.custody_id,
            dt.date(date.year(), date.month(), date.day()),
            dt.time(time.hour(), time.minute()),
            self.name.text(),
            self.who.currentData(),
        )
        attempt(self, self.feedback, "Saving an appointment", job, self._saved)

    def _saved(self, made: Appointment) -> None:
        self.feedback.ok(f"Appointment saved: {made.words}.")
        self.cancel_button.setVisible(True)
        self.remind_button.setVisible(True)
        emit(self.changed)

    def cancel(self) -> None:
        if self.custody_id is None:
            return
        job = partial(
            appointments.cancel_appointment, self.sessions, self.staff.actor, self.custody_id
        )
        attempt(self, self.feedback, "Cancelling an appointment", job, lambda _: self._cancelled())

    def _cancelled(self) -> None:
        self.feedback.ok("Appointment cancelled.")
        self.cancel_button.setVisible(False)
        self.remind_button.setVisible(False)
        emit(self.changed)

    def remind(self) -> None:
        if self.custody_id is None:
            return
        store = KeyStore.for_config(self.config)
        job = partial(
            parent_mail.send_reminder, self.sessions, self.staff.actor, self.custody_id, store
        )
        self.feedback.note("Emailing the reminder…")
        # Not attempt(): its deadline is for database calls, and the mail server may take
        # up to mail.TIMEOUT_S to answer.
        Op(self, "Emailing a reminder", job).success(self._reminded).failure(
            lambda failure: self.feedback.error(failure.words)
        ).run()

    def _reminded(self, report: MailReport) -> None:
        if report.failed or report.not_sent_because:
            self.feedback.error(report.words())
        else:
            self.feedback.ok(report.words())
        emit(self.changed)
