"""The lists: held today, held overnight, confiscations awaiting a parent (with age in
days, the unclaimed flag, the collection appointment and the emails sent), confiscations
collected lately (by whom), pupils expected but not handed in today, and exemptions.
Sortable by any column, searchable by name, form, year or admission number."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from kiosk.config import Config
from kiosk.db import Database
from kiosk.services import appointments, collected, console, exams, exemptions, school_day
from kiosk.services.staff import StaffMember
from kiosk.ui.background import Op
from kiosk.ui.staff import awaiting, models
from kiosk.ui.staff.collected_list import collected_columns, collected_search
from kiosk.ui.staff.common import ConsoleTab, school_today, side_panel
from kiosk.ui.staff.exemption_form import ExemptionForm
from kiosk.ui.staff.models import Column, RowsModel, SearchProxy
from kiosk.ui.staff.parents_panel import ParentsPanel
from kiosk.ui.widgets.tab_strip import FlowLayout


@dataclass(frozen=True)
class ListSpec:
    name: str
    title: str
    load: Callable[[Database], Sequence[Any]]
    columns: Callable[[Callable[[], dt.date]], list[Column]]
    search: Callable[[Any], str]
    empty: str
    colour: Callable[[Any], str | None] | None = None


LISTS = (
    ListSpec(
        "held_today",
        "Held today",
        console.held_today,
        models.held_today_columns,
        models.held_search,
        "No devices handed in today are still held.",
    ),
    ListSpec(
        "held_overnight",
        "Held overnight",
        console.held_overnight,
        models.overnight_columns,
        models.held_search,
        "No daily hand-ins were left from an earlier day.",
    ),
    ListSpec(
        "confiscations",
        "Confiscations",
        appointments.awaiting_parent,
        awaiting.awaiting_columns,
        awaiting.awaiting_search,
        "No confiscated devices are waiting for a parent or carer.",
        awaiting.awaiting_colour,  # unclaimed ones in red
    ),
    ListSpec(
        "collected",
        "Collected",
        collected.recent,
        collected_columns,
        collected_search,
        "No confiscated device has gone home with a parent or carer in the last 30 days.",
    ),
    ListSpec(
        "expected",
        "Expected, not in",
        console.expected_not_handed_in,
        lambda _today: models.expected_columns(),
        models.pupil_search,
        "Everyone expected has handed a device in (or is exempt).",
    ),
    ListSpec(
        "late",
        "Late",
        school_day.late_today,
        models.late_columns,
        models.late_search,
        "Nobody has handed in late today.",
    ),
    ListSpec(
        "exam_missing",
        "Exam: not in",
        exams.candidates_not_handed_in,
        lambda _today: models.exam_missing_columns(),
        models.exam_search,
        "No exam today, or every candidate has handed in.",
    ),
    ListSpec(
        "exemptions",
        "Exemptions",
        exemptions.applying_today,
        models.exemption_columns,
        models.exemption_search,
        "No exemptions apply today.",
    ),
)


PARENTS_LIST = "confiscations"  # shown with the ParentsPanel beside it
EXEMPTIONS_LIST = "exemptions"  # shown with the ExemptionForm beside it (senior staff)


class ListsTab(ConsoleTab):
    def __init__(self, sessions: Database, staff: StaffMember, config: Config) -> None:
        super().__init__(sessions, staff, config)
        self.specs = {spec.name: spec for spec in LISTS}
        self.models = {
            spec.name: RowsModel(spec.columns(school_today), spec.search, colour=spec.colour)
            for spec in LISTS
        }
        self.proxies = {name: SearchProxy(model) for name, model in self.models.items()}
        self.current = LISTS[0].name
        self.buttons: dict[str, QPushButton] = {}
        group = QButtonGroup(self)
        chooser = FlowLayout()  # wraps on a narrow screen rather than squash the words
        for spec in LISTS:
            button = QPushButton(spec.title)
            button.setCheckable(True)
            button.clicked.connect(lambda _=False, n=spec.name: self.show_list(n))
            group.addButton(button)
            chooser.addWidget(button)
            self.buttons[spec.name] = button
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by name, form (e.g. 9B), year (e.g. y9) or number")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.count = QLabel("")
        search_row = QHBoxLayout()
        search_row.addWidget(self.search, 1)
        search_row.addWidget(self.count)
        self.table = models.make_table(self.proxies[self.current])
        self.table.clicked.connect(self._tapped)
        # Beside the Confiscations list: the letter, the emails and the appointment.
        self.parents = ParentsPanel(sessions, staff, config)
        self.parents.changed.connect(self.refresh)
        beside = QVBoxLayout()
        beside.addWidget(self.parents)
        self.parents_side = side_panel(beside, 480)
        self.parents_side.setVisible(False)
        # Beside the Exemptions list (senior staff): grant one, with its review date.
        self.exemption_form = ExemptionForm(sessions, staff)
        self.exemption_form.granted.connect(self.refresh)
        grant = QVBoxLayout()
        grant.addWidget(self.exemption_form)
        self.exemption_side = side_panel(grant, 420)
        self.exemption_side.setVisible(False)
        body = QHBoxLayout()
        body.addWidget(self.table, 1)
        body.addWidget(self.parents_side)
        body.addWidget(self.exemption_side)
        layout = QVBoxLayout(self)
        layout.addLayout(chooser)
        layout.addLayout(search_row)
        layout.addLayout(body, 1)
        layout.addWidget(self.feedback)
        self.buttons[self.current].setChecked(True)

    @property
    def proxy(self) -> SearchProxy:
        return self.proxies[self.current]

    def show_list(self, name: str) -> bool:
        if name not in self.specs:
            return False
        self.current = name
        self.buttons[name].setChecked(True)
        self.parents_side.setVisible(name == PARENTS_LIST)
        self.exemption_side.setVisible(name == EXEMPTIONS_LIST and self.exemption_form.allowed)
        self.table.setModel(self.proxy)
        self.proxy.set_search(self.search.text())
        self.refresh()
        return True

    def refresh(self) -> None:
        """Read the list on show afresh in the background."""
        spec = self.specs[self.current]
        Op(self, f"Loading {spec.name}", partial(spec.load, self.sessions)).success(
            partial(self._show_rows, spec.name)
        ).failure(lambda failure: self.feedback.error(failure.words)).run()

    def _show_rows(self, name: str, rows: list[Any]) -> None:
        self.models[name].set_rows(rows)
        if name == PARENTS_LIST and self.parents.chosen is not None:  # read afresh
            chosen = self.parents.chosen.device.custody_id
            self.parents.show_row(next((r for r in rows if r.device.custody_id == chosen), None))
        if name == self.current:  # not switched to another list meanwhile
            self.table.resizeColumnsToContents()
            self._show_count()

    def _tapped(self) -> None:
        if self.current == PARENTS_LIST:
            self.parents.show_row(models.selected_row(self.table, self.proxy))
            self.table.horizontalScrollBar().setValue(0)  # the name, not a cell, in view

    def _filter(self, text: str) -> None:
        self.proxy.set_search(text)
        self._show_count()

    def _show_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.models[self.current].rowCount()
        self.count.setText(f"{shown} of {total}" if shown != total else f"{total}")
        if total == 0:
            self.feedback.note(self.specs[self.current].empty)
        elif shown == 0:
            self.feedback.note("Nobody on this list matches the search.")
        else:
            self.feedback.clear()
