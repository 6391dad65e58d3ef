"""The escalation ladder on the confiscate form: the pupil's count this term, what the
school's rule says, and the release condition, filled in from the rule. Staff may choose
another; then they must say why (the reason goes into the audit event)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QWidget

from kiosk.services.escalation import REASON_LIMIT, Standing
from kiosk.services.ladder import CONDITIONS, Condition
from kiosk.ui.style import AMBER


class LadderChoice(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.standing: Standing | None = None
        self.count = QLabel("")
        self.count.setWordWrap(True)
        self.count.setTextFormat(Qt.TextFormat.PlainText)
        self.condition = QComboBox()
        for condition in Condition:
            words = condition.words[:1].upper() + condition.words[1:]
            self.condition.addItem(words, condition.value)
        self.condition.currentIndexChanged.connect(self._changed)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why not the school's rule? (kept in the record)")
        self.reason.setMaxLength(REASON_LIMIT)
        self.reason_label = QLabel("Why")
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addRow("This term", self.count)
        layout.addRow("Release", self.condition)
        layout.addRow(self.reason_label, self.reason)
        self.show_standing(None)

    def show_standing(self, standing: Standing | None) -> None:
        """Show the pupil's count and put the rule's condition in the choice."""
        self.standing = standing
        self.reason.clear()
        if standing is None:
            self.count.setText("")
            self.condition.setCurrentIndex(0)
        else:
            self.count.setText(standing.words())
            self.condition.setCurrentIndex(self.condition.findData(standing.rule.value))
        self._changed()

    def chosen(self) -> Condition:
        return CONDITIONS[str(self.condition.currentData())]

    def differs(self) -> bool:
        return self.standing is not None and self.chosen() != self.standing.rule

    def problem(self) -> str | None:
        """What stops the confiscation being recorded as chosen, in words; None if nothing."""
        if self.standing is None:
            return "The pupil's confiscations this term are still loading: try again."
        if self.differs() and not self.reason.text().strip():
            return (
                f"The school's rule here is: {self.standing.rule.words}. "
                "Say why this one is different."
            )
        return None

    def summary(self) -> str:
        """The confirmation's line about the release condition (HTML)."""
        chosen = escape(self.chosen().words)
        if self.standing is None:
            return f"Release: {chosen}."
        step = escape(self.standing.words().split(" (")[0])
        if not self.differs():
            return f"Release: {chosen} (the school's rule for the {step})."
        return (
            f"Release: <b>{chosen}</b>, not the school's rule ({escape(self.standing.rule.words)})"
            f" because: {escape(self.reason.text().strip())}."
        )

    def _changed(self) -> None:
        differs = self.differs()
        self.reason.setVisible(differs)
        self.reason_label.setVisible(differs)
        self.condition.setStyleSheet(f"border: 2px solid {AMBER};" if differs else "")
