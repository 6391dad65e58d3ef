"""A pupil who forgot their card: "I forgot my card" on the kiosk, a member of staff
gives their PIN, finds the pupil by name (on the letter keys, or a keyboard) and checks
the photo, then taps "Hand in for …". The hand-in is recorded card-less with that
member's name (``custody.hand_in_without_card``) and the pupil sees their slot as usual.

The page is for staff (behind a PIN): it shows a name and form to tell pupils apart, never
a UPN or admission number. ``ForgotCardDesk`` is a part of ``KioskScreen`` (a mixin).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.db import Database
from kiosk.services import custody, pupils
from kiosk.services.common import PupilSummary
from kiosk.services.staff import StaffMember
from kiosk.ui.background import Failure, Lane, Op
from kiosk.ui.kiosk_screen.jobs import Answer, load_photo, photo_of
from kiosk.ui.kiosk_screen.outcomes import State, hand_in_outcome
from kiosk.ui.kiosk_screen.pages import LEFT, kiosk_button
from kiosk.ui.style import INK, PAPER, TOUCH
from kiosk.ui.widgets.fit_text import FitText
from kiosk.ui.widgets.image_view import ImageView
from kiosk.ui.widgets.page import ColouredPage

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ-'"
KEYS_A_ROW = 8  # four rows of keys fit a 600 px high screen
SEARCH_DELAY_MS = 250  # typing pauses this long before the search runs
MAX_FOUND = 12
PURPOSE = "Hand in without a card"


def find_job(sessions: Database, text: str) -> list[PupilSummary]:
    return pupils.find(sessions, text, limit=MAX_FOUND)


def hand_in_job(sessions: Database, pupil_id: int, member: StaffMember) -> Answer:
    result = custody.hand_in_without_card(sessions, pupil_id, member.actor)
    return Answer(hand_in_outcome(result), photo_of(result.pupil))


class ForgotCardPage(ColouredPage):
    """Find a pupil by name, see their photo, confirm. Emits ``search_changed(text)``,
    ``pupil_chosen(PupilSummary)``, ``confirmed(pupil_id)`` and ``cancelled()``."""

    search_changed = Signal(str)
    pupil_chosen = Signal(object)
    confirmed = Signal(int)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(PAPER, parent)
        self.chosen: PupilSummary | None = None
        self.heading = FitText(f"{PURPOSE}: find the pupil", max_px=32, colour=INK, align=LEFT)
        self.staff = FitText(max_px=20, bold=False, colour=INK, align=LEFT)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Surname or forename")
        self.search.textChanged.connect(self.search_changed.emit)
        self.keys: dict[str, QPushButton] = {}
        self.found = QListWidget()
        self.found.itemClicked.connect(self._on_item)
        self.photo = ImageView(placeholder="No photo", text_colour=INK)
        self.name = FitText(max_px=28, colour=INK)
        self.message = FitText(max_px=20, bold=False, colour=INK)
        self.confirm = kiosk_button("Hand in for this pupil")
        self.confirm.setProperty("role", "primary")
        self.confirm.clicked.connect(self._confirm)
        self.cancel = kiosk_button("Cancel")
        self.cancel.clicked.connect(self.cancelled.emit)
        self._build()
        self.reset("")

    def _build(self) -> None:
        keypad = QGridLayout()
        for index, letter in enumerate(LETTERS):
            key = QPushButton(letter)
            key.clicked.connect(lambda _=False, c=letter: self.search.insert(c.lower()))
            keypad.addWidget(key, index // KEYS_A_ROW, index % KEYS_A_ROW)
            self.keys[letter] = key
        last_row, used = divmod(len(LETTERS), KEYS_A_ROW)  # Space and Delete end the last row
        for label, action, column in (
            ("Space", lambda: self.search.insert(" "), used),
            ("Delete", self.search.backspace, used + 2),
        ):
            key = QPushButton(label)
            key.clicked.connect(action)
            keypad.addWidget(key, last_row, column, 1, 2)
            self.keys[label] = key
        left = QVBoxLayout()
        left.addWidget(self.search)
        left.addLayout(keypad, 1)
        self.chosen_box = QStackedWidget()
        self.pupil_box = pupil = QWidget()
        pupil_layout = QVBoxLayout(pupil)
        pupil_layout.setContentsMargins(0, 0, 0, 0)
        pupil_layout.addWidget(self.photo, 1)
        pupil_layout.addWidget(self.name)
        self.chosen_box.addWidget(self.found)
        self.chosen_box.addWidget(pupil)
        body = QHBoxLayout()
        body.addLayout(left, 3)
        body.addWidget(self.chosen_box, 2)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.confirm)
        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        header.addWidget(self.heading, 3)
        header.addWidget(self.staff, 1)
        layout.addLayout(header)
        layout.addLayout(body, 1)
        layout.addLayout(buttons)

    def reset(self, staff_name: str) -> None:
        self.staff.setText(f"Staff: {staff_name}" if staff_name else "")
        self.search.clear()
        self.show_found([])
        self.message.setText("Type the first letters of the pupil's name.")

    def show_found(self, found: list[PupilSummary]) -> None:
        self.chosen = None
        self.found.clear()
        for summary in found:
            item = QListWidgetItem(f"{summary.display_name}  ·  {summary.reg_group}")
            item.setData(Qt.ItemDataRole.UserRole, summary)
            self.found.addItem(item)
        self.chosen_box.setCurrentWidget(self.found)
        self.confirm.setEnabled(False)
        self.confirm.setText("Hand in for this pupil")
        if self.search.text().strip():
            words = f"{len(found)} found: tap the pupil." if found else "Nobody found."
            self.message.setText(words)

    def _on_item(self, item: QListWidgetItem) -> None:
        summary = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(summary, PupilSummary):
            self.choose(summary)

    def choose(self, summary: PupilSummary) -> None:
        self.chosen = summary
        self.photo.set_image(None)
        self.photo.set_placeholder("Loading the photo…" if summary.has_photo else "No photo")
        self.name.setText(f"{summary.display_name} · {summary.reg_group}")
        self.chosen_box.setCurrentWidget(self.pupil_box)
        self.confirm.setText(f"Hand in for {summary.forename}")
        self.confirm.setEnabled(True)
        self.message.setText("Check the photo, then confirm.")
        self.pupil_chosen.emit(summary)

    def set_photo(self, pupil_id: int, image: QImage | None) -> None:
        if self.chosen is None or self.chosen.id != pupil_id:
            return
        self.photo.set_placeholder("No photo")
        self.photo.set_image(image)

    def _confirm(self) -> None:
        if self.chosen is not None:
            self.confirm.setEnabled(False)
            self.confirmed.emit(self.chosen.id)

    def apply_scale(self, scale: float) -> None:
        margin = round(16 * scale)
        self.set_margins(margin, margin // 2)
        key = max(TOUCH, round(64 * scale))
        text_px = round(22 * min(scale, 1.6))
        self.setStyleSheet(
            f"QPushButton {{ min-height: {key}px; min-width: {key}px; padding: 0px 8px;"
            f" font-size: {text_px}px; }}"
            f" QPushButton:disabled {{ background: #e5e7eb; color: #6b7280;"
            " border-color: #9ca3af; }"
            f" QLineEdit {{ min-height: {key}px; font-size: {text_px + 4}px; }}"
            f" QListWidget {{ font-size: {text_px}px; }}"
            f" QListWidget::item {{ min-height: {key}px; }}"
        )
        self.heading.setFixedHeight(round(48 * scale))
        self.heading.set_max_px(round(32 * scale))
        self.staff.set_max_px(round(20 * scale))
        self.name.setFixedHeight(round(44 * scale))
        self.name.set_max_px(round(28 * scale))
        self.message.set_max_px(round(20 * scale))


class ForgotCardDesk:
    sessions: Database
    lane: Lane
    screens: QStackedWidget
    staff_timer: QTimer
    scale: float | None
    _forgot_page: ForgotCardPage | None
    forgot_member: StaffMember | None

    def ask_staff(
        self, purpose: str, on_member: Callable[[StaffMember], None], on_cancel: Callable[[], None]
    ) -> None:
        raise NotImplementedError

    def go_idle(self) -> None:
        raise NotImplementedError

    def show_answer(self, answer: Answer, *, sound: bool = True) -> None:
        raise NotImplementedError

    def _set_state(self, state: State) -> None:
        raise NotImplementedError

    def _failed(self, failure: Failure) -> None:
        raise NotImplementedError

    def _leave_staff_page(self) -> None:
        raise NotImplementedError

    @property
    def forgot_page(self) -> ForgotCardPage:
        """The page, built the first time staff open it (its letter keys are many widgets
        that most days nobody needs)."""
        if self._forgot_page is None:
            page = ForgotCardPage()
            self.search_timer = QTimer(page)
            self.search_timer.setSingleShot(True)
            self.search_timer.setInterval(SEARCH_DELAY_MS)
            self.search_timer.timeout.connect(self._search_now)
            page.search_changed.connect(self._on_search_typed)
            page.pupil_chosen.connect(self._on_forgot_pupil)
            page.confirmed.connect(self._hand_in_without_card)
            page.cancelled.connect(self.go_idle)
            if self.scale is not None:
                page.apply_scale(self.scale)
            self.screens.addWidget(page)
            self._forgot_page = page
        return self._forgot_page

    def forgot_card(self) -> None:
        """The pupil tapped "I forgot my card": a member of staff takes over."""
        self.ask_staff(PURPOSE, self._open_forgot_card, self.go_idle)

    def _open_forgot_card(self, member: StaffMember) -> None:
        self.forgot_member = member
        self.forgot_page.reset(member.name)
        self.screens.setCurrentWidget(self.forgot_page)
        self.staff_timer.start()
        self._set_state(State.STAFF)
        self.forgot_page.search.setFocus()

    def _on_search_typed(self, _text: str) -> None:
        self.staff_timer.start()  # still busy here: not timed out
        self.search_timer.start()

    def _search_now(self) -> None:
        text = self.forgot_page.search.text()
        if not text.strip():
            self.forgot_page.show_found([])
            return
        Op(self.forgot_page, "Finding a pupil", partial(find_job, self.sessions, text)).success(
            partial(self._on_found, text)
        ).failure(self._on_forgot_failed).run(self.lane)

    def _on_found(self, text: str, found: list[PupilSummary]) -> None:
        if text == self.forgot_page.search.text():  # not overtaken by more typing
            self.forgot_page.show_found(found)

    def _on_forgot_pupil(self, summary: PupilSummary) -> None:
        self.staff_timer.start()
        if summary.has_photo:
            job = partial(load_photo, self.sessions, summary.id)
            Op(self.forgot_page, "Loading a photo", job).success(
                partial(self.forgot_page.set_photo, summary.id)
            ).run(self.lane)

    def _hand_in_without_card(self, pupil_id: int) -> None:
        member = self.forgot_member
        if member is None:
            self.go_idle()
            return
        job = partial(hand_in_job, self.sessions, pupil_id, member)
        Op(self.forgot_page, "Handing in without a card", job).success(
            self._on_card_less_hand_in
        ).failure(self._on_forgot_failed).run(self.lane)

    def _on_card_less_hand_in(self, answer: Answer) -> None:
        self.forgot_member = None
        self._leave_staff_page()
        self.show_answer(answer)

    def _on_forgot_failed(self, failure: Failure) -> None:
        self.forgot_member = None
        self._leave_staff_page()
        self._failed(failure)
