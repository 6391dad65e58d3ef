"""The police handover form of the Devices tab (senior staff): who took a confiscated
device, under which reference, and when (school time, checked for sense)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QDate, QTime
from PySide6.QtWidgets import (
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTimeEdit,
    QWidget,
)

from kiosk.clock import SCHOOL_ZONE, to_local, utcnow
from kiosk.db import Database
from kiosk.errors import InvalidInput
from kiosk.rules import Action, may
from kiosk.services import confiscation
from kiosk.services.audit import Actor
from kiosk.services.console import HeldDevice

POLICE_SENIOR_ONLY = "Only senior staff (the DSL) can hand a device to the police."
NOT_CONFISCATED = "Only a confiscated device can be handed to the police."
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


def local_to_utc(day: dt.date, time: dt.time) -> dt.datetime:
    """A school-local date and time as the naive UTC the database stores."""
    local = dt.datetime.combine(day, time, tzinfo=SCHOOL_ZONE)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


class PoliceForm(QWidget):
    """Who took the device, under which reference, and when (school time)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.officer = QLineEdit()
        self.officer_number = QLineEdit()
        self.officer_number.setPlaceholderText("Collar or warrant number")
        self.reference = QLineEdit()
        self.reference.setPlaceholderText("Police crime or incident reference")
        self.police_date = QDateEdit()
        self.police_date.setCalendarPopup(True)
        self.police_date.setDisplayFormat("ddd d MMM yyyy")
        self.police_time = QTimeEdit()
        self.police_time.setDisplayFormat("HH:mm")
        self.police_button = QPushButton("Record handover to the police")
        self.police_button.setProperty("role", "danger")
        self.police_note = QLabel("")
        self.police_note.setProperty("role", "error")
        self.police_note.setWordWrap(True)
        when = QWidget()
        when_row = QHBoxLayout(when)
        when_row.setContentsMargins(0, 0, 0, 0)
        when_row.addWidget(self.police_date, 1)
        when_row.addWidget(self.police_time)
        form = QFormLayout(self)
        form.addRow("Officer's name", self.officer)
        form.addRow("Officer's number", self.officer_number)
        form.addRow("Reference", self.reference)
        form.addRow("Handed over", when)
        form.addRow(self.police_button)
        form.addRow(self.police_note)

    def set_now(self) -> None:
        now = to_local(utcnow())
        self.police_date.setDate(QDate(now.year, now.month, now.day))
        self.police_time.setTime(QTime(now.hour, now.minute))

    def clear(self) -> None:
        for field in (self.officer, self.officer_number, self.reference):
            field.clear()

    def offer_for(self, device: HeldDevice | None, role: str) -> None:
        """The button works for a confiscated device in the hands of senior staff; the
        note says why it does not."""
        confiscated = device is not None and device.is_confiscation
        allowed = may(role, Action.HAND_TO_POLICE)
        self.police_button.setEnabled(confiscated and allowed)
        if not allowed:
            self.police_note.setText(POLICE_SENIOR_ONLY)
        elif device is not None and not confiscated:
            self.police_note.setText(NOT_CONFISCATED)
        else:
            self.police_note.setText("")

    def handover(self, sessions: Database, actor: Actor, device: HeldDevice) -> Callable[[], None]:
        """The service call recording the handover typed in: read and checked here, on the
        GUI thread, before anything is sent (``InvalidInput`` says what is wrong)."""
        handed_at = self.handover_time(device.received_at)
        return partial(
            confiscation.hand_to_police,
            sessions,
            actor,
            device.custody_id,
            self.officer.text(),
            self.officer_number.text(),
            self.reference.text(),
            handed_at,
        )

    def handover_time(self, received_at: dt.datetime) -> dt.datetime:
        """The handover time typed in (school time), checked for sense. The current minute
        means now, so a handover recorded straight away is never "before" its seizure."""
        if not all(f.text().strip() for f in (self.officer, self.officer_number, self.reference)):
            raise InvalidInput("Enter the officer's name, number and the police reference.")
        qdate, qtime = self.police_date.date(), self.police_time.time()
        when = local_to_utc(
            dt.date(qdate.year(), qdate.month(), qdate.day()),
            dt.time(qtime.hour(), qtime.minute()),
        )
        now = utcnow()
        if when == now.replace(second=0, microsecond=0):
            return now
        if when > now + FUTURE_TOLERANCE:
            raise InvalidInput("The handover time is in the future.")
        if when < received_at.replace(second=0, microsecond=0):
            raise InvalidInput("The handover time is before the device was confiscated.")
        return max(when, received_at)
