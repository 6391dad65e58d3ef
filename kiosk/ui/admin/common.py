"""Pieces the admin pages share beyond the console's own (message line, failures in plain
words, table models: kiosk.ui.staff): touch-sized controls, confirmations, background jobs
with a busy state, and where exported PDFs go."""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QUrl,
)
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QWidget,
)

from kiosk.config import Config
from kiosk.ui.staff import common as staff_common
from kiosk.ui.staff.common import failure_words
from kiosk.ui.staff.models import RowsModel, table_view
from kiosk.ui.style import AMBER, GREY, RED, TOUCH
from kiosk.ui.widgets.tasks import TaskRunner

log = logging.getLogger("kiosk.ui.admin")
T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex

FIELD_HEIGHT = 56  # inputs: at least 48 px to touch


class Feedback(staff_common.Feedback):
    """The console's message line, taking no room until there is something to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, collapsible=True)


_runner: TaskRunner | None = None


def admin_runner() -> TaskRunner:
    """The background thread for admin jobs. It belongs to the application, not to a
    panel: locking the console (which throws the panel away) in the middle of an import
    lets the import finish, instead of ending its thread half-way."""
    global _runner
    if _runner is None or not shiboken6.isValid(_runner) or not _runner.running:
        _runner = TaskRunner("admin-jobs", QCoreApplication.instance())
    return _runner


def release_admin_runner(*_args: object) -> None:
    """End the admin thread if it has nothing to do (a panel was closed); the next job
    starts a new one. A job still running keeps it until the application ends."""
    if _runner is not None and shiboken6.isValid(_runner) and _runner.pending == 0:
        _runner.stop()


@atexit.register
def _stop_admin_runner() -> None:
    # Before Qt tears the application down: a QThread destroyed while running aborts.
    if _runner is not None and shiboken6.isValid(_runner):
        _runner.stop()


class Jobs:
    """Long work (imports, PDFs) on the admin background thread; while a job runs, the
    page's action buttons are disabled so it cannot be started twice."""

    def __init__(self, feedback: Feedback, buttons: Sequence[QWidget]) -> None:
        self.feedback = feedback
        self.buttons = list(buttons)
        self.busy = False

    def start(
        self, what: str, busy_text: str, job: Callable[[], T], done: Callable[[T], None]
    ) -> None:
        self.busy = True
        self._enable(False)
        self.feedback.note(busy_text)

        def finished(result: Any, error: BaseException | None) -> None:
            self.busy = False
            if not shiboken6.isValid(self.feedback):
                if error is not None:  # the panel was closed meanwhile: still keep a trace
                    log.error("%s failed after its screen closed: %s", what, type(error).__name__)
                return
            self._enable(True)
            if error is not None:
                self.feedback.error(failure_words(error, what))
            else:
                done(result)

        admin_runner().submit(job, finished)

    def _enable(self, enabled: bool) -> None:
        for button in self.buttons:
            button.setEnabled(enabled)


def touch(widget: QWidget, height: int = FIELD_HEIGHT) -> QWidget:
    widget.setMinimumHeight(height)
    return widget


def button(
    text: str, role: str | None = None, on_click: Callable[[], None] | None = None
) -> QPushButton:
    """A push button at least TOUCH px high; ``role`` "primary" or "danger" colours it."""
    pressed = QPushButton(text)
    pressed.setMinimumHeight(TOUCH)
    if role:
        pressed.setProperty("role", role)
    if on_click is not None:
        pressed.clicked.connect(lambda _checked=False: on_click())
    return pressed


def title(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-size: 26px; font-weight: 800;")
    return label


def hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {GREY};")
    return label


Confirm = Callable[[QWidget, str, str], bool]


def ask(parent: QWidget, heading: str, text: str) -> bool:
    """A yes/no question with big buttons; No is the default."""
    box = QMessageBox(QMessageBox.Icon.Warning, heading, text, parent=parent)
    yes = box.addButton("Yes, go ahead", QMessageBox.ButtonRole.AcceptRole)
    no = box.addButton("No", QMessageBox.ButtonRole.RejectRole)
    for choice in (yes, no):
        choice.setMinimumHeight(TOUCH)
    box.setDefaultButton(no)
    box.exec()
    return box.clickedButton() is yes


def export_path(config: Config, stem: str) -> Path:
    """A new file in the data directory's exports folder, named by what and when."""
    folder = config.export_dir
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    safe = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-") or "export"
    return folder / f"{safe}-{dt.datetime.now():%Y%m%d-%H%M%S}.pdf"


def open_document(path: Path) -> bool:
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))


# --- Tables ----------------------------------------------------------------------------


def make_table(model: RowsModel, *, row_height: int = 48, compact: bool = False) -> QTableView:
    """A read-only, single-row-selection table of plain rows (no search, no sorting)."""
    return table_view(model, compact=compact, row_height=row_height)


def selected(view: QTableView, model: RowsModel) -> Any | None:
    rows = view.selectionModel().selectedRows()
    return model.row(rows[0].row()) if rows else None


def severity_colour(blocking: bool) -> str:
    return RED if blocking else AMBER
