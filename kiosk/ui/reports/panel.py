"""The reports panel of the staff console (senior staff and admins): export the custody or
audit log, or the summary for governors, for a period and optional filters, with a progress
bar and a cancel button; admins also back up and restore the database here.

The work runs in the background on the panel's own lane and opens its own sessions; this
screen only starts jobs, shows their progress and says how they ended.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
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

from kiosk.clock import local_date, moment_text, utcnow
from kiosk.config import Config
from kiosk.db import Database
from kiosk.errors import DatabaseUnavailable, KioskError
from kiosk.exports.run import ExportRequest, ExportResult, Format, Report, default_path, run_export
from kiosk.rules import Action, may
from kiosk.services import backup, restore
from kiosk.services.backup import BackupInfo
from kiosk.services.reports.filter import ReportFilter
from kiosk.services.reports.reader import forms
from kiosk.services.restore import RestoreResult
from kiosk.services.staff import StaffMember
from kiosk.ui.background import Failure, Lane, Op, Progress, Ticket, describe_failure
from kiosk.ui.reports.form import (
    FORMAT_CHOICES,
    KIND_CHOICES,
    REPORT_CHOICES,
    Status,
    choices,
    pydate,
    qdate,
    school_year_start,
)
from kiosk.ui.style import GREEN, RED
from kiosk.ui.widgets.document_bar import open_document

log = logging.getLogger("kiosk.ui.reports")
KIND_WORDS = {"auto": "automatic", "manual": "made by hand", "pre-restore": "before a restore"}
KEPT_WORDS = (
    "Backups made with Back up now, and the copies kept before a restore, stay until you "
    "delete them; automatic ones are thinned to daily, weekly and monthly copies."
)


class ReportsPanel(QWidget):
    def __init__(
        self, sessions: Database, staff: StaffMember, config: Config, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.sessions, self.staff, self.config = sessions, staff, config
        self.lane = Lane("reports", owner=self)  # closing the panel cancels its job
        self.ticket: Ticket | None = None
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
        self.report_box = choices(REPORT_CHOICES)
        if not may(self.staff.role, Action.RECORD_SEARCH):  # safeguarding: seniors only
            self.report_box.removeItem(self.report_box.findData("searches"))
        self.report_box.currentIndexChanged.connect(self._report_changed)
        self.format_box = choices(FORMAT_CHOICES)
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
        self.kind_box = choices(KIND_CHOICES)
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
        edit = QDateEdit(qdate(day))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("dd/MM/yyyy")  # as the school writes dates (kiosk.clock)
        return edit

    def _forms(self) -> list[str]:
        try:
            return forms(self.sessions)
        except DatabaseUnavailable as error:  # the list is a convenience: carry on without it
            log.warning("Forms not loaded: %s", describe_failure(error))
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
        return box

    # -- state -----------------------------------------------------------------------------

    def _report_changed(self) -> None:
        summary = self.report_box.currentData() == "summary"
        self.format_box.setEnabled(not summary)
        self.kind_box.setEnabled(self.report_box.currentData() != "searches")  # not devices

    def request(self) -> ExportRequest:
        report: Report = self.report_box.currentData()
        fmt: Format = "pdf" if report == "summary" else self.format_box.currentData()
        which = ReportFilter(
            pydate(self.date_from.date()),
            pydate(self.date_to.date()),
            self.year_box.currentData(),
            self.form_box.currentData(),
            self.kind_box.currentData(),
        )
        return ExportRequest(report, fmt, which)

    @property
    def busy(self) -> bool:
        return self.ticket is not None and not self.ticket.finished

    def _start(self, op: Op[Any], on_success: Any) -> None:
        self._set_busy(True)
        self.ticket = op.success(on_success).failure(self._failed).run(self.lane)

    def _set_busy(self, busy: bool) -> None:
        if not busy:
            self.progress.setRange(0, 100)
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
            return f"No backups yet. One is made automatically each day. {KEPT_WORDS}"
        newest, by_hand = found[0], sum(b.kind != "auto" for b in found)
        return (
            f"Newest backup: {moment_text(newest.made_at)} ({KIND_WORDS[newest.kind]}). "
            f"{len(found)} kept in {self.config.backup_dir}, {by_hand} of them made by "
            f"hand or before a restore. {KEPT_WORDS}"
        )

    # -- exporting -------------------------------------------------------------------------

    def start_export(self) -> None:
        if self.busy:
            return
        request = self.request()
        try:
            request = request.checked()
        except KioskError as error:
            self.status.show_text(error.message, RED)
            return
        self.config.export_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        out = default_path(self.config.export_dir, request)
        sessions, actor = self.sessions, self.staff.actor

        def job(progress: Progress) -> ExportResult:
            # the engine's pool hands this thread a connection of its own
            return run_export(sessions, actor, request, out, progress.report, progress.cancelled)

        self.result_bar.setVisible(False)
        self.progress.setValue(0)
        self.status.show_text("Exporting…")
        op = Op.tracked(self, "The export", job).with_progress(self._progress)
        self._start(op.cancelled(self._cancelled), self._export_finished)

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

    def _failed(self, failure: Failure) -> None:
        self._set_busy(False)
        self.progress.setValue(0)
        self.status.show_text(failure.words, RED)

    def _cancelled(self) -> None:
        self._set_busy(False)
        self.progress.setValue(0)
        self.status.show_text("Cancelled: no file was written.", RED)

    def cancel(self) -> None:
        if self.ticket is not None:
            self.ticket.cancel()
        self.status.show_text("Cancelling…")

    def _open_result(self) -> None:
        if self.last_result is not None:
            self._open(self.last_result.path)

    def _open_folder(self) -> None:
        if self.last_result is not None:
            self._open(self.last_result.path.parent)

    def _open(self, path: Path) -> None:
        if not open_document(path):
            self.status.show_text(f"Could not open it here. It is saved at {path}", RED)

    # -- backups (admins) ------------------------------------------------------------------

    def start_backup(self) -> None:
        if self.busy:
            return
        job = partial(backup.make_backup, self.config, actor=self.staff.actor)
        self.progress.setRange(0, 0)  # busy: no steps to count
        self.status.show_text("Backing up…")
        self._start(Op(self, "The backup", job), self._backup_finished)
        self.cancel_button.setEnabled(False)

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
        if self.busy:
            return
        job = partial(restore.restore, self.config, path, admin_name=self.staff.name, pin=pin)
        self.progress.setRange(0, 0)
        self.status.show_text("Checking the backup, then restoring…")
        self._start(Op(self, "The restore", job), self._restore_finished)
        self.cancel_button.setEnabled(False)

    def _restore_finished(self, result: RestoreResult) -> None:
        self._set_busy(False)
        self.status.show_text(
            f"Restored {result.restored_from.name} ({result.events:,} events, chain intact). "
            "Please restart the kiosk.",
            GREEN,
        )
        self.backup_label.setText(self._backup_words())
