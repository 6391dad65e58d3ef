"""Contacts import: choose the MIS's contacts export, check what each column means, see
every row (one contact of one pupil) and every problem, then import. As with the roster,
the Import button stays off while any problem remains, and the import is all or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from kiosk.db import Database
from kiosk.errors import KioskError
from kiosk.services import contacts_check, contacts_import, roster_file
from kiosk.services.contacts_columns import CONTACTS, ContactField
from kiosk.services.contacts_import import ContactsImportResult, ContactsPreview
from kiosk.services.roster_check import Problem
from kiosk.services.roster_file import RawTable
from kiosk.services.staff import StaffMember
from kiosk.ui.admin.column_mapping import ColumnMapping, Columns
from kiosk.ui.admin.common import Confirm, Feedback, Jobs, ask, button, hint, severity_colour, title
from kiosk.ui.staff.models import Column, RowsModel, make_table
from kiosk.ui.style import AMBER, GREEN, RED

C = ContactField


@dataclass(frozen=True)
class ContactPreviewRow:
    line: int
    values: dict[Any, str]  # the row's cells by field, as in the file
    problems: str
    blocking: bool
    barred: bool


def preview_rows(preview: ContactsPreview) -> list[ContactPreviewRow]:
    checked = preview.checked
    by_line: dict[int, list[Problem]] = {}
    for problem in preview.problems:
        if problem.line is not None:
            by_line.setdefault(problem.line, []).append(problem)
    barred = {line.line for line in checked.lines if line.do_not_release}
    rows = []
    for source in checked.table.rows:
        values = {f: checked.table.cell(source, i) for i, f in enumerate(checked.columns) if f}
        problems = by_line.get(source.line, [])
        rows.append(
            ContactPreviewRow(
                source.line,
                values,
                " ".join(p.message for p in problems),
                any(p.blocking for p in problems),
                source.line in barred,
            )
        )
    return rows


def _row_colour(row: ContactPreviewRow) -> str | None:
    if row.blocking:
        return RED
    return AMBER if row.problems or row.barred else None


def _value(fld: ContactField, label: str) -> Column:
    return Column(label, lambda r: r.values.get(fld, ""))


def _name(row: ContactPreviewRow) -> str:
    if row.values.get(C.NAME):
        return row.values[C.NAME]
    return " ".join(row.values.get(f, "") for f in (C.TITLE, C.FORENAME, C.SURNAME)).strip()


PREVIEW_COLUMNS = [
    Column("Line", lambda r: str(r.line), numeric=True),
    _value(C.UPN, "UPN"),
    Column("Contact", _name),
    _value(C.RELATIONSHIP, "Relationship"),
    _value(C.PRIORITY, "Priority"),
    _value(C.PARENTAL_RESPONSIBILITY, "PR"),
    _value(C.MAY_COLLECT, "May collect"),
    Column("Do not release", lambda r: "DO NOT RELEASE" if r.barred else ""),
    _value(C.TELEPHONE, "Telephone"),
    _value(C.EMAIL, "Email"),
    Column("Problems", lambda r: r.problems),
]
PROBLEM_COLUMNS = [
    Column("Line", lambda p: "" if p.line is None else str(p.line), numeric=True),
    Column("", lambda p: "Error" if p.blocking else "Check"),
    Column("Problem", lambda p: p.message),
]


def _check_and_preview(sessions: Database, table: RawTable, columns: Columns) -> ContactsPreview:
    return contacts_import.preview(sessions, contacts_check.check(table, columns))


class ContactsPage(QWidget):
    def __init__(
        self,
        sessions: Database,
        staff: StaffMember,
        parent: QWidget | None = None,
        confirm: Confirm = ask,
    ) -> None:
        super().__init__(parent)
        self.sessions, self.staff, self.confirm = sessions, staff, confirm
        self.table: RawTable | None = None
        self.columns: Columns = ()
        self.preview: ContactsPreview | None = None
        self._generation = 0
        self.choose_button = button("Choose CSV file…", on_click=self.choose_file)
        self.import_button = button("Import", "primary", self.start_import)
        self.import_button.setEnabled(False)
        self.file_label = QLabel("No file chosen.")
        self.file_label.setWordWrap(True)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.feedback = Feedback()
        self.result = Feedback()
        self.jobs = Jobs(self.feedback, [self.choose_button, self.import_button])
        self.mapping = ColumnMapping(CONTACTS, self._columns_changed)
        self.problems_model = RowsModel(
            PROBLEM_COLUMNS, colour=lambda p: severity_colour(p.blocking)
        )
        self.problems_view = make_table(self.problems_model, row_height=36, compact=True, wide=True)
        self.preview_model = RowsModel(PREVIEW_COLUMNS, colour=_row_colour)
        self.preview_view = make_table(self.preview_model, row_height=36, compact=True, wide=True)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(_titled("Problems", self.problems_view))
        self.splitter.addWidget(
            _titled("Contacts (one row per pupil and contact)", self.preview_view)
        )
        self.splitter.setHandleWidth(14)
        self.splitter.setSizes([160, 400])
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(self.mapping)
        body.addWidget(self.splitter)
        body.setHandleWidth(14)
        body.setSizes([400, 620])
        layout = QVBoxLayout(self)
        layout.addWidget(title("Import contacts"))
        layout.addWidget(
            hint(
                "The MIS's contacts export: one row per pupil and contact (name, relationship, "
                "priority, parental responsibility, may collect, telephone, email, court "
                "order). Pupils are matched by UPN; each pupil's contacts become the file's."
            )
        )
        top = QHBoxLayout()
        top.addWidget(self.choose_button)
        top.addWidget(self.file_label, 1)
        top.addWidget(self.import_button)
        layout.addLayout(top)
        for widget in (self.result, self.summary, self.feedback):
            layout.addWidget(widget)
        layout.addWidget(body, 1)

    def choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Choose the contacts CSV", str(Path.home()), "CSV files (*.csv *.txt);;All (*)"
        )
        if name:
            self.load_file(Path(name))

    def load_file(self, path: Path) -> None:
        self.preview = None
        self.result.clear()
        self.import_button.setEnabled(False)
        try:
            table = roster_file.load_roster_file(path, CONTACTS)
        except KioskError as error:
            self.table = None
            self.file_label.setText(path.name)
            self.feedback.error(error.message)
            self._show(None)
            self.mapping.clear()
            return
        self.table = table
        where = f"header on line {table.header_line}" if table.header_line else "no header row"
        self.file_label.setText(f"{path.name}: {len(table.rows)} rows, {table.encoding}, {where}")
        self.columns = self.mapping.show_table(table)
        self.refresh()

    def _columns_changed(self, columns: Columns) -> None:
        self.columns = columns
        self.refresh()

    def refresh(self) -> None:
        if self.table is None:
            return
        self._generation += 1
        generation, table, columns, sessions = (
            self._generation,
            self.table,
            self.columns,
            self.sessions,
        )
        self.import_button.setEnabled(False)
        self.jobs.start(
            "Checking the contacts",
            "Checking the file…",
            lambda: _check_and_preview(sessions, table, columns),
            lambda preview: self._shown_if_current(preview, generation),
        )

    def _shown_if_current(self, preview: ContactsPreview, generation: int) -> None:
        if generation == self._generation:
            self._show(preview)

    def _show(self, preview: ContactsPreview | None) -> None:
        self.preview = preview
        self.problems_model.set_rows(list(preview.problems) if preview else [])
        self.preview_model.set_rows(preview_rows(preview) if preview else [])
        if preview is None:
            self.summary.setText("")
            return
        errors = len(preview.errors)
        if errors:
            self.summary.setText(
                f"{errors} problem{'s' if errors != 1 else ''} to fix before anything can be "
                "imported. Fix them in the MIS (or the column choices) and choose the file again."
            )
        else:
            self.summary.setText(f"Ready to import: {preview.summary()}.")
        colour = RED if errors else GREEN
        self.summary.setStyleSheet(f"color: {colour}; font-weight: 700;")
        self.splitter.setSizes([300, 260] if errors else [100, 460])
        self.feedback.note(
            f"{len(preview.warnings)} thing(s) to check (in amber)." if preview.warnings else ""
        )
        self.import_button.setEnabled(preview.can_import)

    def start_import(self) -> None:
        preview = self.preview
        if preview is None or not preview.can_import:
            return
        question = f"Import the contacts: {preview.summary()}?"
        if not self.confirm(self, "Import contacts", question):
            self.feedback.note("Nothing was imported.")
            return
        checked, sessions, actor = preview.checked, self.sessions, self.staff.actor
        self.jobs.start(
            "Importing the contacts",
            "Importing…",
            lambda: contacts_import.apply(sessions, actor, checked),
            self._imported,
        )

    def _imported(self, result: ContactsImportResult) -> None:
        self.result.ok(f"Imported: {result.summary()}.")
        self.refresh()


def _titled(heading: str, view: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(QLabel(f"<b>{heading}</b>"))
    layout.addWidget(view)
    return box
