"""Exam sessions (senior staff and admins): set the date, start time, title and the
candidates (forms, year groups, or pupils picked by name); see the day's exams. The kiosk
reminds each candidate at hand-in; Lists and the dashboard show who has not handed in."""

from __future__ import annotations

import datetime as dt
from functools import partial

from PySide6.QtCore import QDate, Qt, QTime
from PySide6.QtWidgets import (
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTimeEdit,
    QVBoxLayout,
)

from kiosk.clock import local_date, utcnow
from kiosk.config import Config
from kiosk.db import Database
from kiosk.services import exams, pupils
from kiosk.services.common import PupilSummary
from kiosk.services.staff import StaffMember
from kiosk.ui.background import Op
from kiosk.ui.staff.common import ConsoleTab, heading_label, pupil_line, side_panel


def _words(text: str) -> list[str]:
    return [w for w in text.replace(",", " ").split() if w]


class ExamsTab(ConsoleTab):
    def __init__(self, sessions: Database, staff: StaffMember, config: Config) -> None:
        super().__init__(sessions, staff, config)
        today = local_date(utcnow())
        self.date = QDateEdit(QDate(today.year, today.month, today.day))
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("ddd d MMM yyyy")
        self.date.dateChanged.connect(lambda _d: self.refresh())
        self.start = QTimeEdit(QTime(9, 0))
        self.title = QLineEdit()
        self.title.setPlaceholderText("e.g. GCSE Maths paper 1")
        self.forms = QLineEdit()
        self.forms.setPlaceholderText("e.g. 11A, 11B")
        self.years = QLineEdit()
        self.years.setPlaceholderText("e.g. 11")
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Find a pupil by name, then tap to add")
        self.search_box.returnPressed.connect(self._find)
        find_button = QPushButton("Find")
        find_button.clicked.connect(self._find)
        self.found = QListWidget()
        self.found.setMinimumHeight(160)
        self.found.itemClicked.connect(self._pick)
        self.picked = QListWidget()
        self.picked.setMinimumHeight(160)
        self.picked.itemClicked.connect(lambda item: self.picked.takeItem(self.picked.row(item)))
        self.save = QPushButton("Set the exam")
        self.save.setProperty("role", "primary")
        self.save.clicked.connect(self._save)
        self.day_list = QLabel("")
        self.day_list.setWordWrap(True)
        self.day_list.setAlignment(Qt.AlignmentFlag.AlignTop)
        self._build(find_button)
        self.refresh()

    def _build(self, find_button: QPushButton) -> None:
        form = QFormLayout()
        form.addRow("Date", self.date)
        form.addRow("Starts", self.start)
        form.addRow("Title", self.title)
        form.addRow("Forms", self.forms)
        form.addRow("Year groups", self.years)
        finder = QHBoxLayout()
        finder.addWidget(self.search_box, 1)
        finder.addWidget(find_button)
        form.addRow("Pupils", finder)
        lists = QHBoxLayout()
        for caption, widget in (("Found", self.found), ("Chosen (tap to remove)", self.picked)):
            column = QVBoxLayout()
            column.addWidget(QLabel(caption))
            column.addWidget(widget, 1)
            lists.addLayout(column, 1)
        left = QVBoxLayout()
        left.addWidget(heading_label("Set an exam session"))
        left.addLayout(form)
        left.addLayout(lists, 1)
        left.addWidget(self.save)
        left.addWidget(self.feedback)
        right = QVBoxLayout()
        right.addWidget(heading_label("Exams that day"))
        right.addWidget(self.day_list, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(side_panel(left, 480), 3)  # scrolls on a short screen
        layout.addLayout(right, 2)

    def chosen_day(self) -> dt.date:
        chosen = self.date.date()
        return dt.date(chosen.year(), chosen.month(), chosen.day())

    def refresh(self) -> None:
        job = partial(exams.exams_on, self.sessions, self.chosen_day())
        Op(self, "Loading the exams", job).success(self._show_day).failure(
            lambda failure: self.feedback.error(failure.words)
        ).run()

    def _show_day(self, day: list[exams.ExamInfo]) -> None:
        if not day:
            self.day_list.setText("No exams set for that day.")
            return
        self.day_list.setText(
            "\n".join(f"{e.starts_at:%H:%M}  {e.title}  ({e.candidates} candidates)" for e in day)
        )

    def _find(self) -> None:
        job = partial(pupils.find, self.sessions, self.search_box.text(), limit=20)
        Op(self, "Finding pupils", job).success(self._show_found).failure(
            lambda failure: self.feedback.error(failure.words)
        ).run()

    def _show_found(self, found: list[PupilSummary]) -> None:
        self.found.clear()
        for pupil in found:
            self._add(self.found, pupil)
        if not found:
            self.feedback.note("Nobody found.")

    @staticmethod
    def _add(widget: QListWidget, pupil: PupilSummary) -> None:
        item = QListWidgetItem(f"{pupil.display_name} · {pupil_line(pupil)}")
        item.setData(Qt.ItemDataRole.UserRole, pupil)
        widget.addItem(item)

    def _pick(self, item: QListWidgetItem) -> None:
        pupil = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(pupil, PupilSummary) and pupil.id not in self.picked_ids():
            self._add(self.picked, pupil)

    def picked_ids(self) -> tuple[int, ...]:
        items = (self.picked.item(i) for i in range(self.picked.count()))
        return tuple(item.data(Qt.ItemDataRole.UserRole).id for item in items)

    def candidates(self) -> exams.Candidates | None:
        years = _words(self.years.text())
        if not all(y.isdigit() for y in years):
            self.feedback.error("Year groups are numbers, e.g. 11.")
            return None
        return exams.Candidates(
            forms=tuple(_words(self.forms.text())),
            years=tuple(int(y) for y in years),
            pupil_ids=self.picked_ids(),
        )

    def _save(self) -> None:
        chosen = self.candidates()
        if chosen is None:
            return
        time = self.start.time()
        start = dt.time(time.hour(), time.minute())
        job = partial(
            exams.set_exam,
            self.sessions,
            self.staff.actor,
            self.chosen_day(),
            start,
            self.title.text(),
            chosen,
        )
        self.save.setEnabled(False)
        Op(self, "Setting an exam", job).success(self._saved).failure(self._not_saved).run()

    def _saved(self, info: exams.ExamInfo) -> None:
        self.save.setEnabled(True)
        self.feedback.ok(f"{info.title} set: {info.candidates} candidates will be reminded.")
        self.title.clear()
        self.forms.clear()
        self.years.clear()
        self.picked.clear()
        self.refresh()

    def _not_saved(self, failure: object) -> None:
        self.save.setEnabled(True)
        self.feedback.error(getattr(failure, "words", "The exam could not be set."))
