"""Find a pupil: scan their card or type a name, form or admission number, then tap the
right one in the results. Used by the tabs that act on chosen pupils."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from kiosk.db import Database
from kiosk.qtfix import emit
from kiosk.services import pupils
from kiosk.services.common import PupilSummary
from kiosk.ui.staff import models
from kiosk.ui.staff.common import Feedback, PupilHeader, attempt, read_card
from kiosk.ui.staff.models import RowsModel, SearchProxy


class PupilFinder(QWidget):
    """``chosen(PupilSummary)`` when a card is scanned, one pupil matches, or one is tapped."""

    chosen = Signal(object)

    def __init__(self, sessions: Database, feedback: Feedback, parent: QWidget | None = None):
        super().__init__(parent)
        self.sessions, self.feedback = sessions, feedback
        self.search = QLineEdit()
        self.search.setPlaceholderText("Scan a card, or type a name or admission number")
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(self.find_typed)
        find = QPushButton("Find")
        find.clicked.connect(self.find_typed)
        row = QHBoxLayout()
        row.addWidget(self.search, 1)
        row.addWidget(find)
        self.results = RowsModel(models.expected_columns(), models.pupil_search)
        self.proxy = SearchProxy(self.results)
        self.table = models.make_table(self.proxy, compact=True)
        self.table.clicked.connect(self._tapped)
        self.table.setMinimumHeight(150)
        self.table.setVisible(False)  # shown when a search finds several: tap the right one
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)

    def handle_scan(self, text: str) -> None:
        read_card(self, self.feedback, self.sessions, text, self._found_by_card)

    def _found_by_card(self, pupil: PupilSummary) -> None:
        self.search.clear()
        self.results.set_rows([pupil])
        self.table.setVisible(False)
        emit(self.chosen, pupil)

    def find_typed(self) -> None:
        text = self.search.text().strip()
        if not text:
            self.feedback.note("Type a name, form or admission number, or scan the card.")
            return
        sessions = self.sessions
        attempt(
            self, self.feedback, "Finding a pupil", lambda: pupils.find(sessions, text), self._found
        )

    def _found(self, found: list[PupilSummary]) -> None:
        self.results.set_rows(found)
        self.table.setVisible(len(found) > 1)
        self.table.resizeColumnsToContents()
        if len(found) == 1:
            emit(self.chosen, found[0])
        elif not found:
            self.feedback.error("No pupil matches that. Check the spelling or the number.")
        else:
            self.feedback.note(f"{len(found)} pupils match: tap the right one.")

    def _tapped(self) -> None:
        row = models.selected_row(self.table, self.proxy)
        if isinstance(row, PupilSummary):
            emit(self.chosen, row)


def pupil_step(finder: PupilFinder, header: PupilHeader) -> QVBoxLayout:
    """Step 1 of a tab about one pupil: find them, then see who was found."""
    step = QVBoxLayout()
    step.addWidget(QLabel("1. Find the pupil"))
    step.addWidget(finder)
    step.addWidget(header)
    step.addStretch(1)
    return step
