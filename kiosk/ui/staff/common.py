"""Pieces every console screen uses: a message line, running a service call so that any
failure becomes words on the screen (never a traceback), times in school-local words, the
pupil's photo, and saving then opening a receipt."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kiosk.clock import local_date, to_local, utcnow
from kiosk.config import Config
from kiosk.db import Database
from kiosk.db_limits import deadline
from kiosk.printing import receipts
from kiosk.services import chain_of_custody, console, pupils, settings
from kiosk.services.common import PupilSummary
from kiosk.services.console import FreeSlot, HeldDevice
from kiosk.services.staff import StaffMember
from kiosk.ui.background import Failure, Op, describe_failure
from kiosk.ui.style import GREEN, GREY, RED

log = logging.getLogger("kiosk.ui.staff")
T = TypeVar("T")

PHOTO_SIZE = (180, 225)
SIDE_PANEL_MIN = 420
STAFF_CALL_S = 10.0  # a console look-up or action that takes longer gives up its connection


class Feedback(QLabel):
    """One line of plain words under a form: green when something was done, red when not,
    grey for a note. ``collapsible``: it takes no room until there is something to say."""

    def __init__(self, parent: QWidget | None = None, *, collapsible: bool = False) -> None:
        super().__init__("", parent)
        self.collapsible = collapsible
        self.setWordWrap(True)
        self.setMinimumHeight(32)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setVisible(not collapsible)

    def _show(self, text: str, colour: str, weight: int) -> None:
        self.setStyleSheet(f"color: {colour}; font-weight: {weight};")
        self.setText(text)
        if self.collapsible:
            self.setVisible(bool(text))

    def ok(self, text: str) -> None:
        self._show(text, GREEN, 700)

    def error(self, text: str) -> None:
        self._show(text, RED, 700)

    def note(self, text: str) -> None:
        self._show(text, GREY, 400)

    def clear(self) -> None:
        self.setText("")
        if self.collapsible:
            self.setVisible(False)

    @property
    def is_error(self) -> bool:
        return RED in self.styleSheet() and bool(self.text())


class ConsoleTab(QWidget):
    """A staff console tab: the database, who is logged in, the kiosk's configuration and
    the tab's message line."""

    def __init__(self, sessions: Database, staff: StaffMember, config: Config) -> None:
        super().__init__()
        self.sessions, self.staff, self.config = sessions, staff, config
        self.feedback = Feedback()

    def lay_out(self, left: QLayout, right: QVBoxLayout, width: int) -> None:
        """``left`` (a list, a finder) takes the room; ``right`` is a side panel about
        ``width`` px wide that scrolls on a short screen."""
        right.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addWidget(side_panel(right, width))


def attempt(
    owner: QWidget,
    feedback: Feedback,
    what: str,
    action: Callable[[], T],
    then: Callable[[T], None] | None = None,
    otherwise: Callable[[], None] | None = None,
) -> None:
    """Run one short service call (a look-up, or one write behind a button) off the GUI
    thread, bounded by the kiosk's deadline; ``then`` gets its result on the GUI thread.
    A failure becomes words under the form; services do one transaction each, so a
    failure has changed nothing (``otherwise`` runs after its words are shown). Read
    widgets before, never inside ``action``: it runs on a worker thread. The screen answers
    taps meanwhile; ``owner`` shows a busy cursor until the answer comes."""
    owner.setCursor(Qt.CursorShape.BusyCursor)

    def answered(result: T) -> None:
        owner.unsetCursor()
        if then is not None:
            then(result)

    def failed(failure: Failure) -> None:
        owner.unsetCursor()
        feedback.error(failure.words)
        if otherwise is not None:
            otherwise()

    Op(owner, what, partial(_bounded, action)).success(answered).failure(failed).run()


def _bounded(action: Callable[[], T]) -> T:
    with deadline(STAFF_CALL_S):
        return action()


def read_card(
    owner: QWidget,
    feedback: Feedback,
    sessions: Database,
    text: str,
    then: Callable[[PupilSummary], None],
) -> None:
    """Find the pupil whose card was scanned as ``text`` (off the GUI thread)."""
    attempt(owner, feedback, "Reading a card", partial(pupils.find_by_card, sessions, text), then)


def load_free_slots(
    owner: QWidget, feedback: Feedback, sessions: Database, then: Callable[[list[FreeSlot]], None]
) -> None:
    """The slots a device may go into now (off the GUI thread)."""
    attempt(owner, feedback, "Loading free slots", partial(console.free_slots, sessions), then)


def load_held(
    owner: QWidget, feedback: Feedback, sessions: Database, then: Callable[[list[HeldDevice]], None]
) -> None:
    """Every device held now (off the GUI thread)."""
    attempt(owner, feedback, "Loading held devices", partial(console.all_held, sessions), then)


def when_text(value: dt.datetime | None, today: dt.date | None = None) -> str:
    """A stored time in school-local words: "07:45" today, "Tue 10 Mar 07:45" before."""
    if value is None:
        return ""
    local = to_local(value)
    if local.date() == (today or local_date(utcnow())):
        return f"{local:%H:%M}"
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def school_today() -> dt.date:
    return local_date(utcnow())


def date_text(value: dt.date | None) -> str:
    return "" if value is None else f"{value:%a} {value.day} {value:%b %Y}"


def pupil_line(pupil: PupilSummary) -> str:
    return f"{pupil.reg_group}, Year {pupil.year_group}, admission no. {pupil.admission_number}"


def pupil_search_text(pupil: PupilSummary) -> str:
    """What the search boxes match: name, form, year (as "year 9" or "y9"), admission no."""
    return (
        f"{pupil.display_name} {pupil.reg_group} year {pupil.year_group} y{pupil.year_group} "
        f"{pupil.admission_number}"
    )


class PhotoLabel(QLabel):
    """The pupil's photo for the identity check, or a plain "No photo" box."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(*PHOTO_SIZE)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFrameShape(QFrame.Shape.Box)
        self.has_photo = False
        self.pupil_id: int | None = None
        self.show_pupil(None, None)

    def show_pupil(self, sessions: Database | None, pupil: PupilSummary | None) -> None:
        """The photo is read in the background and shown when it comes (if this pupil is
        still the one shown); meanwhile, and without one, the box says so."""
        self.clear()
        self.has_photo = False
        self.pupil_id = pupil.id if pupil is not None else None
        self.setText("No photo" if pupil is not None else "")
        if sessions is not None and pupil is not None and pupil.has_photo:
            self.setText("Loading the photo…")
            job = partial(_bounded, partial(pupils.photo, sessions, pupil.id))
            Op(self, "Loading a photo", job).success(partial(self._show_photo, pupil.id)).failure(
                partial(self._no_photo, pupil.id)
            ).run()

    def _show_photo(self, pupil_id: int, data: bytes | None) -> None:
        if pupil_id != self.pupil_id:
            return  # another pupil is shown now
        pixmap = QPixmap()
        if not data or not pixmap.loadFromData(data):
            self.setText("No photo")
            return
        self.setPixmap(
            pixmap.scaled(
                self.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
        self.has_photo = True

    def _no_photo(self, pupil_id: int, failure: Failure) -> None:
        # The photo helps the check; the screen carries on without it.
        log.warning("Photo not loaded: %s", describe_failure(failure.error))
        if pupil_id == self.pupil_id:
            self.setText("No photo")


def receipts_folder(data_dir: Path) -> Path:
    folder = data_dir / "receipts"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def warning_row(text: str, colour: str, button: QPushButton) -> QWidget:
    """A warning in words, with the button that deals with it beside."""
    row = QWidget()
    words = QLabel(text)
    words.setWordWrap(True)
    words.setStyleSheet(f"color: {colour}; font-size: 18px; font-weight: 700;")
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(words, 1)
    layout.addWidget(button)
    return row


def heading_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-size: 24px; font-weight: 800;")
    label.setWordWrap(True)
    return label


def save_receipt(
    sessions: Database, staff: StaffMember, data_dir: Path, custody_id: int, kind: str
) -> Path:
    """Write a receipt PDF into the data directory and record that it was printed. If the
    record cannot be written, the file is removed: no receipt leaves unrecorded."""
    chain = chain_of_custody.chain_of_custody(sessions, custody_id)
    school_name = settings.load(sessions).school_name
    path = receipts.receipt_path(receipts_folder(data_dir), kind, custody_id)
    write = receipts.release_receipt if kind == "release" else receipts.custody_receipt
    write(path, chain, school_name=school_name, printed_by=staff.name)
    try:
        chain_of_custody.record_receipt(sessions, staff.actor, custody_id, kind)
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return path


class PupilHeader(QWidget):
    """Photo, name and form of the pupil being dealt with: the identity check."""

    def __init__(self, sessions: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sessions = sessions
        self.pupil: PupilSummary | None = None
        self.photo = PhotoLabel()
        self.name = heading_label()
        self.details = QLabel("")
        self.details.setWordWrap(True)
        text = QVBoxLayout()
        text.addWidget(self.name)
        text.addWidget(self.details)
        text.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.photo)
        layout.addLayout(text, 1)

    def show_pupil(self, pupil: PupilSummary | None, placeholder: str = "") -> None:
        self.pupil = pupil
        self.photo.show_pupil(self.sessions, pupil)
        self.name.setText(pupil.display_name if pupil else placeholder)
        self.details.setText(pupil_line(pupil) if pupil else "")


class SidePanel(QScrollArea):
    """The form beside a list. It scrolls rather than squashes when the screen is short
    (a 1366 x 768 laptop, or a long message under the form), and gives up width down to
    SIDE_PANEL_MIN on a 1024 px screen, so the list beside keeps its columns."""

    def __init__(self, layout: QVBoxLayout, width: int) -> None:
        super().__init__()
        self.wanted = width
        inner = QWidget()
        inner.setLayout(layout)
        self.setWidget(inner)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def minimumSizeHint(self) -> QSize:
        """Never narrower than the form inside (nothing scrolls sideways)."""
        inner = self.widget()
        needs = inner.minimumSizeHint().width() if inner is not None else 0
        needs += self.verticalScrollBar().sizeHint().width()
        width = max(min(self.wanted, SIDE_PANEL_MIN), needs)
        return QSize(width, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        width = max(self.wanted, self.minimumSizeHint().width())
        return QSize(width, super().sizeHint().height())


def side_panel(layout: QVBoxLayout, width: int) -> QScrollArea:
    return SidePanel(layout, width)
