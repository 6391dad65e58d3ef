"""Roster import: choose the MIS's CSV export, check what each column means (a drop-down
per column, filled in from the header names), see every row and every problem, then
import. The Import button stays off while any problem remains; nothing is imported
until everything can be."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from kiosk.db import Database
from kiosk.errors import KioskError
from kiosk.services import roster, roster_check, roster_columns, roster_file
from kiosk.services.roster import RosterPreview
from kiosk.services.roster_check import CheckedRoster
from kiosk.services.roster_columns import ColumnMap, Field
from kiosk.services.roster_file import RawTable
from kiosk.services.staff import StaffMember
from kiosk.ui.admin.column_mapping import ColumnMapping
from kiosk.ui.admin.common import (
    Confirm,
    Feedback,
    Jobs,
    ask,
    button,
    hint,
    severity_colour,
    title,
    touch,
)
from kiosk.ui.admin.roster_preview import PREVIEW_COLUMNS, PROBLEM_COLUMNS, preview_rows, row_colour
from kiosk.ui.staff.models import RowsModel, make_table
from kiosk.ui.style import GREEN, RED


def _check_and_preview(sessions: Database, table: RawTable, columns: ColumnMap) -> RosterPreview:
    return roster.preview(sessions, roster_check.check(table, columns))


class RosterPage(QWidget):
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
        self.columns: ColumnMap = ()
        self.preview: RosterPreview | None = None
        self._generation = 0

        self.choose_button = button("Choose CSV file…", on_click=self.choose_file)
        self.import_button = button("Import", "primary", self.start_import)
        self.import_button.setEnabled(False)
        self.file_label = QLabel("No file chosen.")
        self.file_label.setWordWrap(True)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-weight: 700;")
        self.feedback = Feedback()
        self.result = Feedback()  # the last import's outcome, kept while the file is re-checked
        self.jobs = Jobs(self.feedback, [self.choose_button, self.import_button])

        self.mapping = ColumnMapping(roster_columns.ROSTER, self._columns_changed)
        mapping_box = self.mapping

        self.problems_model = RowsModel(
            PROBLEM_COLUMNS, colour=lambda p: severity_colour(p.blocking)
        )
        self.problems_view = make_table(self.problems_model, row_height=36, compact=True, wide=True)
        self.preview_model = RowsModel(PREVIEW_COLUMNS, colour=row_colour)
        self.preview_view = make_table(self.preview_model, row_height=36, compact=True, wide=True)
        self.only_problems = QCheckBox("Show only rows with problems")
        self.only_problems.toggled.connect(self._show_rows)
        touch(self.only_problems, 48)

        right = QSplitter(Qt.Orientation.Vertical)
        problems_box = QWidget()
        problems_layout = QVBoxLayout(problems_box)
        problems_layout.setContentsMargins(0, 0, 0, 0)
        problems_layout.addWidget(QLabel("<b>Problems</b>"))
        problems_layout.addWidget(self.problems_view)
        preview_box = QWidget()
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.setContentsMargins(0, 0, 0, 0)
        preview_head = QHBoxLayout()
        preview_head.addWidget(QLabel("<b>Pupils</b>"), 1)
        preview_head.addWidget(self.only_problems)
        preview_layout.addLayout(preview_head)
        preview_layout.addWidget(self.preview_view)
        right.addWidget(problems_box)
        right.addWidget(preview_box)
        right.setHandleWidth(14)  # wide enough to drag with a finger
        right.setSizes([160, 400])
        self.splitter = right
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(mapping_box)
        body.addWidget(right)
        body.setHandleWidth(14)
        body.setSizes([400, 620])

        top = QHBoxLayout()
        top.addWidget(self.choose_button)
        top.addWidget(self.file_label, 1)
        top.addWidget(self.import_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title("Import the roster"))
        layout.addWidget(
            hint(
                "The MIS's CSV export (SIMS, Arbor, Bromcom...). Pupils are matched by UPN; "
                "those not in the file are marked as left, and their records kept."
            )
        )
        layout.addLayout(top)
        layout.addWidget(self.result)
        layout.addWidget(self.summary)
        layout.addWidget(self.feedback)
        layout.addWidget(body, 1)

    # --- choosing and mapping -----------------------------------------------------------

    def choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Choose the roster CSV", str(Path.home()), "CSV files (*.csv *.txt);;All (*)"
        )
        if name:
            self.load_file(Path(name))

    def load_file(self, path: Path) -> None:
        self.preview = None
        self.result.clear()
        self.import_button.setEnabled(False)
        try:
            table = roster_file.load_roster_file(path)
        except KioskError as error:
            self.table = None
            self.file_label.setText(path.name)
            self.feedback.error(error.message)
            self._clear_results()
            return
        self.table = table
        where = f"header on line {table.header_line}" if table.header_line else "no header row"
        self.file_label.setText(f"{path.name}: {len(table.rows)} rows, {table.encoding}, {where}")
        self.columns = self.mapping.show_table(table)
        self.refresh()

    @property
    def combos(self) -> list[QComboBox]:
        return self.mapping.combos

    def set_column_field(self, column: int, fld: Field | None) -> None:
        """Say what ``column`` means; a field chosen here is taken from any other column."""
        self.mapping.set_field(column, fld)

    def _columns_changed(self, columns: ColumnMap) -> None:
        self.columns = columns
        self.refresh()

    # --- checking -----------------------------------------------------------------------

    def refresh(self) -> None:
        """Check the file with the current columns against the pupils on record (in the
        background; an answer to an older choice of columns is ignored)."""
        if self.table is None:
            return
        self._generation += 1
        generation = self._generation
        table, columns, sessions = self.table, self.columns, self.sessions
        self.import_button.setEnabled(False)
        self.jobs.start(
            "Checking the roster",
            "Checking the file…",
            lambda: _check_and_preview(sessions, table, columns),
            lambda preview: self._show_preview(preview, generation),
        )

    def _show_preview(self, preview: RosterPreview, generation: int) -> None:
        if generation != self._generation:
            return
        self.preview = preview
        self.problems_model.set_rows(preview.problems)
        # With problems, the list of them matters most; without, the pupils do.
        self.splitter.setSizes([300, 260] if preview.errors else [100, 460])
        self._show_rows()
        errors = len(preview.errors)
        if errors:
            self.summary.setText(
                f"{errors} problem{'s' if errors != 1 else ''} to fix before anything can be "
                "imported. Fix them in the MIS (or the column choices) and choose the file again."
            )
            self.summary.setStyleSheet(f"color: {RED}; font-weight: 700;")
        else:
            self.summary.setText(f"Ready to import: {preview.summary()}.")
            self.summary.setStyleSheet(f"color: {GREEN}; font-weight: 700;")
        self.feedback.note(
            f"{len(preview.warnings)} thing(s) to check (in amber)." if preview.warnings else ""
        )
        self.import_button.setEnabled(preview.can_import)

    def _show_rows(self) -> None:
        if self.preview is None:
            self.preview_model.set_rows([])
            return
        rows = preview_rows(self.preview)
        if self.only_problems.isChecked():
            rows = [r for r in rows if r.problems]
        self.preview_model.set_rows(rows)

    def _clear_results(self) -> None:
        self.problems_model.set_rows([])
        self.preview_model.set_rows([])
        self.summary.setText("")
        self.mapping.clear()

    # --- importing ----------------------------------------------------------------------

    def start_import(self) -> None:
        preview = self.preview
        if preview is None or not preview.can_import:
            return
        question = f"Import the roster: {preview.summary()}?"
        if preview.leavers_need_confirmation:
            question = (
                f"This will mark {len(preview.leavers)} of {preview.on_roll_before} pupils "
                "as left. Only go ahead if this file is the whole school's roster.\n\n" + question
            )
        if not self.confirm(self, "Import the roster", question):
            self.feedback.note("Nothing was imported.")
            return
        checked: CheckedRoster = preview.checked
        sessions, actor = self.sessions, self.staff.actor
        self.jobs.start(
            "Importing the roster",
            "Importing…",
            lambda: roster.apply(sessions, actor, checked, confirm_leavers=True),
            self._imported,
        )

    def _imported(self, result: roster.ImportResult) -> None:
        self.result.ok(f"Imported: {result.summary()}.")
        self.refresh()  # the file now matches the record: every row shows as unchanged
