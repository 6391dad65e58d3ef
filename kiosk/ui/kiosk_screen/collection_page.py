"""Home time: the panel a member of staff beside the kiosk confirms before giving a phone
back. It shows the pupil's photo, name and slot, and one big "Give back" button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from kiosk.ui.style import BLUE, TOUCH, kiosk_button_css
from kiosk.ui.widgets.fit_text import FitText
from kiosk.ui.widgets.image_view import ImageView
from kiosk.ui.widgets.page import ColouredPage
from kiosk.ui.widgets.slot_number import SlotNumber

LEFT = Qt.AlignmentFlag.AlignLeft


class CollectionPage(ColouredPage):
    """``confirm_clicked(custody_id)`` when staff tap "Give back"; ``cancel_clicked`` for
    "Not now"; ``sign_out_clicked`` to forget the remembered staff member."""

    confirm_clicked = Signal(int)
    cancel_clicked = Signal()
    sign_out_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(BLUE, parent)
        self.custody_id: int | None = None
        self.photo = ImageView()
        self.name = FitText(max_px=56, align=LEFT)
        self.caption = FitText("Phone in slot", max_px=34, bold=False, align=LEFT)
        self.slot = SlotNumber()
        self.note = FitText(max_px=30)
        self.staff_line = FitText(max_px=22, bold=False)
        self.sign_out = QPushButton("Sign out")
        self.not_now = QPushButton("Not now")
        self.give_back = QPushButton("Give back")
        self.sign_out.clicked.connect(self.sign_out_clicked.emit)
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
        buttons.addWidget(self.staff_line, 1)
        buttons.addWidget(self.sign_out)
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
        staff_name: str | None,
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
        self.set_staff(staff_name)

    def set_staff(self, staff_name: str | None) -> None:
        if staff_name:
            self.staff_line.setText(f"Staff: {staff_name}. Check the photo first.")
        else:
            self.staff_line.setText("Staff: check the photo, tap Give back, type your PIN")
        self.sign_out.setVisible(bool(staff_name))

    def apply_scale(self, scale: float) -> None:
        margin = round(20 * scale)
        layout = self.layout()
        if layout is not None:
            layout.setContentsMargins(margin, margin // 2, margin, margin)
            layout.setSpacing(round(10 * scale))
        self.name.set_max_px(round(56 * scale))
        self.caption.set_max_px(round(34 * scale))
        self.note.set_max_px(round(30 * scale))
        self.note.setFixedHeight(round(48 * scale))
        self.staff_line.set_max_px(round(22 * scale))
        self.staff_line.setMinimumHeight(TOUCH)
        self.photo.setMaximumWidth(round(300 * scale))
        font = round(26 * scale)
        self.not_now.setStyleSheet(kiosk_button_css(round(72 * scale), font))
        self.sign_out.setStyleSheet(kiosk_button_css(round(72 * scale), round(22 * scale)))
        self.give_back.setStyleSheet(
            kiosk_button_css(round(84 * scale), round(32 * scale), primary=True)
        )

    def _confirm(self) -> None:
        if self.custody_id is not None:
            self.confirm_clicked.emit(self.custody_id)
