"""The Searches tab: the list of search records and the form. Office staff start drafts
(and see only their own); a senior records a search, completes a draft, or corrects a
recorded search, which makes a new version and leaves the old one as it was. Each
recorded search is checked against the audit log: one changed or deleted behind the
kiosk's back shows in red."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.config import Config
from kiosk.db import Database
from kiosk.rules import Action, may
from kiosk.services import search_records, searches
from kiosk.services.common import PupilSummary
from kiosk.services.search_form import SearchForm
from kiosk.services.search_records import SearchInfo
from kiosk.services.searches import Check, SearchDetail, SearchList, SearchRow
from kiosk.services.staff import StaffMember
from kiosk.ui.staff.common import ConsoleTab, attempt, heading_label, read_card, when_text
from kiosk.ui.staff.models import Column, RowsModel, make_table
from kiosk.ui.staff.search_form import SearchFormView
from kiosk.ui.staff.search_items import line, touch_sized
from kiosk.ui.style import RED

FORM_WIDTH = 1100  # wider than this, the fields are hard to follow across
CHECK_WORDS = {
    Check.MATCHES: "matches the log",
    Check.CHANGED: "CHANGED",
    Check.NOT_LOGGED: "NOT IN THE LOG",
    Check.DRAFT: "",
}


def _status(row: SearchRow) -> str:
    if row.is_draft:
        return "Draft"
    return "Recorded" if row.version == 1 else f"Recorded (version {row.version})"


COLUMNS = (
    Column("Pupil", lambda r: r.pupil.display_name),
    Column("Form", lambda r: r.pupil.reg_group),
    Column("Searched", lambda r: when_text(r.searched_at), lambda r: str(r.searched_at)),
    Column("Found", lambda r: r.found),
    Column("Status", _status),
    Column("Record check", lambda r: CHECK_WORDS[r.check]),
)


def _search_text(row: SearchRow) -> str:
    return f"{row.pupil.display_name} {row.pupil.reg_group} {row.place} {_status(row)}"


def _colour(row: SearchRow) -> str | None:
    return RED if row.check in (Check.CHANGED, Check.NOT_LOGGED) else None


class SearchesTab(ConsoleTab):
    def __init__(self, sessions: Database, staff: StaffMember, config: Config) -> None:
        super().__init__(sessions, staff, config)
        self.senior = may(staff.role, Action.RECORD_SEARCH)
        self.draft_id: int | None = None  # the open draft the form shows
        self.final_id: int | None = None  # the recorded search the form shows
        self.pages = QStackedWidget()
        self.list_page, self.form_page = self._list_page(), self._form_page()
        self.pages.addWidget(self.list_page)
        self.pages.addWidget(self.form_page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.feedback)
        self._show_page(0)

    # -- the list --------------------------------------------------------------------------

    def _list_page(self) -> QWidget:
        self.model = RowsModel(COLUMNS, _search_text, colour=_colour)
        self.table = make_table(self.model, compact=True)
        self.table.clicked.connect(self._row_tapped)
        self.new_button = QPushButton("New search record")
        self.new_button.setProperty("role", "primary")
        self.new_button.clicked.connect(lambda: self.new_record())
        self.warning = QLabel("")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(f"color: {RED}; font-weight: 700;")
        self.warning.setVisible(False)
        top = QHBoxLayout()
        who = "Searches and their records" if self.senior else "Your draft search records"
        top.addWidget(heading_label(who), 1)
        top.addWidget(self.new_button)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(self.warning)
        layout.addWidget(self.table, 1)
        return page

    def refresh(self) -> None:
        job = partial(searches.search_list, self.sessions, self.staff.actor)
        attempt(self, self.feedback, "Loading the search records", job, self._show_list)

    def _show_list(self, found: SearchList) -> None:
        self.model.set_rows(found.rows)
        bad = [r for r in found.rows if r.check in (Check.CHANGED, Check.NOT_LOGGED)]
        words = []
        if bad:
            words.append(f"{len(bad)} search record(s) do not match the audit log (in red).")
        if found.missing_ids:
            numbers = ", ".join(str(n) for n in found.missing_ids)
            words.append(f"Recorded searches missing from the records: no. {numbers}.")
        if words:
            words.append("Tell the headteacher: the records may have been changed by hand.")
        self.warning.setText(" ".join(words))
        self.warning.setVisible(bool(words))
        if not found.rows:
            self.feedback.note("No search records yet: tap New search record to start one.")

    def _row_tapped(self, index: QModelIndex) -> None:
        self.open_record(self.model.row(index.row()).id)

    # -- the form --------------------------------------------------------------------------

    def _form_page(self) -> QWidget:
        self.title = heading_label("")
        self.form_view = SearchFormView(self.sessions, self.feedback)
        self.correction_reason = line("Why is the record being corrected?")
        self.save_draft_button = QPushButton("Save draft")
        self.save_draft_button.clicked.connect(self._save_draft)
        self.record_button = QPushButton("Record the search")
        self.record_button.setProperty("role", "primary")
        self.record_button.clicked.connect(self._record)
        self.correct_button = QPushButton("Save as a corrected version")
        self.correct_button.setProperty("role", "primary")
        self.correct_button.clicked.connect(self._correct)
        self.back_button = QPushButton("Back to the list")
        self.back_button.clicked.connect(self.show_list)
        self.top_back_button = QPushButton("Back to the list")
        self.top_back_button.clicked.connect(self.show_list)
        self.office_note = QLabel("A senior member of staff records the search from your draft.")
        self.office_note.setWordWrap(True)
        self.office_note.setVisible(not self.senior)
        touch_sized(self.correction_reason)
        # No scroll area of its own: the console's frame scrolls the whole page (one
        # scroller for a finger), and the buttons follow the form they save.
        self.form_view.setMaximumWidth(FORM_WIDTH)
        self.correction_reason.setMaximumWidth(FORM_WIDTH)
        buttons = QHBoxLayout()
        for button in (self.save_draft_button, self.record_button, self.correct_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        page = QWidget()
        layout = QVBoxLayout(page)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.top_back_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        layout.addWidget(self.form_view)
        layout.addWidget(self.correction_reason)
        layout.addWidget(self.office_note)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return page

    def _show_page(self, index: int) -> None:
        """Only the page on show counts for the tab's size: the short list does not
        scroll for the long form's sake."""
        for number, page in enumerate((self.list_page, self.form_page)):
            policy = QSizePolicy.Policy.Preferred if number == index else QSizePolicy.Policy.Ignored
            page.setSizePolicy(policy, policy)
        self.pages.setCurrentIndex(index)
        self.pages.adjustSize()

    def show_list(self) -> None:
        self._show_page(0)
        self.refresh()

    def new_record(self, pupil: PupilSummary | None = None, custody_id: int | None = None) -> None:
        """An empty form; from the confiscate screen, with the pupil and device chosen."""
        self.draft_id = self.final_id = None
        self.form_view.clear()
        if pupil is not None:
            self.form_view.set_pupil(pupil, custody_id)
        self._show_form("New search record")

    def handle_scan(self, text: str) -> None:
        """A pupil's card: the pupil of the form on show, or of a new record."""
        read_card(self, self.feedback, self.sessions, text, self._scanned)

    def _scanned(self, pupil: PupilSummary) -> None:
        if self.pages.currentIndex() == 0:
            self.new_record(pupil)
        elif self.final_id is None:  # a recorded search stays about its own pupil
            self.form_view.set_pupil(pupil)

    def open_record(self, record_id: int) -> None:
        job = partial(searches.search_detail, self.sessions, self.staff.actor, record_id)
        attempt(self, self.feedback, "Opening the search record", job, self._opened)

    def _opened(self, detail: SearchDetail) -> None:
        info = detail.info
        final = info.status == "final"
        self.draft_id = None if final else info.id
        self.final_id = info.id if final else None
        self.form_view.show_form(detail.pupil, info.form)
        if final:
            by = f"recorded by {info.finalised_by} {when_text(info.finalised_at)}"
            version = f", version {info.version}" if info.version > 1 else ""
            if info.correction_reason:
                version += f" (corrected: {info.correction_reason})"
            self._show_form(f"Search no. {info.series_id}{version}, {by}: {detail.check.value}")
        else:
            self._show_form(f"Draft started by {info.created_by}")

    def _show_form(self, title: str) -> None:
        final = self.final_id is not None
        self.title.setText(title)
        self.save_draft_button.setVisible(not final)
        self.record_button.setVisible(self.senior and not final)
        self.correct_button.setVisible(self.senior and final)
        self.correction_reason.setVisible(self.senior and final)
        self.correction_reason.clear()
        self.feedback.clear()
        self._show_page(1)

    # -- saving ----------------------------------------------------------------------------

    def _form_or_say(self) -> SearchForm | None:
        form = self.form_view.form()
        if form is None:
            self.feedback.error("Find and choose the pupil first.")
        return form

    def _save_draft(self) -> None:
        form = self._form_or_say()
        if form is None:
            return
        job = partial(
            search_records.save_draft, self.sessions, self.staff.actor, form, self.draft_id
        )
        attempt(self, self.feedback, "Saving the draft", job, self._draft_saved)

    def _draft_saved(self, info: SearchInfo) -> None:
        self.draft_id = info.id
        self.feedback.ok("Draft saved. It stays a draft until a senior member of staff records it.")

    def _record(self) -> None:
        form = self._form_or_say()
        if form is None:
            return
        job = partial(search_records.record, self.sessions, self.staff.actor, form, self.draft_id)
        attempt(self, self.feedback, "Recording the search", job, partial(self._done, "Recorded"))

    def _correct(self) -> None:
        form = self._form_or_say()
        if form is None or self.final_id is None:
            return
        job = partial(
            search_records.correct,
            self.sessions,
            self.staff.actor,
            self.final_id,
            form,
            self.correction_reason.text(),
        )
        attempt(self, self.feedback, "Correcting the record", job, partial(self._done, "Corrected"))

    def _done(self, verb: str, info: SearchInfo) -> None:
        self.show_list()
        version = f" (version {info.version})" if info.version > 1 else ""
        self.feedback.ok(f"{verb}: search no. {info.series_id}{version}, in the audit log.")
