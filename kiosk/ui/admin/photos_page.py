"""Photos: choose a folder of images named by admission number or UPN and import them
all; every file not used is listed with the reason."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QProgressBar

from kiosk.db import Database
from kiosk.services import photos
from kiosk.services.photos import PhotoImportReport
from kiosk.services.staff import StaffMember
from kiosk.ui.admin.common import AdminPage, Jobs, button
from kiosk.ui.staff.models import Column, RowsModel, make_table
from kiosk.ui.style import AMBER, RED


@dataclass(frozen=True)
class FileRow:
    name: str
    outcome: str
    serious: bool


def report_rows(report: PhotoImportReport) -> list[FileRow]:
    rows = [FileRow(p.name, f"Not imported: {p.reason}", True) for p in report.unreadable]
    rows += [
        FileRow(n, "No pupil on roll has this admission number or UPN.", True)
        for n in report.unmatched
    ]
    rows += [FileRow(p.name, f"Not used: {p.reason}.", False) for p in report.duplicates]
    rows += [FileRow(n, "Not an image file: skipped.", False) for n in report.skipped]
    return rows


class PhotosPage(AdminPage):
    def __init__(self, sessions: Database, staff: StaffMember) -> None:
        super().__init__(sessions, staff)
        self.folder: Path | None = None
        self.choose_button = button("Choose folder…", on_click=self.choose_folder)
        self.import_button = button("Import photos", "primary", self.start_import)
        self.import_button.setEnabled(False)
        self.folder_label = QLabel("No folder chosen.")
        self.folder_label.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setMinimumHeight(32)
        self.progress.setVisible(False)
        self.jobs = Jobs(self.feedback, [self.choose_button, self.import_button])
        self.files_model = RowsModel(
            [Column("File", lambda r: r.name), Column("What happened", lambda r: r.outcome)],
            colour=lambda r: RED if r.serious else AMBER,
        )
        self.files_view = make_table(self.files_model, row_height=40, compact=True)

        top = QHBoxLayout()
        top.addWidget(self.choose_button)
        top.addWidget(self.folder_label, 1)
        top.addWidget(self.import_button)
        layout = self.headed(
            "Import photos",
            "Name each photo by the pupil's admission number or UPN (001234.jpg, "
            "K886401213101.png, or '001234 Smith Jo.jpg'). Photos are turned upright, "
            "cut to a 3:4 portrait and stored small; camera details are not kept.",
        )
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.feedback)
        layout.addWidget(QLabel("<b>Files not imported</b>"))
        layout.addWidget(self.files_view, 1)

    def choose_folder(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "Choose the photos folder", str(Path.home()))
        if name:
            self.set_folder(Path(name))

    def set_folder(self, folder: Path) -> None:
        self.folder = folder
        self.folder_label.setText(str(folder))
        self.import_button.setEnabled(True)
        self.files_model.set_rows([])
        self.feedback.note("")

    def start_import(self) -> None:
        if self.folder is None:
            return
        folder, sessions, actor = self.folder, self.sessions, self.staff.actor
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.jobs.start_tracked(
            "Importing photos",
            "Importing photos…",
            lambda progress: photos.import_folder(sessions, actor, folder, progress.report),
            self._imported,
            self._progressed,
        )

    def _progressed(self, done: int, total: int) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)

    def _imported(self, report: PhotoImportReport) -> None:
        self.progress.setVisible(False)
        self.files_model.set_rows(report_rows(report))
        self.feedback.ok(f"Done: {report.summary()}.")
