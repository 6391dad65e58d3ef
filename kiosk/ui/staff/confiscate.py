"""Confiscate: find the pupil (scan their card or search), give a reason and a note,
optionally "do not examine content: refer to the DSL", choose a slot (reserved
confiscation slots first), then confirm what will be recorded."""

from __future__ import annotations

from functools import partial
from html import escape

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.config import Config
from kiosk.db import Database
from kiosk.services import confiscation, escalation
from kiosk.services.common import PupilSummary
from kiosk.services.confiscation import REASON_CATEGORIES
from kiosk.services.console import FreeSlot
from kiosk.services.custody import CustodyInfo
from kiosk.services.escalation import Standing
from kiosk.services.staff import StaffMember
from kiosk.ui.staff.common import ConsoleTab, PupilHeader, attempt, load_free_slots
from kiosk.ui.staff.ladder_choice import LadderChoice
from kiosk.ui.staff.parent_letters import LetterStatus
from kiosk.ui.staff.pupil_finder import PupilFinder, pupil_step

AUTOMATIC = "Next free slot (reserved slots first)"
NOTE_LIMIT = 2000


class ConfiscateTab(ConsoleTab):
    search_requested = Signal(object, int)  # (pupil, custody id): record a search

    def __init__(self, sessions: Database, staff: StaffMember, config: Config) -> None:
        super().__init__(sessions, staff, config)
        self.letter = LetterStatus(sessions, staff, config)  # the letter to parents

        self.finder = PupilFinder(sessions, self.feedback)
        self.finder.chosen.connect(self.show_pupil)
        self.header = PupilHeader(sessions)
        left = pupil_step(self.finder, self.header)

        self.form = self._build_form()
        self.confirm_box = self._build_confirmation()
        self.steps = QStackedWidget()
        self.steps.addWidget(self.form)
        self.steps.addWidget(self.confirm_box)
        right = QVBoxLayout()
        right.addWidget(self.steps)
        right.addWidget(self.feedback)
        right.addWidget(self.letter)
        self.searched: tuple[PupilSummary, int] | None = None  # the confiscation just recorded
        self.search_button = QPushButton("Record a search for this confiscation…")
        self.search_button.setVisible(False)
        self.search_button.clicked.connect(self._search_requested)
        right.addWidget(self.search_button)
        self.lay_out(left, right, 600)
        self.show_pupil(None)

    def _build_form(self) -> QWidget:
        box = QWidget()
        self.reason = QComboBox()
        self.reason.addItems([r.capitalize() for r in REASON_CATEGORIES])
        self.reason.setCurrentIndex(-1)
        self.reason.setPlaceholderText("Choose a reason")
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText("What happened (kept in the record)")
        self.note.setFixedHeight(96)
        self.description = QLineEdit()
        self.description.setPlaceholderText("e.g. black iPhone, cracked case")
        self.description.setMaxLength(200)
        self.switched_off = QCheckBox("Device switched off in front of me")
        self.switched_off.setChecked(True)
        self.do_not_examine = QCheckBox("Do not examine content: refer to the DSL")
        self.slot = QComboBox()
        self.ladder = LadderChoice()
        self.review = QPushButton("Confiscate…")
        self.review.setProperty("role", "primary")
        self.review.clicked.connect(self._review)
        form = QFormLayout(box)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(QLabel("2. Record the confiscation"))
        form.addRow("Reason", self.reason)
        form.addRow("Note", self.note)
        form.addRow("Device", self.description)
        form.addRow("", self.switched_off)
        form.addRow("", self.do_not_examine)
        form.addRow("Slot", self.slot)
        form.addRow(self.ladder)
        form.addRow(self.review)
        return box

    def _build_confirmation(self) -> QFrame:
        frame = QFrame()
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-size: 22px;")
        self.confirm = QPushButton("Confirm confiscation")
        self.confirm.setProperty("role", "danger")
        self.confirm.clicked.connect(self._confiscate)
        self.back = QPushButton("Back")
        self.back.clicked.connect(lambda: self._set_confirming(False))
        buttons = QHBoxLayout()
        buttons.addWidget(self.confirm)
        buttons.addWidget(self.back)
        layout = QVBoxLayout(frame)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return frame

    # -- finding the pupil

    def refresh(self) -> None:
        load_free_slots(self, self.feedback, self.sessions, self._show_free)

    def _show_free(self, free: list[FreeSlot]) -> None:
        chosen = self.slot.currentData()
        self.slot.clear()
        self.slot.addItem(AUTOMATIC, None)
        for slot in free:
            words = " (reserved)" if slot.reserved_for_confiscation else ""
            self.slot.addItem(f"Slot {slot.number}, cabinet {slot.cabinet}{words}", slot.number)
        index = self.slot.findData(chosen)
        self.slot.setCurrentIndex(max(index, 0))

    def handle_scan(self, text: str) -> None:
        self.finder.handle_scan(text)

    def show_pupil(self, pupil: PupilSummary | None) -> None:
        self._set_confirming(False)
        self.header.show_pupil(pupil, "No pupil chosen")
        self.form.setEnabled(pupil is not None)
        self.ladder.show_standing(None)
        if pupil is not None:
            self.feedback.clear()
            self.search_button.setVisible(False)
            self.refresh()
            self._load_standing(pupil)

    def _load_standing(self, pupil: PupilSummary) -> None:
        sessions = self.sessions
        attempt(
            self,
            self.feedback,
            "Counting this term's confiscations",
            lambda: escalation.standing(sessions, pupil.id),
            self._show_standing,
        )

    def _show_standing(self, standing: Standing) -> None:
        pupil = self.header.pupil
        if pupil is not None and pupil.id == standing.pupil_id:  # not another pupil since
            self.ladder.show_standing(standing)

    # -- recording it

    def _reason(self) -> str | None:
        index = self.reason.currentIndex()
        return REASON_CATEGORIES[index] if index >= 0 else None

    def _set_confirming(self, confirming: bool) -> None:
        self.steps.setCurrentWidget(self.confirm_box if confirming else self.form)
        self.form.setEnabled(self.header.pupil is not None)

    def _review(self) -> None:
        pupil = self.header.pupil
        reason = self._reason()
        if pupil is None:
            self.feedback.error("Find the pupil first.")
            return
        if reason is None:
            self.feedback.error("Please choose a reason.")
            return
        if len(self.note.toPlainText()) > NOTE_LIMIT:
            self.feedback.error(f"The note is too long: {NOTE_LIMIT} characters at most.")
            return
        problem = self.ladder.problem()
        if problem is not None:
            self.feedback.error(problem)
            return
        slot = self.slot.currentText() if self.slot.currentData() else "the next free slot"
        lines = [
            f"Confiscate the device of <b>{escape(pupil.display_name)}</b> ({pupil.reg_group})?",
            f"Reason: {escape(reason)}.",
            f"Into: {escape(slot)}.",
            self.ladder.summary(),
        ]
        if self.do_not_examine.isChecked():
            lines.append("<b>Do not examine content</b>: it will be referred to the DSL.")
        if not self.switched_off.isChecked():
            lines.append("The device is <b>not</b> confirmed switched off.")
        self.summary.setText("<br>".join(lines))
        self.feedback.clear()
        self._set_confirming(True)

    def _confiscate(self) -> None:
        pupil, reason = self.header.pupil, self._reason()
        if pupil is None or reason is None:
            return
        record = partial(
            confiscation.confiscate,
            self.sessions,
            self.staff.actor,
            pupil.id,
            reason,
            self.note.toPlainText(),
            do_not_examine=self.do_not_examine.isChecked(),
            slot_number=self.slot.currentData(),
            description=self.description.text(),
            switched_off=self.switched_off.isChecked(),
            release_condition=self.ladder.chosen().value,
            condition_reason=self.ladder.reason.text(),
        )
        self._set_confirming(False)
        self.form.setEnabled(False)  # one tap, one confiscation, until the answer comes
        attempt(
            self,
            self.feedback,
            "Recording a confiscation",
            record,
            partial(self._recorded, pupil),
            self._not_recorded,
        )

    def _not_recorded(self) -> None:
        self.form.setEnabled(self.header.pupil is not None)
        self.refresh()  # the slot may have been taken meanwhile

    def _recorded(self, pupil: PupilSummary, info: CustodyInfo) -> None:
        self._clear_form()
        self.finder.results.set_rows([])
        self.show_pupil(None)  # so a second tap cannot record the same confiscation twice
        self.refresh()
        referred = self.do_not_examine.isChecked()
        words = " It has been referred to the DSL." if referred else ""
        self.feedback.ok(
            f"Recorded. Put {pupil.forename}'s device in slot {info.slot_number}.{words}"
        )
        self.letter.start(info.id, email=not referred)
        self.do_not_examine.setChecked(False)
        self.searched = (pupil, info.id)
        self.search_button.setVisible(True)

    def _search_requested(self) -> None:
        self.search_button.setVisible(False)
        if self.searched is not None:
            self.search_requested.emit(*self.searched)

    def _clear_form(self) -> None:
        self.reason.setCurrentIndex(-1)
        self.note.clear()
        self.description.clear()
        self.switched_off.setChecked(True)
