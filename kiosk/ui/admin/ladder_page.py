"""Confiscation rules: the escalation ladder (which release condition the 1st, 2nd, 3rd...
confiscation in a term gets; the last step repeats) and the dates the school's terms
start, when the count begins again. Saved as school settings, checked by the service."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
)

from kiosk.clock import day_text
from kiosk.db import Database
from kiosk.services import escalation
from kiosk.services.ladder import MAX_STEPS, Condition, Ladder, ordinal, term_of
from kiosk.services.staff import StaffMember
from kiosk.ui.admin.common import SettingsFormPage, button, hint, touch
from kiosk.ui.staff.common import attempt, school_today

TERMS_HINT = (
    "One date a line, when a term starts and the count begins again: 2026-09-03 for that "
    "day, or 09-01 for the same day every year. Add half terms too if your policy counts "
    "from them."
)


def _step_label(step: int, last: bool) -> str:
    return f"{ordinal(step)} and later" if last else f"{ordinal(step)} in a term"


class LadderPage(SettingsFormPage):
    def __init__(self, sessions: Database, staff: StaffMember) -> None:
        super().__init__(sessions, staff)
        self.steps: list[QComboBox] = []
        self.step_form = QFormLayout()
        self.add_step = button("Add a step", on_click=lambda: self._add_step())
        self.remove_step = button("Remove the last step", on_click=self._remove_step)
        step_buttons = QHBoxLayout()
        step_buttons.addWidget(self.add_step)
        step_buttons.addWidget(self.remove_step)
        step_buttons.addStretch(1)
        ladder_box = QGroupBox("Escalation ladder: the release condition for each confiscation")
        ladder_layout = QVBoxLayout(ladder_box)
        ladder_layout.addLayout(self.step_form)
        ladder_layout.addLayout(step_buttons)

        self.terms = QPlainTextEdit()
        self.terms.setFixedHeight(110)
        self.term_now = QLabel("")
        terms_box = QGroupBox("Terms: the count starts again on each date")
        terms_layout = QVBoxLayout(terms_box)
        terms_layout.addWidget(hint(TERMS_HINT))
        terms_layout.addWidget(self.terms)
        terms_layout.addWidget(self.term_now)

        self.save_button = button("Save", "primary", self.save)
        self.undo_button = button("Undo changes", on_click=self.reload)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.save_button)
        layout = self.headed("Confiscation rules")
        layout.addWidget(ladder_box)
        layout.addWidget(terms_box)
        layout.addLayout(buttons)
        layout.addWidget(self.feedback)
        layout.addStretch(1)
        self.reload()

    # -- the steps

    def _add_step(self, condition: Condition | None = None) -> None:
        if len(self.steps) >= MAX_STEPS:
            return
        choice = QComboBox()
        for option in Condition:
            choice.addItem(option.words[:1].upper() + option.words[1:], option.value)
        touch(choice)
        last = self.steps[-1].currentIndex() if self.steps else 0
        choice.setCurrentIndex(last if condition is None else choice.findData(condition.value))
        self.steps.append(choice)
        self.step_form.addRow(QLabel(), choice)
        self._relabel()

    def _remove_step(self) -> None:
        if len(self.steps) > 1:
            self.steps.pop()
            self.step_form.removeRow(self.step_form.rowCount() - 1)
            self._relabel()

    def _relabel(self) -> None:
        for row, _choice in enumerate(self.steps):
            item = self.step_form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            label = item.widget() if item is not None else None
            if isinstance(label, QLabel):
                label.setText(_step_label(row + 1, row == len(self.steps) - 1))
        self.add_step.setEnabled(len(self.steps) < MAX_STEPS)
        self.remove_step.setEnabled(len(self.steps) > 1)

    # -- loading and saving

    def reload(self) -> None:
        sessions = self.sessions
        attempt(
            self,
            self.feedback,
            "Loading the confiscation rules",
            lambda: escalation.current_ladder(sessions),
            self._loaded,
        )

    def _loaded(self, ladder: Ladder) -> None:
        self.show_ladder(ladder)
        self.loaded = self.values()

    def show_ladder(self, ladder: Ladder) -> None:
        while self.steps:
            self.steps.pop()
            self.step_form.removeRow(0)
        for rule in ladder.rules:
            self._add_step(rule)
        self.terms.setPlainText("\n".join(start.text() for start in ladder.term_starts))
        term = term_of(school_today(), ladder.term_starts)
        ends = term.ends - dt.timedelta(days=1)
        self.term_now.setText(f"Today is in the {term.words()} to {day_text(ends)}.")

    def values(self) -> dict[str, str]:
        return {
            "escalation_rules": ",".join(str(step.currentData()) for step in self.steps),
            "term_starts": ",".join(self.terms.toPlainText().split()),
        }

    def save(self) -> None:
        if changes := self.changes():
            saved = "Saved. Confiscations from now on follow these rules."
            self.save_changes("Saving the confiscation rules", changes, saved)
