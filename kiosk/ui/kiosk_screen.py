"""The screen a pupil sees: "Show your card", then their slot, huge.

Scans (camera or USB scanner) arrive as text in ``KioskScreen.handle_scan``. The database
work for a scan runs on a ``TaskRunner`` thread, so the screen never freezes even when
the database is slow or gone; the answer comes back as an ``Answer`` (what to show) and
is painted here. Nothing a pupil sees names their year, form or UPN: only their photo,
preferred forename and surname initial, and their slot.

Morning (hand-in mode): the pupil gets the lowest free slot, or the slot they already
have. Home time (collection mode): the screen shows photo, name and slot to the member of
staff beside the kiosk, who taps "Give back"; giving a phone back is a staff action
(``custody.collect`` requires one), so the first "Give back" asks for a staff PIN and the
kiosk remembers that member until collection mode ends, they sign out, or
``STAFF_IDLE_SECONDS`` pass without a confirmation. A confiscated device is never offered.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QHideEvent,
    QImage,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.exc import DBAPIError

from kiosk.clock import to_local, utcnow
from kiosk.config import Config
from kiosk.db import Sessions
from kiosk.errors import (
    CardRevoked,
    KioskError,
    NoFreeSlot,
    NotAuthorised,
    NotHeld,
    PupilNotActive,
    UndoWindowPassed,
    UnknownCard,
    UnknownPupil,
)
from kiosk.event_kinds import EventKind
from kiosk.scanning.debounce import ScanDebouncer
from kiosk.services import custody, kiosk_events, pupils, settings
from kiosk.services.common import PupilSummary
from kiosk.services.custody import CollectionCheck, CustodyInfo, HandInResult
from kiosk.services.settings import SchoolSettings
from kiosk.services.staff import StaffMember
from kiosk.ui.collection import CollectionPage
from kiosk.ui.sounds import Sound, SoundPlayer
from kiosk.ui.style import (
    INK,
    KIOSK_BAR,
    KIOSK_IDLE,
    KIOSK_MUTED,
    PAPER,
    TONE_COLOURS,
    TOUCH,
    kiosk_button_css,
)
from kiosk.ui.widgets.card_guide import CardGuidePreview
from kiosk.ui.widgets.fit_text import FitText
from kiosk.ui.widgets.image_view import ImageView
from kiosk.ui.widgets.page import ColouredPage
from kiosk.ui.widgets.pinpad import StaffLogin
from kiosk.ui.widgets.slot_number import SlotNumber
from kiosk.ui.widgets.tasks import TaskRunner

if TYPE_CHECKING:
    from kiosk.scanning.camera import CameraService

log = logging.getLogger(__name__)

REPEAT_SCAN_SECONDS = 3.0  # the same card again within this is the same scan
UNDO_SECONDS = 20  # a new hand-in's result (with its Undo button) stays this long
RESULT_SECONDS = 8
ERROR_SECONDS = 10
CONFIRM_SECONDS = 60
COLLECTED_SECONDS = 6
BUSY_AFTER_MS = 400  # say "One moment" if the database has not answered by then
SETTINGS_REFRESH_MS = 30_000
STAFF_IDLE_SECONDS = 15 * 60
STAFF_PAGE_SECONDS = 90
PHOTO_MAX_PX = 600
DB_PROBLEM = "The kiosk cannot reach its records. Please see the office."
LEFT = Qt.AlignmentFlag.AlignLeft


# -- what to show: pure decisions, no widgets ----------------------------------------------


class Mode(StrEnum):
    HANDIN = "handin"
    COLLECTION = "collection"


def effective_mode(school: SchoolSettings | None, local_time: dt.time) -> Mode:
    """The school's chosen mode; "auto" means home time between the collection times and
    hand-in at any other time (a late pupil must always be able to hand a phone in)."""
    if school is None or school.mode == Mode.HANDIN:
        return Mode.HANDIN
    if school.mode == Mode.COLLECTION:
        return Mode.COLLECTION
    in_window = school.collection_opens <= local_time < school.collection_closes
    return Mode.COLLECTION if in_window else Mode.HANDIN


class State(StrEnum):
    IDLE = "idle"
    HANDED_IN = "handed_in"
    ALREADY_HANDED_IN = "already_handed_in"
    EXEMPT = "exempt"
    UNDONE = "undone"
    COLLECT_CONFIRM = "collect_confirm"
    COLLECTED = "collected"
    CONFISCATED = "confiscated"
    NOTHING_HELD = "nothing_held"
    ERROR = "error"
    STAFF = "staff"


class Tone(StrEnum):
    SUCCESS = "success"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


TONE_SOUNDS = {
    Tone.SUCCESS: Sound.SUCCESS,
    Tone.INFO: Sound.INFO,
    Tone.WARNING: Sound.ERROR,
    Tone.ERROR: Sound.ERROR,
}


@dataclass(frozen=True)
class Outcome:
    """One result screen: everything the page needs, nothing it may not show."""

    state: State
    tone: Tone
    title: str
    message: str
    slot: int | None = None
    custody_id: int | None = None
    seconds: int = RESULT_SECONDS
    undo: bool = False
    note: str = ""


@dataclass(frozen=True)
class Answer:
    """An outcome, and whose photo goes with it. The slot number is painted first; the
    photo (``photo_of`` the pupil with that id) is read afterwards and put in its box."""

    outcome: Outcome
    photo_of: int | None = None
    photo: QImage | None = None


def hand_in_outcome(result: HandInResult) -> Outcome:
    name = result.pupil.screen_name
    if result.exemption is not None:
        words = result.exemption.category_words
        return Outcome(State.EXEMPT, Tone.INFO, name, f"You may keep your device: {words}")
    if result.slot_number is None:  # held, but in no slot: only staff can sort that out
        message = "Your phone is already with the office."
        return Outcome(State.ALREADY_HANDED_IN, Tone.INFO, name, message)
    slot = result.slot_number
    if result.already_held:
        message = f"You have already handed in. Your phone is in slot {slot}"
        return Outcome(State.ALREADY_HANDED_IN, Tone.INFO, name, message, slot=slot)
    return Outcome(
        State.HANDED_IN,
        Tone.SUCCESS,
        name,
        f"Switch your phone off and put it in slot {slot}",
        slot=slot,
        custody_id=result.custody_id,
        seconds=UNDO_SECONDS,
        undo=True,
    )


HELD_FOR_PARENT = "Held for a parent/carer: please see the office"


def collection_outcome(check: CollectionCheck) -> Outcome:
    name = check.pupil.screen_name
    daily = check.daily
    if daily is None and check.confiscations:
        return Outcome(State.CONFISCATED, Tone.WARNING, name, HELD_FOR_PARENT)
    if daily is None:
        message = "No phone is waiting for you. If you handed one in, please see the office."
        return Outcome(State.NOTHING_HELD, Tone.INFO, name, message)
    note = f"Another device is {HELD_FOR_PARENT[0].lower()}{HELD_FOR_PARENT[1:]}"
    return Outcome(
        State.COLLECT_CONFIRM,
        Tone.INFO,
        name,
        f"Phone in slot {daily.slot_number}",
        slot=daily.slot_number,
        custody_id=daily.id,
        seconds=CONFIRM_SECONDS,
        note=note if check.confiscations else "",
    )


def collected_outcome(info: CustodyInfo) -> Outcome:
    return Outcome(
        State.COLLECTED,
        Tone.SUCCESS,
        info.pupil.screen_name,
        f"Phone given back from slot {info.slot_number}. Goodbye!",
        slot=info.slot_number,
        seconds=COLLECTED_SECONDS,
    )


def undone_outcome(slot: int | None) -> Outcome:
    where = f"slot {slot}" if slot is not None else "a slot"
    message = f"If your phone is already in {where}, take it out. Then scan your own card."
    return Outcome(State.UNDONE, Tone.INFO, "Hand-in cancelled", message)


ERROR_TITLES: tuple[tuple[type[KioskError], str], ...] = (
    (UnknownCard, "Card not recognised"),
    (UnknownPupil, "Card not recognised"),
    (CardRevoked, "This card has been replaced"),
    (PupilNotActive, "Card not accepted"),
    (NoFreeSlot, "No free slot"),
    (UndoWindowPassed, "Too late to undo"),
    (NotHeld, "Nothing to give back"),
    (NotAuthorised, "Staff only"),
)


def error_outcome(error: BaseException) -> Outcome:
    """Plain words and what to do; an unexpected failure (the database is locked, gone or
    full, a bug) reads as "cannot reach its records", never as a traceback."""
    if not isinstance(error, KioskError):
        return Outcome(
            State.ERROR, Tone.ERROR, "Kiosk not working", DB_PROBLEM, seconds=ERROR_SECONDS
        )
    title = next(
        (t for kind, t in ERROR_TITLES if isinstance(error, kind)), "Please see the office"
    )
    message = error.message
    if message.lower().startswith(title.lower()):  # "Card not recognised. Please see ..."
        message = message[len(title) :].lstrip(" .:") or message
    return Outcome(State.ERROR, Tone.ERROR, title, message, seconds=ERROR_SECONDS)


def safe_description(error: BaseException) -> str:
    """What went wrong, for the log file: the kind of error and the database driver's own
    first line ("database is locked"), never the statement's parameters."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        first_line = (str(error.orig).splitlines() or [""])[0]
        return f"{type(error).__name__} ({type(error.orig).__name__}: {first_line})"
    if isinstance(error, KioskError):
        return type(error).__name__
    return f"{type(error).__name__}"


def log_failure(what: str, error: BaseException) -> None:
    stack = "".join(traceback.format_tb(error.__traceback__))
    log.error("%s failed: %s\n%s", what, safe_description(error), stack)


# -- the work for one tap or scan, run on the worker thread --------------------------------


def photo_of(pupil: PupilSummary) -> int | None:
    return pupil.id if pupil.has_photo else None


def load_photo(sessions: Sessions, pupil_id: int) -> QImage | None:
    """The pupil's photo, decoded and shrunk for the screen; None if none or unreadable
    (a bad photo must never spoil a hand-in that has already been recorded)."""
    try:
        data = pupils.photo(sessions, pupil_id)
        image = QImage.fromData(data) if data else QImage()
    except Exception as error:
        log_failure("Loading a photo", error)
        return None
    if image.isNull():
        return None
    if max(image.width(), image.height()) > PHOTO_MAX_PX:
        image = image.scaled(
            PHOTO_MAX_PX,
            PHOTO_MAX_PX,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    return image


def scan_job(sessions: Sessions, mode: Mode, text: str) -> Answer:
    if mode is Mode.COLLECTION:
        check = custody.check_collection(sessions, text)
        return Answer(collection_outcome(check), photo_of(check.pupil))
    result = custody.hand_in_by_card(sessions, text)
    return Answer(hand_in_outcome(result), photo_of(result.pupil))


def collect_job(sessions: Sessions, custody_id: int, member: StaffMember) -> Answer:
    info = custody.collect(sessions, custody_id, member.actor)
    return Answer(collected_outcome(info), photo_of(info.pupil))


def undo_job(sessions: Sessions, custody_id: int, slot: int | None) -> Answer:
    custody.undo_hand_in(sessions, custody_id)
    return Answer(undone_outcome(slot))


# -- the pages -----------------------------------------------------------------------------


def _button(text: str) -> QPushButton:
    button = QPushButton(text)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys belong to the scanner
    return button


class TopBar(QWidget):
    """School name, what the kiosk is doing now, and the discreet Staff button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.school = FitText(max_px=30, align=LEFT)
        self.mode = FitText(max_px=26, colour=KIOSK_MUTED)
        self.staff_button = _button("Staff")
        layout = QHBoxLayout(self)
        layout.addWidget(self.school, 5)
        layout.addWidget(self.mode, 4)
        layout.addWidget(self.staff_button)

    def set_mode(self, mode: Mode) -> None:
        words = "Home time" if mode is Mode.COLLECTION else "Morning hand-in"
        self.mode.setText(words)

    def apply_scale(self, scale: float) -> None:
        height = max(TOUCH + 8, round(72 * scale))
        self.setFixedHeight(height)
        layout = self.layout()
        if layout is not None:
            layout.setContentsMargins(round(20 * scale), 4, round(12 * scale), 4)
        self.school.set_max_px(round(32 * scale))
        self.mode.set_max_px(round(26 * scale))
        self.staff_button.setStyleSheet(
            # min-height is the content box: with the 2 px border the button is TOUCH tall.
            f"QPushButton {{ min-height: {TOUCH - 4}px; min-width: {round(110 * scale)}px;"
            f" padding: 0px 16px;"
            f" font-size: {round(22 * scale)}px; color: {KIOSK_MUTED}; background: {KIOSK_BAR};"
            f" border: 2px solid #4b5563; border-radius: 10px; }}"
        )

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(KIOSK_BAR))
        painter.end()


class IdlePage(ColouredPage):
    """Camera preview and "Show your card"; works just as well with no camera."""

    def __init__(self, has_camera: bool, parent: QWidget | None = None) -> None:
        super().__init__(KIOSK_IDLE, parent)
        self.preview = CardGuidePreview(placeholder="Starting the camera…", text_colour=KIOSK_MUTED)
        self.preview.setVisible(has_camera)
        self.headline = FitText("Show your card", max_px=80)
        self.hint = FitText(max_px=34, bold=False, colour=KIOSK_MUTED)
        self.status = FitText(max_px=28, colour="#fde68a")
        texts = QVBoxLayout()
        texts.addStretch(2)
        texts.addWidget(self.headline, 5)
        texts.addWidget(self.hint, 4)
        texts.addWidget(self.status, 3)
        texts.addStretch(2)
        layout = QHBoxLayout(self)
        # The preview takes the larger share: a bigger picture of the card guide is easier
        # to aim at from a step away; the words fit their column at any kiosk size.
        layout.addWidget(self.preview, 3)
        layout.addLayout(texts, 2)
        self.has_camera = has_camera
        self._busy = False
        self._camera_problem = ""

    def set_mode(self, mode: Mode) -> None:
        where = "to the camera" if self.has_camera else "under the scanner"
        if mode is Mode.COLLECTION:
            self.headline.setText("Home time: show your card")
            self.hint.setText(
                f"Hold your card {where}. A member of staff will give you your phone."
            )
        else:
            self.headline.setText("Show your card")
            self.hint.setText(f"Hold your pupil card {where}")

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._refresh_status()

    def set_camera_problem(self, problem: str) -> None:
        self._camera_problem = problem
        self.preview.set_image(None)
        self.preview.set_placeholder(problem or "Starting the camera…")
        self._refresh_status()

    def _refresh_status(self) -> None:
        if self._busy:
            self.status.setText("One moment…")
        elif self._camera_problem:
            self.status.setText("Camera not working: use the scanner, or see the office.")
        else:
            self.status.setText("")

    def apply_scale(self, scale: float) -> None:
        margin = round(28 * scale)
        layout = self.layout()
        if layout is not None:
            layout.setContentsMargins(margin, margin, margin, margin)
            layout.setSpacing(margin)
        self.headline.set_max_px(round(80 * scale))
        self.hint.set_max_px(round(34 * scale))
        self.status.set_max_px(round(28 * scale))


class ResultPage(ColouredPage):
    """Hand-in results, notices and errors: name, message, the slot number huge."""

    done_clicked = Signal()
    undo_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(TONE_COLOURS["info"], parent)
        self.outcome: Outcome | None = None
        self.photo = ImageView()
        self.title = FitText(max_px=56, align=LEFT)
        self.message = FitText(max_px=40, align=LEFT)
        self.slot = SlotNumber()
        self.undo = _button("Not me? Undo")
        self.done = _button("Done")
        self.undo.clicked.connect(self.undo_clicked.emit)
        self.done.clicked.connect(self.done_clicked.emit)
        self._scale = 1.0
        self._build()

    def _build(self) -> None:
        self.words = QVBoxLayout()
        self.words.addStretch(0)
        self.words.addWidget(self.title, 8)
        self.words.addWidget(self.message, 10)
        self.words.addWidget(self.slot, 62)
        self.words.addStretch(0)
        body = QHBoxLayout()
        body.addWidget(self.photo, 3)
        body.addLayout(self.words, 8)
        buttons = QHBoxLayout()
        buttons.addWidget(self.undo)
        buttons.addStretch(1)
        buttons.addWidget(self.done)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addLayout(buttons)

    def show_outcome(
        self, outcome: Outcome, photo: QImage | None, photo_coming: bool = False
    ) -> None:
        self.outcome = outcome
        self.set_colour(TONE_COLOURS[outcome.tone.value])
        self.title.setText(outcome.title)
        self.message.setText(outcome.message)
        self.slot.set_number(outcome.slot)
        self.slot.setVisible(outcome.slot is not None)
        self.photo.set_image(photo)
        self.photo.setVisible(photo is not None or photo_coming)  # its box, kept still
        self.undo.setVisible(outcome.undo)
        self.done.setText("OK" if outcome.tone is Tone.ERROR else "Done")
        self._fit_words()

    def set_undo_seconds(self, seconds: int) -> None:
        self.undo.setText(f"Not me? Undo ({seconds})")
        self.undo.setVisible(seconds > 0 and self.outcome is not None and self.outcome.undo)

    def apply_scale(self, scale: float) -> None:
        self._scale = scale
        margin = round(24 * scale)
        layout = self.layout()
        if layout is not None:
            layout.setContentsMargins(margin, margin // 2, margin, margin // 2)
            layout.setSpacing(round(10 * scale))
        self.words.setSpacing(round(6 * scale))
        self.photo.setMaximumWidth(round(300 * scale))
        self.undo.setStyleSheet(kiosk_button_css(round(72 * scale), round(24 * scale)))
        self.done.setStyleSheet(
            kiosk_button_css(round(72 * scale), round(28 * scale), primary=True)
        )
        self._fit_words()

    def _fit_words(self) -> None:
        """With a slot number, the number takes most of the height. Without one (notices,
        errors) the words are larger and sit together in the middle of the page."""
        plain = self.outcome is not None and self.outcome.slot is None
        title_px = round((72 if plain else 50) * self._scale)
        message_px = round((48 if plain else 38) * self._scale)
        self.title.set_max_px(title_px)
        self.message.set_max_px(message_px)
        for index, stretch in enumerate((0, 4, 5, 0, 0) if plain else (0, 8, 10, 62, 0)):
            self.words.setStretch(index, stretch)
        # Alone on the page, name and message meet in the middle instead of drifting apart.
        self.title.set_alignment(LEFT | Qt.AlignmentFlag.AlignBottom if plain else LEFT)
        self.message.set_alignment(LEFT | Qt.AlignmentFlag.AlignTop if plain else LEFT)


MENU_ACTIONS: tuple[tuple[str, str], ...] = (
    ("console", "Open the staff console"),
    ("collection", "Home time: give phones back"),
    ("handin", "Morning: hand-in"),
    ("auto", "Automatic, by the clock"),
    ("full_screen", "Full screen"),
    ("close", "Close the kiosk program"),
)
PIN_PURPOSES = {
    "collection": "Start home time",
    "handin": "Start morning hand-in",
    "auto": "Switch to automatic",
    "leave_full_screen": "Leave full screen",
    "enter_full_screen": "Back to full screen",
    "close": "Close the kiosk program",
    "give_back": "Give a phone back",
}


class StaffPage(ColouredPage):
    """The staff menu behind the Staff button, and the PIN keypad every staff action on
    the kiosk needs. Emits ``action_chosen(key)``, then ``logged_in(StaffMember)`` or
    ``cancelled()``."""

    action_chosen = Signal(str)
    logged_in = Signal(object)
    cancelled = Signal()

    def __init__(self, sessions: Sessions, parent: QWidget | None = None) -> None:
        super().__init__(PAPER, parent)
        self.heading = FitText("Staff", max_px=34, colour=INK, align=LEFT)
        self.info = FitText(max_px=22, bold=False, colour=INK, align=LEFT)
        self.back = _button("Back to the pupil screen")
        self.back.clicked.connect(self.cancelled.emit)
        self.views = QStackedWidget()
        self.menu = QWidget()
        self.menu_buttons: dict[str, QPushButton] = {}
        self._build_menu()
        self.login = StaffLogin(sessions, cancellable=False)
        self.login.title.hide()
        login_layout = self.login.layout()
        if login_layout is not None:
            login_layout.setContentsMargins(0, 0, 0, 0)
        self.login.logged_in.connect(self.logged_in.emit)
        self.views.addWidget(self.menu)
        self.views.addWidget(self.login)
        header = QHBoxLayout()
        header.addWidget(self.heading, 1)
        header.addWidget(self.back)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.views, 1)

    def _build_menu(self) -> None:
        grid = QGridLayout()
        for index, (key, label) in enumerate(MENU_ACTIONS):
            button = _button(label)
            button.clicked.connect(lambda _=False, k=key: self._choose(k))
            grid.addWidget(button, index // 2, index % 2)
            self.menu_buttons[key] = button
        layout = QVBoxLayout(self.menu)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.info)
        layout.addLayout(grid, 1)

    def show_menu(self, *, mode_setting: str, full_screen: bool, info: str) -> None:
        self.heading.setText("Staff")
        self.info.setText(info)
        labels = dict(MENU_ACTIONS)
        for key in ("collection", "handin", "auto"):
            now = " (now)" if key == mode_setting else ""
            self.menu_buttons[key].setText(labels[key] + now)
        self.menu_buttons["full_screen"].setText(
            "Leave full screen" if full_screen else "Back to full screen"
        )
        self.views.setCurrentWidget(self.menu)

    def show_login(self, purpose: str) -> None:
        self.heading.setText(f"{purpose}: staff PIN")
        self.login.reload()
        self.login.message.setText("")
        self.login.pinpad.clear()
        self.views.setCurrentWidget(self.login)

    def showing_login(self) -> bool:
        return self.views.currentWidget() is self.login

    def _choose(self, key: str) -> None:
        if key == "full_screen":
            leaving = self.menu_buttons[key].text().startswith("Leave")
            key = "leave_full_screen" if leaving else "enter_full_screen"
        self.action_chosen.emit(key)

    def apply_scale(self, scale: float) -> None:
        margin = round(20 * scale)
        layout = self.layout()
        if layout is not None:
            layout.setContentsMargins(margin, margin // 2, margin, margin // 2)
        self.heading.setFixedHeight(max(TOUCH, round(64 * scale)))
        self.heading.set_max_px(round(34 * scale))
        self.info.setFixedHeight(round(36 * scale))
        self.info.set_max_px(round(22 * scale))
        self.back.setStyleSheet(f"QPushButton {{ font-size: {round(20 * scale)}px; }}")
        # The shared keypad's 88 px keys do not fit a 600 px high screen: size them here.
        # (Style first: a style sheet's min-height would undo the fixed size.)
        key = max(TOUCH + 8, min(120, round(76 * scale)))
        for button in self.login.pinpad.buttons.values():
            button.setStyleSheet(
                f"font-size: {round(key * 0.4)}px; padding: 0px;"
                f" min-width: {key - 4}px; min-height: {key - 4}px;"
            )
            button.setFixedSize(key, key)
        text_px = round(20 * min(scale, 1.5))
        self.login.setStyleSheet(
            f"QPushButton {{ font-size: {round(22 * scale)}px;"
            f" min-height: {max(TOUCH, round(64 * scale)) - 16}px; }}"
            f" QLabel {{ font-size: {text_px}px; }}"
        )
        for button in self.menu_buttons.values():
            button.setStyleSheet(
                f"QPushButton {{ min-height: {max(TOUCH, round(96 * scale))}px;"
                f" font-size: {round(24 * scale)}px; }}"
            )


# -- the screen ----------------------------------------------------------------------------

StaffCallbacks = tuple[Callable[[StaffMember], None], Callable[[], None]]


class KioskScreen(QWidget):
    """The pupil-facing screen. Feed it scans with ``handle_scan`` (MainWindow routes the
    USB scanner here; the camera, if configured, is owned and started by this screen)."""

    state_changed = Signal(str)
    console_requested = Signal()
    full_screen_requested = Signal(bool)  # True: back to full screen; False: leave it
    close_requested = Signal()

    def __init__(
        self,
        sessions: Sessions,
        config: Config,
        parent: QWidget | None = None,
        *,
        sounds: SoundPlayer | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        repeat_scan_seconds: float = REPEAT_SCAN_SECONDS,
    ) -> None:
        super().__init__(parent)
        self.sessions, self.config, self.clock = sessions, config, clock
        self.sounds = sounds or SoundPlayer(self)
        self.runner = TaskRunner("kiosk-database", self)
        self.debouncer = ScanDebouncer(repeat_scan_seconds)
        self.school: SchoolSettings | None = None
        self.state = State.IDLE
        self.answer: Answer | None = None
        self.collection_staff: StaffMember | None = None
        self._staff_seen_at = 0.0
        self._staff_callbacks: StaffCallbacks | None = None
        self._undo_left = 0
        self._shown_mode = Mode.HANDIN
        self.camera: CameraService | None = None
        self._build_pages()
        self._build_timers()
        self._load_settings_now()
        self.go_idle()

    # -- construction

    def _build_pages(self) -> None:
        self.top_bar = TopBar()
        self.top_bar.staff_button.clicked.connect(self.open_staff_menu)
        self.idle_page = IdlePage(has_camera=bool(self.config.camera))
        self.result_page = ResultPage()
        self.result_page.done_clicked.connect(self.go_idle)
        self.result_page.tapped.connect(self.go_idle)
        self.result_page.undo_clicked.connect(self.undo_hand_in)
        self.collection_page = CollectionPage()
        self.collection_page.confirm_clicked.connect(self.confirm_collection)
        self.collection_page.cancel_clicked.connect(self.go_idle)
        self.collection_page.sign_out_clicked.connect(self.sign_out_collection_staff)
        self.staff_page = StaffPage(self.sessions)
        self.staff_page.action_chosen.connect(self._on_staff_action)
        self.staff_page.logged_in.connect(self._on_staff_logged_in)
        self.staff_page.cancelled.connect(self._on_staff_cancelled)
        self.pages = QStackedWidget()
        for page in (self.idle_page, self.result_page, self.collection_page):
            self.pages.addWidget(page)
        self.pupil_area = QWidget()
        pupil_layout = QVBoxLayout(self.pupil_area)
        pupil_layout.setContentsMargins(0, 0, 0, 0)
        pupil_layout.setSpacing(0)
        pupil_layout.addWidget(self.top_bar)
        pupil_layout.addWidget(self.pages, 1)
        # The staff page covers the whole screen (no top bar): the PIN keypad needs the
        # height on a 1024x600 screen.
        self.screens = QStackedWidget()
        self.screens.addWidget(self.pupil_area)
        self.screens.addWidget(self.staff_page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.screens)

    def _build_timers(self) -> None:
        self.back_timer = self._timer(self.go_idle, single=True)
        self.busy_timer = self._timer(lambda: self.idle_page.set_busy(True), single=True)
        self.busy_timer.setInterval(BUSY_AFTER_MS)
        self.undo_timer = self._timer(self._tick_undo, single=False)
        self.undo_timer.setInterval(1000)
        self.staff_timer = self._timer(self._on_staff_cancelled, single=True)
        self.staff_timer.setInterval(STAFF_PAGE_SECONDS * 1000)
        self.settings_timer = self._timer(self.reload_settings, single=False)
        self.settings_timer.start(SETTINGS_REFRESH_MS)

    def _timer(self, slot: Callable[[], None], *, single: bool) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(single)
        timer.timeout.connect(slot)
        return timer

    # -- settings and mode

    def _load_settings_now(self) -> None:
        """At start only, so the first screen already shows the school and the mode; if
        the database is down the kiosk starts anyway and keeps retrying in the background."""
        try:
            school = settings.load(self.sessions)
        except Exception as error:
            log_failure("Loading the settings", error)
            self._apply_settings(None)
            return
        self._apply_settings(school)

    def reload_settings(self) -> None:
        self.runner.submit(partial(settings.load, self.sessions), self._on_settings)

    def _on_settings(self, school: object, error: BaseException | None) -> None:
        if error is not None:
            log_failure("Reloading the settings", error)
            self._apply_settings(self.school)
        elif isinstance(school, SchoolSettings):
            self._apply_settings(school)

    def _apply_settings(self, school: SchoolSettings | None) -> None:
        self.school = school
        self.sounds.enabled = school.sound if school is not None else True
        self.top_bar.school.setText(school.school_name if school is not None else "")
        mode = self.mode
        if mode is not Mode.COLLECTION:
            self.collection_staff = None
        elif self.collection_staff is not None and self._staff_expired():
            self.sign_out_collection_staff()
        if mode is not self._shown_mode or not self.top_bar.mode.text():
            self._shown_mode = mode
            self.top_bar.set_mode(mode)
            self.idle_page.set_mode(mode)

    @property
    def mode(self) -> Mode:
        return effective_mode(self.school, to_local(self.clock()).time())

    # -- scans

    def handle_scan(self, text: str) -> None:
        """A card was read (camera or scanner). Ignored while staff use the kiosk or it is
        hidden behind the console, and when it repeats the last scan within seconds."""
        if self.staff_page_open() or not self.isVisible():
            return
        if not self.debouncer.accept(text, time.monotonic()):
            return
        self.busy_timer.start()
        self.runner.submit(partial(scan_job, self.sessions, self.mode, text), self._on_answer)

    def _on_answer(self, answer: object, error: BaseException | None) -> None:
        self.busy_timer.stop()
        self.idle_page.set_busy(False)
        if error is not None:
            if not isinstance(error, KioskError):
                log_failure("A scan", error)
            answer = Answer(error_outcome(error))
        if isinstance(answer, Answer):
            self.show_answer(answer)

    def show_answer(self, answer: Answer, *, sound: bool = True) -> None:
        outcome = answer.outcome
        if self.staff_page_open():
            # Staff are typing a PIN: do not snatch the screen. A pupil who missed their
            # result scans again and sees the same slot.
            log.info("A result arrived while staff were using the kiosk; not shown")
            return
        self.answer = answer
        if outcome.state is State.COLLECT_CONFIRM and outcome.custody_id is not None:
            self.collection_page.show_pupil(
                name=outcome.title,
                slot=outcome.slot,
                custody_id=outcome.custody_id,
                note=outcome.note,
                photo=answer.photo,
                photo_coming=answer.photo_of is not None,
                staff_name=self._staff_name(),
            )
            self.pages.setCurrentWidget(self.collection_page)
        else:
            self.result_page.show_outcome(outcome, answer.photo, answer.photo_of is not None)
            self.pages.setCurrentWidget(self.result_page)
        self._start_undo(outcome)
        self.back_timer.start(outcome.seconds * 1000)
        if sound:
            self.sounds.play(TONE_SOUNDS[outcome.tone])
        self._set_state(outcome.state)
        if answer.photo is None and answer.photo_of is not None:
            job = partial(load_photo, self.sessions, answer.photo_of)
            self.runner.submit(job, partial(self._on_photo, answer))

    def _on_photo(self, answer: Answer, image: object, error: BaseException | None) -> None:
        if self.answer is not answer or not isinstance(image, QImage):
            return  # the screen has moved on, or there is no usable photo
        self.answer = replace(answer, photo=image)
        page = self.pages.currentWidget()
        if page is self.result_page:
            self.result_page.photo.set_image(image)
        elif page is self.collection_page:
            self.collection_page.photo.set_image(image)

    def go_idle(self) -> None:
        if self.staff_page_open():
            self._leave_staff_page()
        self.back_timer.stop()
        self.undo_timer.stop()
        self.debouncer.reset()
        self.answer = None
        self.pages.setCurrentWidget(self.idle_page)
        self._set_state(State.IDLE)

    def _set_state(self, state: State) -> None:
        self.state = state
        self.state_changed.emit(state.value)

    # -- undo

    def _start_undo(self, outcome: Outcome) -> None:
        self.undo_timer.stop()
        self._undo_left = UNDO_SECONDS if outcome.undo else 0
        if outcome.undo:
            self.result_page.set_undo_seconds(self._undo_left)
            self.undo_timer.start()

    def _tick_undo(self) -> None:
        self._undo_left -= 1
        self.result_page.set_undo_seconds(self._undo_left)
        if self._undo_left <= 0:
            self.undo_timer.stop()

    def undo_hand_in(self) -> None:
        outcome = self.answer.outcome if self.answer else None
        if outcome is None or not outcome.undo or outcome.custody_id is None:
            return
        self.undo_timer.stop()
        self.result_page.undo.setVisible(False)
        job = partial(undo_job, self.sessions, outcome.custody_id, outcome.slot)
        self.runner.submit(job, self._on_answer)

    # -- home time

    def confirm_collection(self, custody_id: int) -> None:
        member = self._current_collection_staff()
        if member is not None:
            self._collect_as(member, custody_id)
            return
        answer = self.answer
        self.ask_staff(
            PIN_PURPOSES["give_back"],
            lambda chosen: self._collect_as(chosen, custody_id),
            lambda: self.show_answer(answer, sound=False) if answer else self.go_idle(),
        )

    def _collect_as(self, member: StaffMember, custody_id: int) -> None:
        self.collection_staff, self._staff_seen_at = member, time.monotonic()
        self.collection_page.give_back.setEnabled(False)
        job = partial(collect_job, self.sessions, custody_id, member)
        self.runner.submit(job, self._on_collected)

    def _on_collected(self, answer: object, error: BaseException | None) -> None:
        self.collection_page.give_back.setEnabled(True)
        if isinstance(error, NotAuthorised):
            self.collection_staff = None  # deactivated or locked since: ask again next time
        self._on_answer(answer, error)

    def _current_collection_staff(self) -> StaffMember | None:
        if self.collection_staff is not None and self._staff_expired():
            self.sign_out_collection_staff()
        return self.collection_staff

    def _staff_expired(self) -> bool:
        return time.monotonic() - self._staff_seen_at > STAFF_IDLE_SECONDS

    def _staff_name(self) -> str | None:
        member = self._current_collection_staff()
        return member.name if member is not None else None

    def sign_out_collection_staff(self) -> None:
        self.collection_staff = None
        self.collection_page.set_staff(None)

    # -- staff on the kiosk

    def open_staff_menu(self) -> None:
        school = self.school
        info = "Choose what to do. Everything except the console asks for your PIN here."
        if school is not None:
            info = (
                f"Hand-in {school.handin_opens:%H:%M}–{school.handin_closes:%H:%M}, home time "
                f"{school.collection_opens:%H:%M}–{school.collection_closes:%H:%M}. "
                "Each choice asks for your PIN."
            )
        window = self.window()
        self.staff_page.show_menu(
            mode_setting=school.mode if school is not None else "",
            full_screen=window.isFullScreen(),
            info=info,
        )
        self._enter_staff_page()
        self._staff_callbacks = None

    def ask_staff(
        self,
        purpose: str,
        on_member: Callable[[StaffMember], None],
        on_cancel: Callable[[], None],
    ) -> None:
        """Show the PIN keypad; call ``on_member`` with whoever logs in, else ``on_cancel``."""
        self.staff_page.show_login(purpose)
        self._enter_staff_page()
        self._staff_callbacks = (on_member, on_cancel)

    def staff_page_open(self) -> bool:
        return self.screens.currentWidget() is self.staff_page

    def _enter_staff_page(self) -> None:
        self.back_timer.stop()
        self.undo_timer.stop()
        self.screens.setCurrentWidget(self.staff_page)
        self.staff_timer.start()
        self._set_state(State.STAFF)

    def _leave_staff_page(self) -> None:
        self.staff_timer.stop()
        self._staff_callbacks = None
        self.screens.setCurrentWidget(self.pupil_area)

    def _on_staff_action(self, key: str) -> None:
        self.staff_timer.start()
        if key == "console":
            self.go_idle()
            self.console_requested.emit()
            return
        self.ask_staff(PIN_PURPOSES[key], partial(self._do_staff_action, key), self.go_idle)

    def _on_staff_logged_in(self, member: object) -> None:
        callbacks = self._staff_callbacks
        self._leave_staff_page()
        if self.answer is not None:  # back to what was on screen while the action runs
            self.show_answer(self.answer, sound=False)
        else:
            self.go_idle()
        if callbacks is not None and isinstance(member, StaffMember):
            callbacks[0](member)

    def _on_staff_cancelled(self) -> None:
        callbacks = self._staff_callbacks
        self._leave_staff_page()
        if callbacks is not None:
            callbacks[1]()
        else:
            self.go_idle()

    def _do_staff_action(self, key: str, member: StaffMember) -> None:
        if key in ("collection", "handin", "auto"):
            self._set_mode(member, key)
        else:
            self._record_kiosk_event(member, key)

    def _set_mode(self, member: StaffMember, mode: str) -> None:
        if mode == Mode.COLLECTION:
            self.collection_staff, self._staff_seen_at = member, time.monotonic()
        job = partial(_set_mode_job, self.sessions, member, mode)
        self.runner.submit(job, self._on_mode_set)
        self.go_idle()

    def _on_mode_set(self, school: object, error: BaseException | None) -> None:
        if error is not None:
            self._on_answer(None, error)
            return
        self._on_settings(school, None)
        self.sounds.play(Sound.INFO)

    def _record_kiosk_event(self, member: StaffMember, key: str) -> None:
        event = {
            "leave_full_screen": EventKind.KIOSK_LEFT_FULL_SCREEN,
            "enter_full_screen": EventKind.KIOSK_ENTERED_FULL_SCREEN,
            "close": EventKind.KIOSK_CLOSED,
        }[key]
        job = partial(
            kiosk_events.record, self.sessions, member.actor, event, self.config.kiosk_name
        )
        self.runner.submit(job, partial(self._on_kiosk_event, event))
        self.go_idle()

    def _on_kiosk_event(
        self, event: EventKind, _result: object, error: BaseException | None
    ) -> None:
        if error is not None:  # nothing unrecorded: the kiosk stays as it is
            self._on_answer(None, error)
        elif event is EventKind.KIOSK_CLOSED:
            self.close_requested.emit()
        else:
            self.full_screen_requested.emit(event is EventKind.KIOSK_ENTERED_FULL_SCREEN)

    # -- camera

    def start_camera(self) -> None:
        if not self.config.camera:
            return
        if self.camera is None:
            from kiosk.scanning.camera import CameraService

            self.camera = CameraService(self.config.camera, parent=self)
            self.camera.code_scanned.connect(self.handle_scan)
            self.camera.frame_ready.connect(self._on_frame)
            self.camera.camera_lost.connect(self._on_camera_lost)
            self.camera.camera_found.connect(lambda: self.idle_page.set_camera_problem(""))
        self.camera.start()

    def stop_camera(self) -> None:
        if self.camera is not None:
            self.camera.stop()

    def _on_frame(self, image: QImage) -> None:
        if self.pages.currentWidget() is self.idle_page:
            self.idle_page.preview.set_image(image)

    def _on_camera_lost(self, _message: str) -> None:
        # The worker's message names the device; the log has it, the screen needs less.
        log.warning("Camera lost: %s", _message)
        self.idle_page.set_camera_problem("No camera picture")

    # -- Qt events

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.start_camera()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        if not self.isVisible():
            self.stop_camera()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        scale = max(0.5, min(self.width() / 1024, self.height() / 600))
        for page in (self.top_bar, self.idle_page, self.result_page, self.collection_page):
            page.apply_scale(scale)
        self.staff_page.apply_scale(scale)

    def shutdown(self) -> None:
        """Stop the camera and the database thread (the window calls this on close)."""
        self.stop_camera()
        self.runner.stop()
        for timer in self.findChildren(QTimer):
            timer.stop()

    def closeEvent(self, event: Any) -> None:
        self.shutdown()
        super().closeEvent(event)


def _set_mode_job(sessions: Sessions, member: StaffMember, mode: str) -> SchoolSettings:
    settings.update(sessions, member.actor, {"mode": mode})
    return settings.load(sessions)
