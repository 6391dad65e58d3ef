"""The letter to parents from the console: made as a PDF in the data folder's receipts, its
making recorded, then emailed (where a mail server is set up) to the contacts with parental
responsibility. All of it runs off the GUI thread; ``LetterStatus`` shows how it went, with
the letter to open and a button to send it again when the mail server failed."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QScrollArea, QVBoxLayout, QWidget

from kiosk.config import Config
from kiosk.db import Database
from kiosk.keystore import KeyStore
from kiosk.printing.letters import letter_path, write_letter
from kiosk.qtfix import emit
from kiosk.services import letters, parent_mail
from kiosk.services.parent_mail import MailReport
from kiosk.services.staff import StaffMember
from kiosk.ui.background import Failure, Op
from kiosk.ui.staff.common import Feedback, receipts_folder
from kiosk.ui.widgets.document_bar import open_document

DSL_WORDS = (
    "Referred to the DSL: the letter is saved but not emailed. The DSL decides whether and "
    "when parents are told; a senior member of staff can email it from Lists, Confiscations."
)


@dataclass(frozen=True)
class LetterOutcome:
    path: Path
    report: MailReport | None  # None: not emailed (referred to the DSL)

    def words(self) -> str:
        saved = f"Letter to parents saved ({self.path.name})."
        return f"{saved} {self.report.words() if self.report else DSL_WORDS}"


def save_letter(sessions: Database, staff: StaffMember, data_dir: Path, custody_id: int) -> Path:
    """Write the letter's PDF and record that it was made; no file stays unrecorded."""
    letter = letters.letter_for(sessions, custody_id)
    path = write_letter(letter_path(receipts_folder(data_dir), custody_id), letter)
    try:
        letters.record_letter(sessions, staff.actor, custody_id, path.name)
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return path


def letter_and_email(
    sessions: Database, staff: StaffMember, config: Config, custody_id: int, *, email: bool
) -> LetterOutcome:
    """The worker's job: the letter, then (if ``email``) the emails. Runs off the GUI
    thread; the mail server's answers may take seconds."""
    path = save_letter(sessions, staff, config.data_dir, custody_id)
    if not email:
        return LetterOutcome(path, None)
    store = KeyStore.for_config(config)
    report = parent_mail.send_letter(
        sessions, staff.actor, custody_id, store, path.read_bytes(), path.name
    )
    return LetterOutcome(path, report)


class LetterStatus(QWidget):
    """Under a form: how the letter went, with "Open the letter" and "Email it again"."""

    finished = Signal()  # the letter was made (and emailed, or not): lists read it again

    def __init__(
        self, sessions: Database, staff: StaffMember, config: Config, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.sessions, self.staff, self.config = sessions, staff, config
        self.custody_id: int | None = None
        self.path: Path | None = None
        self.words = Feedback(collapsible=True)
        self.open_button = QPushButton("Open the letter")
        self.open_button.clicked.connect(self._open)
        self.again_button = QPushButton("Email it again")
        self.again_button.clicked.connect(self._again)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.again_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.words)
        layout.addLayout(buttons)
        self.reset()

    def reset(self) -> None:
        """Show nothing (another device is chosen)."""
        self.custody_id, self.path = None, None
        self.words.clear()
        self._show_buttons(False, False)

    def start(self, custody_id: int, *, email: bool = True) -> None:
        """Make the letter (and email it) for this confiscation, in the background."""
        self.custody_id = custody_id
        self._show_buttons(False, False)
        self.words.note("Writing the letter to parents…" + (" and emailing it" if email else ""))
        job = partial(
            letter_and_email, self.sessions, self.staff, self.config, custody_id, email=email
        )
        Op(self, "Writing the letter to parents", job).success(
            partial(self._done, custody_id)
        ).failure(self._failed).run()

    def _done(self, custody_id: int, outcome: LetterOutcome) -> None:
        if custody_id != self.custody_id:
            return  # another confiscation is shown now
        self.path = outcome.path
        report = outcome.report
        failed = report is not None and bool(report.failed)
        if failed:
            self.words.error(outcome.words())
        else:
            self.words.ok(outcome.words())
        self._show_buttons(True, failed)
        self._bring_into_view()
        emit(self.finished)

    def _failed(self, failure: Failure) -> None:
        self.words.error(f"The letter was not made: {failure.words}")
        self._show_buttons(False, self.custody_id is not None)
        self._bring_into_view()

    def _bring_into_view(self) -> None:
        """Under a form that scrolls (a short screen), scroll to these words: the office
        must see that an email did not go."""
        holder = self.parentWidget()
        while holder is not None and not isinstance(holder, QScrollArea):
            holder = holder.parentWidget()
        if isinstance(holder, QScrollArea):
            area = holder  # after the new words are laid out; never after self is gone
            QTimer.singleShot(0, self, lambda: area.ensureWidgetVisible(self))

    def _show_buttons(self, can_open: bool, can_send_again: bool) -> None:
        self.open_button.setVisible(can_open)
        self.again_button.setVisible(can_send_again)

    def _open(self) -> None:
        if self.path is not None and not open_document(self.path):
            self.words.error(f"Could not open a PDF viewer. The letter is at {self.path}")

    def _again(self) -> None:
        if self.custody_id is not None:
            self.start(self.custody_id)
