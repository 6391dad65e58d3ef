"""The pupil-facing pages of the kiosk: the top bar, "Show your card" with the camera
preview, and the result page with the slot number huge."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from kiosk.ui.kiosk_screen.outcomes import Mode, Outcome, State, Tone
from kiosk.ui.style import KIOSK_BAR, KIOSK_IDLE, KIOSK_MUTED, TONE_COLOURS, TOUCH, kiosk_button_css
from kiosk.ui.widgets.card_guide import CardGuidePreview
from kiosk.ui.widgets.fit_text import FitText
from kiosk.ui.widgets.image_view import ImageView
from kiosk.ui.widgets.page import ColouredPage
from kiosk.ui.widgets.slot_number import SlotNumber

LEFT = Qt.AlignmentFlag.AlignLeft
NOT_SET_UP_HEADLINE = "This kiosk is not set up yet"
DONE_WORDS = {State.UNDO_CONFIRM: "Keep it"}  # not cancelling: the hand-in stands


def kiosk_button(text: str) -> QPushButton:
    button = QPushButton(text)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys belong to the scanner
    return button


class TopBar(QWidget):
    """School name, what the kiosk is doing now, and the discreet Staff button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.school = FitText(max_px=30, align=LEFT)
        self.mode = FitText(max_px=26, colour=KIOSK_MUTED)
        self.staff_button = kiosk_button("Staff")
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
        self.forgot_card = kiosk_button("I forgot my card")
        texts = QVBoxLayout()
        texts.addStretch(2)
        texts.addWidget(self.headline, 5)
        texts.addWidget(self.hint, 4)
        texts.addWidget(self.status, 3)
        texts.addWidget(self.forgot_card)
        texts.addStretch(1)
        layout = QHBoxLayout(self)
        # The preview takes the larger share: a bigger picture of the card guide is easier
        # to aim at from a step away; the words fit their column at any kiosk size.
        layout.addWidget(self.preview, 3)
        layout.addLayout(texts, 2)
        self.has_camera = has_camera
        self.not_set_up = False
        self._busy = False
        self._camera_problem = ""
        self._mode = Mode.HANDIN

    def set_mode(self, mode: Mode) -> None:
        self._mode = mode
        if self.has_camera and not self._camera_problem:
            how = "Hold your pupil card to the camera"
        elif self.has_camera:  # the camera is lost: the USB scanner still reads cards
            how = "Scan your card with the scanner"
        else:
            how = "Hold your pupil card under the scanner"
        if mode is Mode.COLLECTION:
            self.headline.setText("Home time: show your card")
            self.hint.setText(f"{how}. A member of staff will give you your phone.")
        else:
            self.headline.setText("Show your card")
            self.hint.setText(how)
        self.forgot_card.setVisible(mode is not Mode.COLLECTION and not self.not_set_up)
        if self.not_set_up:  # no slots or pupils yet: nothing a pupil can do here
            self.headline.setText(NOT_SET_UP_HEADLINE)
            self.hint.setText("Please see the office.")

    def set_not_set_up(self, not_set_up: bool) -> None:
        self.not_set_up = not_set_up
        self.set_mode(self._mode)

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._refresh_status()

    def set_camera_problem(self, problem: str) -> None:
        self._camera_problem = problem
        self.preview.set_image(None)
        self.preview.set_placeholder(problem or "Starting the camera…")
        self.set_mode(self._mode)
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
        self.set_margins(margin, spacing=margin)
        self.headline.set_max_px(round(80 * scale))
        self.hint.set_max_px(round(34 * scale))
        self.status.set_max_px(round(28 * scale))
        self.forgot_card.setStyleSheet(kiosk_button_css(round(72 * scale), round(24 * scale)))


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
        self.note = FitText(max_px=34, align=LEFT, colour="#fde68a")  # e.g. an exam today
        self.slot = SlotNumber()
        self.undo = kiosk_button("Not me? Undo")
        self.done = kiosk_button("Done")
        self.undo.clicked.connect(self.undo_clicked.emit)
        self.done.clicked.connect(self.done_clicked.emit)
        self._scale = 1.0
        self._build()

    def _build(self) -> None:
        self.words = QVBoxLayout()
        self.words.addStretch(0)
        self.words.addWidget(self.title, 8)
        self.words.addWidget(self.message, 10)
        self.words.addWidget(self.note, 0)
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
        self.note.setText(outcome.note)
        self.note.setVisible(bool(outcome.note))
        self.slot.set_number(outcome.slot)
        self.slot.setVisible(outcome.slot is not None)
        self.photo.set_image(photo)
        self.photo.setVisible(photo is not None or photo_coming)  # its box, kept still
        self.undo.setVisible(outcome.undo)
        self.done.setText(
            DONE_WORDS.get(outcome.state, "OK" if outcome.tone is Tone.ERROR else "Done")
        )
        self._fit_words()

    def set_undo_seconds(self, seconds: int) -> None:
        self.undo.setText(f"Not me? Undo ({seconds})")
        self.undo.setVisible(seconds > 0 and self.outcome is not None and self.outcome.undo)

    def apply_scale(self, scale: float) -> None:
        self._scale = scale
        margin = round(24 * scale)
        self.set_margins(margin, margin // 2, round(10 * scale))
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
        self.note.set_max_px(round(34 * self._scale))
        note = 6 if self.outcome is not None and self.outcome.note else 0
        stretches = (0, 4, 5, note, 0, 0) if plain else (0, 8, 10, note, 62, 0)
        for index, stretch in enumerate(stretches):
            self.words.setStretch(index, stretch)
        # Alone on the page, name and message meet in the middle instead of drifting apart.
        self.title.set_alignment(LEFT | Qt.AlignmentFlag.AlignBottom if plain else LEFT)
        self.message.set_alignment(LEFT | Qt.AlignmentFlag.AlignTop if plain else LEFT)
