"""Home time: the panel a member of staff beside the kiosk confirms before giving a phone
back (the pupil's photo, name and slot, and one big "Give back" button), and the strip
along the bottom of the pupil screen that says which member of staff is there."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from kiosk.ui.kiosk_screen.pages import kiosk_button
from kiosk.ui.style import AMBER, BLUE, RED, TOUCH, WHITE, kiosk_button_css
from kiosk.ui.widgets.fit_text import FitText
from kiosk.ui.widgets.image_view import ImageView
from kiosk.ui.widgets.page import ColouredPage
from kiosk.ui.widgets.slot_number import SlotNumber

LEFT = Qt.AlignmentFlag.AlignLeft
# Darker than the green "given back" page, so the strip stays apart from it (white on it
# is 10:1).
STAFF_THERE = "#14532d"


class CollectionPage(ColouredPage):
    """``confirm_clicked(custody_id)`` when staff tap "Give back"; ``cancel_clicked`` for
    "Not now"."""

    confirm_clicked = Signal(int)
    cancel_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(BLUE, parent)
        self.custody_id: int | None = None
        self.photo = ImageView()
        self.name = FitText(max_px=56, align=LEFT)
        self.caption = FitText("Phone in slot", max_px=34, bold=False, align=LEFT)
        self.slot = SlotNumber()
        self.note = FitText(max_px=30)
        self.not_now = kiosk_button("Not now")
        self.give_back = kiosk_button("Give back")
        self.not_now.clicked.connect(self.cancel_clicked.emit)
        self.give_back.clicked.connect(self._confirm)
        self._build()
        self.apply_scale(1.0)

    def _build(self) -> None:
        details = QVBoxLayout()
        details.addWidget(self.name, 10)
        details.addWidget(self.caption, 6)
        details.addWidget(self.slot, 56)
        top = QHBoxLayout()
        top.addWidget(self.photo, 3)
        top.addLayout(details, 7)
        buttons = QHBoxLayout()
        buttons.addWidget(self.not_now)
        buttons.addStretch(1)
        buttons.addWidget(self.give_back)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addWidget(self.note)
        layout.addLayout(buttons)

    def show_pupil(
        self,
        *,
        name: str,
        slot: int | None,
        custody_id: int,
        note: str,
        photo: QImage | None,
        photo_coming: bool = False,
        caption: str = "",
    ) -> None:
        self.custody_id = custody_id
        self.name.setText(name)
        self.caption.setText(caption or "Phone in slot")
        self.slot.set_number(slot)
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self.photo.set_image(photo)
        self.photo.setVisible(photo is not None or photo_coming)
        self.give_back.setText(f"Give back: slot {slot}" if slot is not None else "Give back")

    def apply_scale(self, scale: float) -> None:
        margin = round(20 * scale)
        self.set_margins(margin, margin // 2, round(8 * scale))
        self.name.set_max_px(round(56 * scale))
        self.caption.set_max_px(round(34 * scale))
        self.note.set_max_px(round(26 * scale))
        self.note.setFixedHeight(round(40 * scale))
        self.photo.setMaximumWidth(round(300 * scale))
        self.not_now.setStyleSheet(kiosk_button_css(round(72 * scale), round(26 * scale)))
        self.give_back.setStyleSheet(
            kiosk_button_css(round(84 * scale), round(34 * scale), primary=True)
        )

    def _confirm(self) -> None:
        if self.custody_id is not None:
            self.confirm_clicked.emit(self.custody_id)


class StaffStrip(QWidget):
    """At home time, always on screen: who is giving phones back (and for how much longer
    without a "Give back"), and the big "I'm leaving" lock; with nobody there, the way for
    staff to start. ``start_clicked``, ``leaving_clicked``."""

    start_clicked = Signal()
    leaving_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.words = FitText(max_px=30, align=LEFT)
        self.time_left = FitText(max_px=30)
        self.start = kiosk_button("Staff: start giving back")
        self.leaving = kiosk_button("I'm leaving")
        self.start.clicked.connect(self.start_clicked.emit)
        self.leaving.clicked.connect(self.leaving_clicked.emit)
        layout = QHBoxLayout(self)
        layout.addWidget(self.words, 1)
        layout.addWidget(self.time_left)
        for button in (self.start, self.leaving):
            layout.addWidget(button)
        self.staff_name: str | None = None
        self._colour = QColor(AMBER)
        self.show_staff(None, 0)

    def show_staff(self, name: str | None, seconds_left: int) -> None:
        self.staff_name = name
        present = name is not None
        if present:
            minutes, seconds = divmod(max(0, seconds_left), 60)
            self.words.setText(f"{name} is giving phones back")
            self.time_left.setText(f"{minutes}:{seconds:02d}")
        else:
            self.words.setText("Home time: no member of staff at the kiosk")
        self.time_left.setVisible(present)
        self._colour = QColor(STAFF_THERE if present else AMBER)
        self.start.setVisible(not present)
        self.leaving.setVisible(present)
        self.update()

    def apply_scale(self, scale: float) -> None:
        height = max(TOUCH + 32, round(96 * scale))
        self.setFixedHeight(height)
        layout = self.layout()
        if layout is not None:
            layout.setContentsMargins(round(20 * scale), 8, round(12 * scale), 8)
            layout.setSpacing(round(12 * scale))
        self.words.set_max_px(round(30 * scale))
        self.time_left.set_max_px(round(30 * scale))
        self.time_left.setFixedWidth(round(90 * scale))
        # The style's min-height is the content box: 2 x (3 px border + 4 px padding) more.
        button_height, font = height - 16 - 14, round(24 * scale)
        self.start.setStyleSheet(kiosk_button_css(button_height, font))
        self.leaving.setStyleSheet(
            kiosk_button_css(button_height, round(28 * scale))
            + f" QPushButton {{ background: {RED}; color: {WHITE}; }}"
        )

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self._colour)
        painter.end()
