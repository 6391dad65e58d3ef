"""Pieces of the Devices tab: the chosen device in words, a form page with its one button,
and taking a slot out of service or putting it back (the police handover:
kiosk.ui.staff.police_form)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from kiosk.rules import Action, may
from kiosk.services.console import HeldDevice
from kiosk.ui.staff.common import school_today, when_text

ADMIN_ONLY = "Only an admin can put a slot back in service."


def form_page(rows: list[tuple[str, QWidget]], button: QPushButton) -> QWidget:
    """A labelled form with its one action button underneath."""
    page = QWidget()
    form = QFormLayout(page)
    for label, widget in rows:
        form.addRow(label, widget)
    form.addRow(button)
    return page


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


def describe(device: HeldDevice) -> str:
    """The chosen device in a sentence or two: where it is, since when, and why."""
    since = when_text(device.received_at)
    if not device.is_confiscation:
        words = f"Daily hand-in in slot {device.slot_number} since {since}."
    else:
        words = f"Confiscated {since}, in slot {device.slot_number}: {device.reason_category}."
        if device.do_not_examine:
            words += " Do not examine content."
        if device.dsl_referred:
            words += " Referred to the DSL."
    if device.description:
        words += f" {device.description}."
    if device.keep_overnight_on == school_today():
        words += " Kept overnight tonight."
    return words
