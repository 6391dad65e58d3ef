"""Grant an exemption (senior staff): find the pupil, say what kind and what for, from when,
until when (or open-ended), and when it will be reviewed. The review date starts a year
after the start (the last day if sooner) and can be changed; the service checks it."""

from __future__ import annotations

import datetime as dt
from functools import partial

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
)

from kiosk.clock import day_text
from kiosk.db import Database
from kiosk.qtfix import emit
from kiosk.rules import Action, may
from kiosk.services import exemptions
from kiosk.services.common import PupilSummary
from kiosk.services.exemptions import CATEGORY_WORDS, ExemptionInfo
from kiosk.services.staff import StaffMember
from kiosk.ui.staff.common import Feedback, attempt, school_today
from kiosk.ui.staff.pupil_finder import PupilFinder

TOUCH = 64  # px: the fields a finger sets


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(edit: QDateEdit) -> dt.date:
    date = edit.date()
    return dt.date(date.year(), date.month(), date.day())


def _date_edit(day: dt.date) -> QDateEdit:
    edit = QDateEdit(_qdate(day))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("dd/MM/yyyy")  # as kiosk.clock.day_text writes dates
    return edit


class ExemptionForm(QGroupBox):
    granted = Signal()  # an exemption was granted: the list reads it again

    def __init__(self, sessions: Database, staff: StaffMember) -> None:
        super().__init__("Grant an exemption")
        # The school's style sheet gives fields 48 px; these are set by a finger.
        self.setStyleSheet(
            f"QDateEdit, QComboBox, QLineEdit, QCheckBox {{ min-height: {TOUCH}px; }}"
        )
        self.sessions, self.staff = sessions, staff
        self.pupil: PupilSummary | None = None
        self.feedback = Feedback(collapsible=True)
        self.finder = PupilFinder(sessions, self.feedback)
        self.finder.chosen.connect(self.choose)
        self.who = QLabel("No pupil chosen yet.")
        self.who.setWordWrap(True)
        self.category = QComboBox()
        for value, words in CATEGORY_WORDS.items():
            self.category.addItem(words, value)
        self.detail = QLineEdit()
        self.detail.setPlaceholderText("What it is for (e.g. glucose monitor app)")
        today = school_today()
        self.starts = _date_edit(today)
        self.open_ended = QCheckBox("Open-ended (no last day)")
        self.open_ended.setChecked(True)
        self.ends = _date_edit(today)
        self.ends.setEnabled(False)
        self.review = _date_edit(exemptions.default_review_on(today, None))
        self.review_words = QLabel("")
        self.save_button = QPushButton("Grant the exemption")
        self.save_button.setProperty("role", "primary")
        self.save_button.setMinimumHeight(TOUCH)
        self.save_button.clicked.connect(self.save)
        self.starts.dateChanged.connect(self._dates_changed)
        self.ends.dateChanged.connect(self._dates_changed)
        self.open_ended.toggled.connect(self._dates_changed)
        self.review.dateChanged.connect(self._show_review)
        form = QFormLayout(self)
        form.addRow(self.finder)
        form.addRow(self.who)
        form.addRow("Kind", self.category)
        form.addRow("What for", self.detail)
        form.addRow("From", self.starts)
        form.addRow(self.open_ended)
        form.addRow("Last day", self.ends)
        form.addRow("Review by", self.review)
        form.addRow(self.review_words)
        form.addRow(self.save_button)
        form.addRow(self.feedback)
        self._show_review()
        self.allowed = may(staff.role, Action.MANAGE_EXEMPTIONS)

    def choose(self, pupil: PupilSummary) -> None:
        self.pupil = pupil
        self.who.setText(f"For {pupil.display_name} ({pupil.reg_group}).")
        self.feedback.clear()

    def _ends_on(self) -> dt.date | None:
        return None if self.open_ended.isChecked() else _day(self.ends)

    def _dates_changed(self) -> None:
        """A new start or last day: the review date goes back to its default for them."""
        self.ends.setEnabled(not self.open_ended.isChecked())
        default = exemptions.default_review_on(_day(self.starts), self._ends_on())
        self.review.setDate(_qdate(default))
        self._show_review()

    def _show_review(self) -> None:
        self.review_words.setText(f"To be reviewed by {day_text(_day(self.review))}.")

    def save(self) -> None:
        if self.pupil is None:
            self.feedback.error("Find the pupil first: scan their card or type their name.")
            return
        job = partial(
            exemptions.grant,
            self.sessions,
            self.staff.actor,
            self.pupil.id,
            self.category.currentData(),
            self.detail.text(),
            _day(self.starts),
            self._ends_on(),
            _day(self.review),
        )
        attempt(self, self.feedback, "Granting an exemption", job, self._granted)

    def _granted(self, made: ExemptionInfo) -> None:
        name = self.pupil.display_name if self.pupil else "the pupil"
        review = day_text(made.review_on) if made.review_on else "no date"
        self.feedback.ok(
            f"Exemption granted for {name} ({made.category_words}); review by {review}."
        )
        self.detail.clear()
        emit(self.granted)
