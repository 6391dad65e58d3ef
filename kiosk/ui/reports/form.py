"""The reports panel's form: which report, which format, which pupils and devices, and
a line of words for how it went."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QComboBox, QLabel

from kiosk.exports.run import Format, Report
from kiosk.ui.style import GREY, RED

REPORT_CHOICES: tuple[tuple[str, Report], ...] = (
    ("Custody log: one row per device", "custody"),
    ("Audit log: every recorded action", "audit"),
    ("Summary for governors (PDF)", "summary"),
    ("Search records (senior staff)", "searches"),
)
FORMAT_CHOICES: tuple[tuple[str, Format], ...] = (("Excel (XLSX)", "xlsx"), ("CSV", "csv"))
KIND_CHOICES: tuple[tuple[str, str | None], ...] = (
    ("Daily hand-ins and confiscations", None),
    ("Daily hand-ins only", "daily"),
    ("Confiscations only", "confiscation"),
)


def school_year_start(today: dt.date) -> dt.date:
    """1 September of the current school year."""
    year = today.year if today.month >= 9 else today.year - 1
    return dt.date(year, 9, 1)


def qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def pydate(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


def choices(choices: tuple[tuple[str, Any], ...]) -> QComboBox:
    box = QComboBox()
    for text, value in choices:
        box.addItem(text, value)
    return box


class Status(QLabel):
    """One line of plain words: green when done, red when not, grey while working."""

    def __init__(self) -> None:
        super().__init__("")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def show_text(self, text: str, colour: str = GREY) -> None:
        weight = 400 if colour == GREY else 700
        self.setStyleSheet(f"color: {colour}; font-weight: {weight};")
        self.setText(text)

    @property
    def is_error(self) -> bool:
        return RED in self.styleSheet() and bool(self.text())
