"""Two forms of the Devices tab that stand on their own: the police handover (officer,
reference and time, with the time checked for sense) and taking a slot out of service or
putting it back."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QTime, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QWidget,
)

from kiosk.clock import SCHOOL_ZONE, to_local, utcnow
from kiosk.errors import InvalidInput
from kiosk.rules import Action, may

ADMIN_ONLY = "Only an admin can put a slot back in service."
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


def local_to_utc(day: dt.date, time: dt.time) -> dt.datetime:
    """A school-local date and time as the naive UTC the database stores."""
    local = dt.datetime.combine(day, time, tzinfo=SCHOOL_ZONE)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def form_page(rows: list[tuple[str, QWidget]], button: QPushButton) -> QWidget:
    """A labelled form with its one action button underneath."""
    page = QWidget()
    form = QFormLayout(page)
    for label, widget in rows:
        form.addRow(label, widget)
    form.addRow(button)
    return page


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


class SlotServiceForm(QWidget):
    """``requested(in_service)`` when staff tap "Take out of service" or "Put back"."""

    requested = Signal(bool)

    def __init__(self, role: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slot_number = QSpinBox()
        self.slot_number.setRange(1, 9999)
        self.slot_reason = QLineEdit()
        self.slot_reason.setPlaceholderText("e.g. lock broken")
        self.out_button = QPushButton("Take out of service")
        self.out_button.setProperty("role", "danger")
        self.out_button.clicked.connect(lambda: self.requested.emit(False))
        self.in_button = QPushButton("Put back in service")
        self.in_button.clicked.connect(lambda: self.requested.emit(True))
        self.slots_note = QLabel("")
        self.slots_note.setWordWrap(True)
        if not may(role, Action.MANAGE_SLOTS):
            self.in_button.setEnabled(False)
            self.slots_note.setText(ADMIN_ONLY)
        buttons = QHBoxLayout()
        buttons.addWidget(self.out_button)
        buttons.addWidget(self.in_button)
        form = QFormLayout(self)
        form.addRow("Slot number", self.slot_number)
        form.addRow("Reason", self.slot_reason)
        form.addRow(buttons)
        form.addRow(self.slots_note)
