"""Out of school during the day: pick pupils (one, a form, a year, or a hand-picked group),
choose one reason, release all their devices in one action; the "Still out" list shows who
has not come back (they scan at the kiosk on return, or staff mark them back here)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.config import Config
from kiosk.db import Database
from kiosk.services import day_outs
from kiosk.services.common import PupilSummary
from kiosk.services.day_outs import REASON_WORDS, Outing
from kiosk.services.staff import StaffMember
from kiosk.ui.staff import models
from kiosk.ui.staff.common import ConsoleTab, attempt, heading_label, side_panel, when_text
from kiosk.ui.staff.models import Column, RowsModel, SearchProxy
from kiosk.ui.staff.pupil_finder import PupilFinder
from kiosk.ui.widgets.confirm_panel import ConfirmPanel


def out_columns() -> list[Column]:
    return [
        *models.pupil_columns(lambda o: o.pupil),
        Column("Reason", lambda o: o.reason_words),
        Column("Group / note", lambda o: " · ".join(t for t in (o.group_name, o.note) if t)),
        Column("Left", lambda o: when_text(o.out_at), lambda o: o.out_at),
        Column("Devices", lambda o: str(o.devices), lambda o: o.devices, True),
        Column("Slot left", lambda o: "" if o.slot_number is None else str(o.slot_number)),
    ]


class OutOfSchoolTab(ConsoleTab):
    def __init__(self, sessions: Database, staff: StaffMember, config: Config) -> None:
        super().__init__(sessions, staff, config)
        self.chosen: dict[int, PupilSummary] = {}
        self.pages = QTabWidget()
        self.pages.addTab(self._build_release(), "Release pupils")
        self.pages.addTab(self._build_still_out(), "Still out")
        self.pages.currentChanged.connect(lambda _i: self.refresh())
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.feedback)

    # -- choosing the pupils

    def _build_release(self) -> QWidget:
        self.finder = PupilFinder(self.sessions, self.feedback)
        self.finder.chosen.connect(lambda pupil: self.add([pupil]))
        self.group = QComboBox()  # "Form 7A", "Year 7": a whole form or year at once
        add_group = QPushButton("Add")
        add_group.clicked.connect(self._add_group)
        groups = QHBoxLayout()
        groups.addWidget(self.group, 1)
        groups.addWidget(add_group)
        self.chosen_model = RowsModel(models.pupil_columns(lambda p: p), models.pupil_search)
        self.chosen_proxy = SearchProxy(self.chosen_model)
        self.chosen_table = models.make_table(self.chosen_proxy, compact=True)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_selected)
        clear = QPushButton("Clear")
        clear.clicked.connect(lambda: self._set_chosen({}))
        self.count = QLabel("")
        chosen_bar = QHBoxLayout()
        chosen_bar.addWidget(self.count, 1)
        chosen_bar.addWidget(remove)
        chosen_bar.addWidget(clear)
        self.chosen_table.setMinimumHeight(110)
        left = QVBoxLayout()
        step = QLabel("1. Choose the pupils: scan or find one, or add a form or a year")
        step.setWordWrap(True)
        left.addWidget(step)
        left.addWidget(self.finder)
        left.addLayout(groups)
        left.addLayout(chosen_bar)
        left.addWidget(self.chosen_table, 3)
        page = QWidget()
        row = QHBoxLayout(page)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(side_panel(left, 400), 1)  # scrolls on a short screen
        row.addWidget(side_panel(self._build_form(), 360))
        return page

    def _build_form(self) -> QVBoxLayout:
        self.reason = QComboBox()
        self.reason.setPlaceholderText("Choose a reason")
        for reason, words in REASON_WORDS.items():
            self.reason.addItem(words, reason.value)
        self.reason.setCurrentIndex(-1)
        self.note = QLineEdit()
        self.note.setPlaceholderText("Note, e.g. dentist, collected by mum")
        self.note.setMaxLength(day_outs.NOTE_MAX)
        self.group_name = QLineEdit()
        self.group_name.setPlaceholderText("Group name, e.g. Year 9 museum trip")
        self.group_name.setMaxLength(day_outs.GROUP_NAME_MAX)
        self.review = QPushButton("Release their devices…")
        self.review.setProperty("role", "primary")
        self.review.clicked.connect(self._review)
        self.confirm_box = ConfirmPanel("Yes, release them", self._release)
        form = QVBoxLayout()
        form.addWidget(QLabel("2. Why they are going out"))
        form.addWidget(self.reason)
        form.addWidget(self.note)
        form.addWidget(self.group_name)
        form.addWidget(self.review)
        form.addWidget(self.confirm_box)
        form.addStretch(1)
        return form

    def handle_scan(self, text: str) -> None:
        """A card scanned while choosing: that pupil joins the group."""
        self.pages.setCurrentIndex(0)
        self.finder.handle_scan(text)

    def add(self, found: list[PupilSummary]) -> None:
        self._set_chosen({**self.chosen, **{p.id: p for p in found}})

    def _add_group(self) -> None:
        chosen = self.group.currentData()
        if not isinstance(chosen, tuple):
            return
        form, year = chosen
        sessions = self.sessions
        attempt(
            self,
            self.feedback,
            "Finding the pupils",
            lambda: day_outs.pupils_of(sessions, form=form or None, year=year),
            self.add,
        )

    def _remove_selected(self) -> None:
        pupil = models.selected_row(self.chosen_table, self.chosen_proxy)
        if isinstance(pupil, PupilSummary):
            self._set_chosen({k: v for k, v in self.chosen.items() if k != pupil.id})

    def _set_chosen(self, chosen: dict[int, PupilSummary]) -> None:
        self.chosen = chosen
        self.chosen_model.set_rows(list(chosen.values()))
        n = len(chosen)
        self.count.setText(f"{n} pupil{'s' if n != 1 else ''} chosen")
        self.review.setText(f"Release {n} pupil{'s' if n != 1 else ''}…")
        self.confirm_box.setVisible(False)

    # -- releasing

    def _reason(self) -> str | None:
        chosen = self.reason.currentData()
        return str(chosen) if chosen is not None else None

    def _review(self) -> None:
        reason = self._reason()
        if not self.chosen:
            self.feedback.error("Choose the pupils first.")
            return
        if reason is None:
            self.feedback.error("Choose a reason.")
            return
        self.feedback.clear()
        n = len(self.chosen)
        self.confirm_box.ask(
            f"Release every held device of {n} pupil{'s' if n != 1 else ''} "
            f"({day_outs.reason_words(reason).lower()})? They show as out "
            "until they scan back in at the kiosk."
        )

    def _release(self) -> None:
        reason = self._reason() or ""
        sessions, actor, chosen = self.sessions, self.staff.actor, list(self.chosen)
        note, group_name = self.note.text(), self.group_name.text()
        attempt(
            self,
            self.feedback,
            "Releasing the devices",
            lambda: day_outs.release_for_day_out(
                sessions, actor, chosen, reason, note, group_name=group_name
            ),
            self._released,
        )

    def _released(self, result: day_outs.GroupOut) -> None:
        words = f"Recorded: {len(result.out)} out, {result.devices} devices to give them now."
        if result.already_out:
            names = ", ".join(p.display_name for p in result.already_out)
            words += f" Already out (left as they were): {names}."
        self._set_chosen({})
        self.note.clear()
        self.group_name.clear()
        self.feedback.ok(words)

    # -- who is still out

    def _build_still_out(self) -> QWidget:
        self.summary = heading_label("")
        self.out_model = RowsModel(out_columns(), lambda o: models.pupil_search(o.pupil))
        self.out_proxy = SearchProxy(self.out_model)
        self.out_table = models.make_table(self.out_proxy)
        self.mark_back = QPushButton("Mark back without a device")
        self.mark_back.clicked.connect(self._mark_back)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Pupils are back when they scan at the kiosk."), 1)
        bar.addWidget(self.mark_back)
        bar.addWidget(refresh)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self.summary)
        layout.addWidget(self.out_table, 1)
        layout.addLayout(bar)
        return page

    def refresh(self) -> None:
        sessions = self.sessions
        attempt(
            self,
            self.feedback,
            "Loading forms",
            lambda: day_outs.forms_and_years(sessions),
            self._show_groups,
        )
        attempt(
            self,
            self.feedback,
            "Loading who is out",
            lambda: day_outs.still_out(sessions),
            self.show_out,
        )

    def _show_groups(self, forms: tuple[list[str], list[int]]) -> None:
        if self.group.count() == 0:
            for form in forms[0]:
                self.group.addItem(f"Form {form}", (form, None))
            for year in forms[1]:
                self.group.addItem(f"Year {year}", (None, year))

    def show_out(self, out: list[Outing]) -> None:
        self.out_model.set_rows(out)
        n = len(out)
        self.summary.setText(
            f"{n} pupil{'s' if n != 1 else ''} still out" if n else "Everyone is back."
        )
        self.pages.setTabText(1, f"Still out ({n})")

    def _mark_back(self) -> None:
        outing = models.selected_row(self.out_table, self.out_proxy)
        if not isinstance(outing, Outing):
            self.feedback.error("Tap a pupil in the list first.")
            return
        sessions, actor = self.sessions, self.staff.actor

        def marked(_: object) -> None:
            self.refresh()
            self.feedback.ok(f"Recorded: {outing.pupil.display_name} is back.")

        attempt(
            self,
            self.feedback,
            "Marking a pupil back",
            lambda: day_outs.mark_back(sessions, actor, outing.id),
            marked,
        )
