"""Roster import: choose the MIS's CSV export, check what each column means (a drop-down
per column, filled in from the header names), see every row and every problem, then
import. The Import button stays off while any problem remains; nothing is imported
until everything can be."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout

from kiosk.db import Database
from kiosk.services import roster, roster_check, roster_columns
from kiosk.services.audit import Actor
from kiosk.services.roster import RosterPreview
from kiosk.services.roster_file import RawTable
from kiosk.ui.admin.column_mapping import Columns
from kiosk.ui.admin.common import touch
from kiosk.ui.admin.csv_import_page import CsvImportPage, ImportKind
from kiosk.ui.admin.roster_preview import PREVIEW_COLUMNS, preview_rows, row_colour


class RosterPage(CsvImportPage[RosterPreview]):
    kind = ImportKind(
        heading="Import the roster",
        noun="the roster",
        explanation=(
            "The MIS's CSV export (SIMS, Arbor, Bromcom...). Pupils are matched by UPN; "
            "those not in the file are marked as left, and their records kept."
        ),
        fields=roster_columns.ROSTER,
        rows_heading="Pupils",
        preview_columns=PREVIEW_COLUMNS,
        row_colour=row_colour,
    )

    def add_to_rows_head(self, head: QHBoxLayout) -> None:
        self.only_problems = QCheckBox("Show only rows with problems")
        self.only_problems.toggled.connect(self.show_rows)
        touch(self.only_problems, 48)
        head.addWidget(self.only_problems)

    @property
    def combos(self) -> list[QComboBox]:
        return self.mapping.combos

    @staticmethod
    def check(sessions: Database, table: RawTable, columns: Columns) -> RosterPreview:
        return roster.preview(sessions, roster_check.check(table, columns))

    @staticmethod
    def apply(sessions: Database, actor: Actor, preview: RosterPreview) -> roster.ImportResult:
        return roster.apply(sessions, actor, preview.checked, confirm_leavers=True)

    def rows(self, preview: RosterPreview) -> list[Any]:
        rows = preview_rows(preview)
        if self.only_problems.isChecked():
            return [r for r in rows if r.problems]
        return rows

    def question(self, preview: RosterPreview) -> str:
        question = super().question(preview)
        if not preview.leavers_need_confirmation:
            return question
        return (
            f"This will mark {len(preview.leavers)} of {preview.on_roll_before} pupils "
            "as left. Only go ahead if this file is the whole school's roster.\n\n" + question
        )
