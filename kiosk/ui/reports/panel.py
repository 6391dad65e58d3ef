"""The reports panel of the staff console (senior staff and admins): export the custody or
audit log, or the summary for governors, for a period and optional filters, with a progress
bar and a cancel button; admins also back up and restore the database here.

The work runs on a thread of its own (``JobRunner``) that opens its own sessions; this screen
only starts jobs and shows what their signals say.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.exc import SQLAlchemyError

from kiosk.clock import local_date, utcnow
from kiosk.config import Config
from kiosk.db import Sessions, make_engine, make_sessions
from kiosk.errors import KioskError
from kiosk.exports import ExportRequest, ExportResult, Format, Report, default_path, run_export
from kiosk.rules import Action, may
from kiosk.services import backup, reports, restore
from kiosk.services.backup import BackupInfo
from kiosk.services.reports import ReportFilter
from kiosk.services.restore import RestoreResult
from kiosk.services.staff import StaffMember
from kiosk.ui.reports.worker import CancelledFn, JobRunner, JobWorker, ProgressFn
from kiosk.ui.style import GREEN, GREY, RED

log = logging.getLogger("kiosk.ui.reports")

REPORT_CHOICES: tuple[tuple[str, Report], ...] = (
    ("Custody log: one row per device", "custody"),
    ("Audit log: every recorded action", "audit"),
    ("Summary for governors (PDF)", "summary"),
)
FORMAT_CHOICES: tuple[tuple[str, Format], ...] = (("Excel (XLSX)", "xlsx"), ("CSV", "csv"))
KIND_CHOICES: tuple[tuple[str, str | None], ...] = (
    ("Daily hand-ins and confiscations", None),
    ("Daily hand-ins only", "daily"),
    ("Confiscations only", "confiscation"),
)


def school_year_start(today: dt.date) -> dt.date:
    """1 September of the current school year."""
    year = today.year if today.month >= 9 else today.year - 1
    return dt.date(year, 9, 1)


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


def _choices(choices: tuple[tuple[str, Any], ...]) -> QComboBox:
    box = QComboBox()
    for text, value in choices:
        box.addItem(text, value)
    return box


def _database_url(sessions: Sessions) -> str:
    bind = sessions.kw.get("bind")
    url = getattr(bind, "url", None)
    if url is None:
        raise TypeError("sessions must be bound to an engine")
    return str(url.render_as_string(hide_password=False))


class Status(QLabel):
    """One line of plain words: green when done, red when not, grey while working."""

    def __init__(self) -> None:
        super().__init__("")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def show_text(self, text: str, colour: str = GREY) -> None:
        weight = 400 if colour == GREY else 700
        self.setStyleSheet(f"color: {colour}; font-weight: {weight};")
        self.setText(text)

    @property
    def is_error(self) -> bool:
        return RED in self.styleSheet() and bool(self.text())


class ReportsPanel(QWidget):
    def __init__(
        self, sessions: Sessions, staff: StaffMember, config: Config, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.sessions, self.staff, self.config = sessions, staff, config
        self.runner = JobRunner(self)
        self.last_result: ExportResult | None = None
        self.may_export = may(staff.role, Action.EXPORT)
        self.is_admin = may(staff.role, Action.MANAGE_SETTINGS)
        layout = QVBoxLayout(self)
        title = QLabel("Reports and exports")
        title.setProperty("role", "title")
        layout.addWidget(title)
        layout.addLayout(self._build_form())
        layout.addLayout(self._build_actions())
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setMinimumHeight(36)
        layout.addWidget(self.progress)
        self.status = Status()
        layout.addWidget(self.status)
        layout.addWidget(self._build_result_bar())
        layout.addWidget(self._build_admin_box())
        layout.addStretch(1)
        self._report_changed()
        if not self.may_export:
            self.export_button.setEnabled(False)
            self.status.show_text("Exports are for senior staff and admins.", RED)

    # -- building --------------------------------------------------------------------------

    def _build_form(self) -> QGridLayout:
        today = local_date(utcnow())
        self.report_box = _choices(REPORT_CHOICES)
        self.report_box.currentIndexChanged.connect(self._report_changed)
        self.format_box = _choices(FORMAT_CHOICES)
        self.date_from = self._date_edit(school_year_start(today))
        self.date_to = self._date_edit(today)
        self.year_box = QComboBox()
        self.year_box.addItem("All years", None)
        for year in range(7, 14):
            self.year_box.addItem(f"Year {year}", year)
        self.form_box = QComboBox()
        self.form_box.addItem("All forms", None)
        for form in self._forms():
            self.form_box.addItem(form, form)
        self.kind_box = _choices(KIND_CHOICES)
        grid = QGridLayout()
        rows: list[tuple[str, Any]] = [
            ("Report", self.report_box),
            ("Format", self.format_box),
            ("From", self.date_from),
            ("To (inclusive)", self.date_to),
            ("Year group", self.year_box),
            ("Form", self.form_box),
            ("Devices", self.kind_box),
        ]
        for row, (label, widget) in enumerate(rows):
            grid.addWidget(QLabel(label), row // 2, (row % 2) * 2)
            grid.addWidget(widget, row // 2, (row % 2) * 2 + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        return grid

    def _date_edit(self, day: dt.date) -> QDateEdit:
        edit = QDateEdit(_qdate(day))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("dd MMM yyyy")
        return edit

    def _forms(self) -> list[str]:
        try:
            return reports.forms(self.sessions)
        except SQLAlchemyError as error:  # the list is a convenience: carry on without it
            log.warning("Forms not loaded: %s", type(error).__name__)
            return []

    def _build_actions(self) -> QHBoxLayout:
        self.export_button = QPushButton("Export")
        self.export_button.setProperty("role", "primary")
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        row = QHBoxLayout()
        row.addWidget(self.export_button)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        return row

    def _build_result_bar(self) -> QWidget:
        bar = QWidget()
        row = QHBoxLayout(bar)
        row.setContentsMargins(0, 0, 0, 0)
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton("Open")
        self.open_button.clicked.connect(self._open_result)
        self.folder_button = QPushButton("Open folder")
        self.folder_button.clicked.connect(self._open_folder)
        row.addWidget(self.result_label, 1)
        row.addWidget(self.open_button)
        row.addWidget(self.folder_button)
        bar.setVisible(False)
        self.result_bar = bar
        return bar

    def _build_admin_box(self) -> QWidget:
        box = QFrame()
        box.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(box)
        heading = QLabel("Backups")
        heading.setStyleSheet("font-weight: 800;")
        self.backup_label = QLabel(self._backup_words())
        self.backup_label.setWordWrap(True)
        self.backup_button = QPushButton("Back up now")
        self.backup_button.clicked.connect(self.start_backup)
        self.restore_button = QPushButton("Restore a backup…")
        self.restore_button.setProperty("role", "danger")
        self.restore_button.clicked.connect(self.choose_restore)
        buttons = QHBoxLayout()
        buttons.addWidget(self.backup_button)
        buttons.addWidget(self.restore_button)
        buttons.addStretch(1)
        layout.addWidget(heading)
        layout.addWidget(self.backup_label)
        layout.addLayout(buttons)
        box.setVisible(self.is_admin)
        self.admin_box = box
        return box

    # -- state -----------------------------------------------------------------------------

    def _report_changed(self) -> None:
        summary = self.report_box.currentData() == "summary"
        self.format_box.setEnabled(not summary)

    def request(self) -> ExportRequest:
        report: Report = self.report_box.currentData()
        fmt: Format = "pdf" if report == "summary" else self.format_box.currentData()
        which = ReportFilter(
            _pydate(self.date_from.date()),
            _pydate(self.date_to.date()),
            self.year_box.currentData(),
            self.form_box.currentData(),
            self.kind_box.currentData(),
        )
        return ExportRequest(report, fmt, which)

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.export_button, self.backup_button, self.restore_button):
            widget.setEnabled(not busy)
        if not self.may_export:
            self.export_button.setEnabled(False)
        self.cancel_button.setEnabled(busy)

    def _backup_words(self) -> str:
        if backup.database_file(self.config) is None:
            return backup.POSTGRES_BACKUPS
        found = backup.list_backups(self.config.backup_dir)
        if not found:
            return "No backups yet. One is made automatically each day."
        newest = found[0]
        return (
            f"Newest backup: {newest.made_at:%a %d %b %Y %H:%M} ({newest.kind}). "
            f"{len(found)} kept in {self.config.backup_dir}."
        )

    # -- exporting -------------------------------------------------------------------------

    def start_export(self) -> None:
        if self.runner.busy:
            return
        request = self.request()
        try:
            request = request.checked()
        except KioskError as error:
            self.status.show_text(error.message, RED)
            return
        self.config.export_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        out = default_path(self.config.export_dir, request)
        url, actor = _database_url(self.sessions), self.staff.actor

        def job(progress: ProgressFn, cancelled: CancelledFn) -> ExportResult:
            engine = make_engine(url)
            try:
                return run_export(make_sessions(engine), actor, request, out, progress, cancelled)
            finally:
                engine.dispose()

        self.result_bar.setVisible(False)
        self.progress.setValue(0)
        self.status.show_text("Exporting…")
        self._set_busy(True)
        worker = self.runner.start(job, "export")
        self._connect(worker, self._export_finished)

    def _connect(self, worker: JobWorker, finished: Any) -> None:
        worker.progress.connect(self._progress)
        worker.finished.connect(finished)
        worker.failed.connect(self._failed)
        worker.cancelled.connect(self._cancelled)

    def _progress(self, done: int, total: int) -> None:
        self.progress.setValue(100 * done // total if total else 100)

    def _export_finished(self, result: ExportResult) -> None:
        self._set_busy(False)
        self.progress.setValue(100)
        self.last_result = result
        noun = "records summarised" if result.path.suffix == ".pdf" else "rows"
        self.status.show_text(f"Done: {result.rows:,} {noun}.", GREEN)
        self.result_label.setText(f"Saved as {result.path}")
        self.result_bar.setVisible(True)

    def _failed(self, message: str) -> None:
        self._set_busy(False)
        self.progress.setValue(0)
        self.status.show_text(message, RED)

    def _cancelled(self) -> None:
        self._set_busy(False)
        self.progress.setValue(0)
        self.status.show_text("Cancelled: no file was written.", RED)

    def cancel(self) -> None:
        self.runner.cancel()
        self.status.show_text("Cancelling…")

    def _open_result(self) -> None:
        if self.last_result is not None:
            self._open(self.last_result.path)

    def _open_folder(self) -> None:
        if self.last_result is not None:
            self._open(self.last_result.path.parent)

    def _open(self, path: Path) -> None:
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.status.show_text(f"Could not open it here. It is saved at {path}", RED)

    # -- backups (admins) ------------------------------------------------------------------

    def start_backup(self) -> None:
        if self.runner.busy:
            return
        config, actor = self.config, self.staff.actor

        def job(progress: ProgressFn, _cancelled: CancelledFn) -> BackupInfo:
            return backup.make_backup(config, actor=actor)

        self.progress.setRange(0, 0)  # busy: no steps to count
        self.status.show_text("Backing up…")
        self._set_busy(True)
        self.cancel_button.setEnabled(False)
        worker = self.runner.start(job, "backup")
        self._connect(worker, self._backup_finished)
        worker.done.connect(lambda: self.progress.setRange(0, 100))

    def _backup_finished(self, info: BackupInfo) -> None:
        self._set_busy(False)
        self.status.show_text(f"Backed up to {info.path.name} ({info.size:,} bytes).", GREEN)
        self.backup_label.setText(self._backup_words())

    def choose_restore(self) -> None:
        start = str(self.config.backup_dir)
        path, _filter = QFileDialog.getOpenFileName(
            self, "Choose a backup to restore", start, "Kiosk backups (*.db);;All files (*)"
        )
        if path and self.confirm_restore(Path(path)):
            pin = self.ask_pin()
            if pin:
                self.start_restore(Path(path), pin)

    def ask_pin(self) -> str:
        """The admin's PIN again: a restore replaces every record, so it is asked anew."""
        pin, ok = QInputDialog.getText(
            self,
            "Restore a backup",
            f"{self.staff.name}, enter your PIN to restore:",
            QLineEdit.EchoMode.Password,
        )
        return pin if ok else ""

    def confirm_restore(self, path: Path) -> bool:
        answer = QMessageBox.question(
            self,
            "Restore a backup",
            f"Replace the kiosk's records with {path.name}?\n\nAnything recorded since that "
            "backup is set aside: the current records are kept as a pre-restore backup. The "
            "file is checked first and refused if damaged or altered.",
        )
        return answer == QMessageBox.StandardButton.Yes

    def start_restore(self, path: Path, pin: str) -> None:
        if self.runner.busy:
            return
        config, name = self.config, self.staff.name

        def job(progress: ProgressFn, _cancelled: CancelledFn) -> RestoreResult:
            return restore.restore(config, path, admin_name=name, pin=pin)

        self.progress.setRange(0, 0)
        self.status.show_text("Checking the backup, then restoring…")
        self._set_busy(True)
        self.cancel_button.setEnabled(False)
        worker = self.runner.start(job, "restore")
        self._connect(worker, self._restore_finished)
        worker.done.connect(lambda: self.progress.setRange(0, 100))

    def _restore_finished(self, result: RestoreResult) -> None:
        self._set_busy(False)
        self.status.show_text(
            f"Restored {result.restored_from.name} ({result.events:,} events, chain intact). "
            "Please restart the kiosk.",
            GREEN,
        )
        self.backup_label.setText(self._backup_words())
