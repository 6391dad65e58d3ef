"""Pieces the admin pages share beyond the console's own (message line, failures in plain
words, table models: kiosk.ui.staff): touch-sized controls, confirmations, background jobs
with a busy state, and where exported PDFs go."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton, QTableView, QVBoxLayout, QWidget

from kiosk.config import Config
from kiosk.db import Database
from kiosk.services import settings
from kiosk.services.staff import StaffMember
from kiosk.ui.background import Failure, Op, Progress
from kiosk.ui.staff import common as staff_common
from kiosk.ui.staff.common import attempt
from kiosk.ui.staff.models import RowsModel
from kiosk.ui.style import AMBER, GREY, RED, TOUCH

log = logging.getLogger("kiosk.ui.admin")
T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex

FIELD_HEIGHT = 56  # inputs: at least 48 px to touch


class Feedback(staff_common.Feedback):
    """The console's message line, taking no room until there is something to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, collapsible=True)


class Jobs:
    """Long work (imports, PDFs) in the background; while a job runs, the page's action
    buttons are disabled so it cannot be started twice. The jobs run on the application's
    shared lane: locking the console in the middle of an import lets the import finish."""

    def __init__(self, feedback: Feedback, buttons: Sequence[QWidget]) -> None:
        self.feedback = feedback
        self.buttons = list(buttons)
        self.busy = False

    def start(
        self, what: str, busy_text: str, job: Callable[[], T], done: Callable[[T], None]
    ) -> None:
        self._run(Op(self.feedback, what, job), busy_text, done)

    def start_tracked(
        self,
        what: str,
        busy_text: str,
        job: Callable[[Progress], T],
        done: Callable[[T], None],
        on_progress: Callable[[int, int], None],
    ) -> None:
        self._run(Op.tracked(self.feedback, what, job).with_progress(on_progress), busy_text, done)

    def _run(self, op: Op[T], busy_text: str, done: Callable[[T], None]) -> None:
        self.busy = True
        self._enable(False)
        self.feedback.note(busy_text)

        def succeeded(result: T) -> None:
            self._ended()
            done(result)

        def failed(failure: Failure) -> None:
            self._ended()
            self.feedback.error(failure.words)

        op.success(succeeded).failure(failed).run()

    def _ended(self) -> None:
        self.busy = False
        self._enable(True)

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


class AdminPage(QWidget):
    """An admin page: the database, who is signed in, its message line, and how it asks
    "are you sure?" (a test answers for the admin by setting ``confirm``)."""

    def __init__(self, sessions: Database, staff: StaffMember) -> None:
        super().__init__()
        self.sessions, self.staff = sessions, staff
        self.confirm: Confirm = ask
        self.feedback = Feedback()

    def headed(self, heading: str, explanation: str = "") -> QVBoxLayout:
        """The page's layout, begun with its title and what the page is for."""
        layout = QVBoxLayout(self)
        layout.addWidget(title(heading))
        if explanation:
            layout.addWidget(hint(explanation))
        return layout


class SettingsFormPage(AdminPage):
    """An admin page editing school settings: the values as loaded, what has changed
    since, and saving the changes (then reading them back)."""

    def __init__(self, sessions: Database, staff: StaffMember) -> None:
        super().__init__(sessions, staff)
        self.loaded: dict[str, str] = {}

    def values(self) -> dict[str, str]:
        raise NotImplementedError

    def reload(self) -> None:
        raise NotImplementedError

    def changes(self) -> dict[str, str]:
        """The settings changed on the page; none says so."""
        changes = {k: v for k, v in self.values().items() if v.strip() != self.loaded.get(k)}
        if not changes:
            self.feedback.note("Nothing has changed.")
        return changes

    def save_changes(self, what: str, changes: dict[str, str], saved: str) -> None:
        sessions, actor = self.sessions, self.staff.actor

        def done(_: object) -> None:
            self.reload()
            self.feedback.ok(saved)

        attempt(self, self.feedback, what, lambda: settings.update(sessions, actor, changes), done)


def export_path(config: Config, stem: str) -> Path:
    """A new file in the data directory's exports folder, named by what and when."""
    folder = config.export_dir
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    safe = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-") or "export"
    return folder / f"{safe}-{dt.datetime.now():%Y%m%d-%H%M%S}.pdf"


def selected(view: QTableView, model: RowsModel) -> Any | None:
    rows = view.selectionModel().selectedRows()
    return model.row(rows[0].row()) if rows else None


def severity_colour(blocking: bool) -> str:
    return RED if blocking else AMBER
