"""One page for importing an MIS export (the roster, the contacts): choose the CSV file, check
what each column means, see every row and every problem, then import. The Import button stays
off while any problem remains; nothing is imported until everything can be. Each import says
its words, its fields and columns, how to check the file and how to apply it."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from kiosk.db import Database
from kiosk.errors import KioskError
from kiosk.services import roster_file
from kiosk.services.audit import Actor
from kiosk.services.roster_check import Problem
from kiosk.services.roster_columns import FieldSet
from kiosk.services.roster_file import RawTable
from kiosk.services.staff import StaffMember
from kiosk.ui.admin.column_mapping import ColumnMapping, Columns
from kiosk.ui.admin.common import AdminPage, Feedback, Jobs, button, severity_colour
from kiosk.ui.staff.models import Column, RowsModel, make_table
from kiosk.ui.style import GREEN, RED


class ImportPreview(Protocol):
    """What a check of the file says: its problems, and whether (and what) it would import."""

    @property
    def problems(self) -> tuple[Problem, ...]: ...
    @property
    def errors(self) -> list[Problem]: ...
    @property
    def warnings(self) -> list[Problem]: ...
    @property
    def can_import(self) -> bool: ...
    def summary(self) -> str: ...


class ImportResult(Protocol):
    def summary(self) -> str: ...


P = TypeVar("P", bound=ImportPreview)

PROBLEM_COLUMNS = [
    Column("Line", lambda p: "" if p.line is None else str(p.line), numeric=True),
    Column("", lambda p: "Error" if p.blocking else "Check"),
    Column("Problem", lambda p: p.message),
]


@dataclass(frozen=True)
class ImportKind:
    heading: str  # the page's title and the confirmation's: "Import the roster"
    noun: str  # "the roster": "Checking the roster", "Choose the roster CSV"
    explanation: str  # what file the MIS gives, and what the import does with it
    fields: FieldSet[Any]  # what a column may mean
    rows_heading: str  # above the file's rows
    preview_columns: Sequence[Column]  # the file's rows, as ``rows`` gives them
    row_colour: Callable[[Any], str | None]


class CsvImportPage(AdminPage, Generic[P]):
    kind: ImportKind

    def __init__(self, sessions: Database, staff: StaffMember) -> None:
        super().__init__(sessions, staff)
        self.table: RawTable | None = None
        self.columns: Columns = ()
        self.preview: P | None = None
        self._generation = 0
        self.choose_button = button("Choose CSV file…", on_click=self.choose_file)
        self.import_button = button("Import", "primary", self.start_import)
        self.import_button.setEnabled(False)
        self.file_label = QLabel("No file chosen.")
        self.file_label.setWordWrap(True)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-weight: 700;")
        self.result = Feedback()  # the last import's outcome, kept while the file is re-checked
        self.jobs = Jobs(self.feedback, [self.choose_button, self.import_button])
        self.mapping = ColumnMapping(self.kind.fields, self._columns_changed)
        self.problems_model = RowsModel(
            PROBLEM_COLUMNS, colour=lambda p: severity_colour(p.blocking)
        )
        self.problems_view = make_table(self.problems_model, row_height=36, compact=True, wide=True)
        self.preview_model = RowsModel(self.kind.preview_columns, colour=self.kind.row_colour)
        self.preview_view = make_table(self.preview_model, row_height=36, compact=True, wide=True)
        self.rows_head = QHBoxLayout()  # the rows' heading, and any switch beside it
        self.rows_head.addWidget(QLabel(f"<b>{self.kind.rows_heading}</b>"), 1)
        self.add_to_rows_head(self.rows_head)
        self._lay_out()

    def _lay_out(self) -> None:
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(_titled(QLabel("<b>Problems</b>"), self.problems_view))
        self.splitter.addWidget(_titled(self.rows_head, self.preview_view))
        self.splitter.setHandleWidth(14)  # wide enough to drag with a finger
        self.splitter.setSizes([160, 400])
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(self.mapping)
        body.addWidget(self.splitter)
        body.setHandleWidth(14)
        body.setSizes([400, 620])
        top = QHBoxLayout()
        top.addWidget(self.choose_button)
        top.addWidget(self.file_label, 1)
        top.addWidget(self.import_button)
        layout = self.headed(self.kind.heading, self.kind.explanation)
        layout.addLayout(top)
        for widget in (self.result, self.summary, self.feedback):
            layout.addWidget(widget)
        layout.addWidget(body, 1)

    # --- what each import says ----------------------------------------------------------

    @staticmethod
    @abstractmethod
    def check(sessions: Database, table: RawTable, columns: Columns) -> P:
        """The file checked with these columns against the record (run in the background)."""

    @staticmethod
    @abstractmethod
    def apply(sessions: Database, actor: Actor, preview: P) -> ImportResult:
        """Import the checked file (run in the background)."""

    @abstractmethod
    def rows(self, preview: P) -> list[Any]:
        """The file's rows as the preview table shows them."""

    def add_to_rows_head(self, head: QHBoxLayout) -> None:
        """Put any switch for the rows beside their heading."""

    def question(self, preview: P) -> str:
        return f"Import {self.kind.noun}: {preview.summary()}?"

    # --- choosing and mapping -----------------------------------------------------------

    def choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self,
            f"Choose {self.kind.noun} CSV",
            str(Path.home()),
            "CSV files (*.csv *.txt);;All (*)",
        )
        if name:
            self.load_file(Path(name))

    def load_file(self, path: Path) -> None:
        self.preview = None
        self.result.clear()
        self.import_button.setEnabled(False)
        try:
            table = roster_file.load_roster_file(path, self.kind.fields)
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

    # --- checking -----------------------------------------------------------------------

    def refresh(self) -> None:
        """Check the file with the current columns against the record (in the background;
        an answer to an older choice of columns is ignored)."""
        if self.table is None:
            return
        self._generation += 1
        generation, check = self._generation, self.check
        table, columns, sessions = self.table, self.columns, self.sessions
        self.import_button.setEnabled(False)
        self.jobs.start(
            f"Checking {self.kind.noun}",
            "Checking the file…",
            lambda: check(sessions, table, columns),
            lambda preview: self._shown_if_current(preview, generation),
        )

    def _shown_if_current(self, preview: P, generation: int) -> None:
        if generation == self._generation:
            self._show(preview)

    def _show(self, preview: P | None) -> None:
        self.preview = preview
        self.problems_model.set_rows(list(preview.problems) if preview else [])
        self.show_rows()
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
        self.summary.setStyleSheet(f"color: {RED if errors else GREEN}; font-weight: 700;")
        # With problems, the list of them matters most; without, the rows do.
        self.splitter.setSizes([300, 260] if errors else [100, 460])
        self.feedback.note(
            f"{len(preview.warnings)} thing(s) to check (in amber)." if preview.warnings else ""
        )
        self.import_button.setEnabled(preview.can_import)

    def show_rows(self) -> None:
        self.preview_model.set_rows(self.rows(self.preview) if self.preview else [])

    # --- importing ----------------------------------------------------------------------

    def start_import(self) -> None:
        preview = self.preview
        if preview is None or not preview.can_import:
            return
        if not self.confirm(self, self.kind.heading, self.question(preview)):
            self.feedback.note("Nothing was imported.")
            return
        sessions, actor, apply = self.sessions, self.staff.actor, self.apply
        self.jobs.start(
            f"Importing {self.kind.noun}",
            "Importing…",
            lambda: apply(sessions, actor, preview),
            self._imported,
        )

    def _imported(self, result: ImportResult) -> None:
        self.result.ok(f"Imported: {result.summary()}.")
        self.refresh()  # the file now matches the record: every row shows as unchanged


def _titled(heading: QWidget | QHBoxLayout, view: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    if isinstance(heading, QWidget):
        layout.addWidget(heading)
    else:
        layout.addLayout(heading)
    layout.addWidget(view)
    return box
