"""The slot map: every slot as a coloured square (free, daily hand-in, confiscation, out of
service), reserved confiscation slots marked, tap one to see who is in it and since when.

Painted as one widget rather than hundreds of buttons: a 600-slot cabinet wall then costs
one paint, which keeps the dashboard quick to open."""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from kiosk.qtfix import emit  # PySide6 6.12 on Python 3.11: see there
from kiosk.services.console import FREE, OUT_OF_SERVICE, TO_CHECK, SlotState
from kiosk.ui.staff.common import when_text
from kiosk.ui.style import (
    AMBER,
    INK,
    SLOT_CONFISCATION,
    SLOT_DAILY,
    SLOT_FREE,
    SLOT_OUT,
    WHITE,
)

CELL = 64
GAP = 6
COLOURS = {
    FREE: SLOT_FREE,
    "daily": SLOT_DAILY,
    "confiscation": SLOT_CONFISCATION,
    OUT_OF_SERVICE: SLOT_OUT,
    TO_CHECK: AMBER,
}
WORDS = {
    FREE: "Free",
    "daily": "Daily hand-in",
    "confiscation": "Confiscation",
    OUT_OF_SERVICE: "Out of service",
    TO_CHECK: "To check (undone)",
}


class SlotMap(QWidget):
    """Emits ``slot_tapped(number)``; ``selected`` is the slot last tapped."""

    slot_tapped = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._slots: list[SlotState] = []
        self.selected: int | None = None
        self._font = QFont(self.font())
        self._font.setPixelSize(20)
        self._font.setBold(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAccessibleName("Slot map")

    # -- data

    def set_slots(self, slots: Sequence[SlotState]) -> None:
        self._slots = list(slots)
        if self.selected is not None and self.slot(self.selected) is None:
            self.selected = None
        self._fit_height(self.width())
        self.update()

    def slot(self, number: int) -> SlotState | None:
        return next((s for s in self._slots if s.number == number), None)

    @property
    def slots(self) -> list[SlotState]:
        return list(self._slots)

    # -- geometry

    def _columns(self, width: int) -> int:
        return max(1, (width + GAP) // (CELL + GAP))

    def heightForWidth(self, width: int) -> int:
        rows = math.ceil(len(self._slots) / self._columns(width)) if self._slots else 1
        return rows * (CELL + GAP)

    def hasHeightForWidth(self) -> bool:
        return True

    def sizeHint(self) -> QSize:
        width = 12 * (CELL + GAP)
        return QSize(width, self.heightForWidth(width))

    def _fit_height(self, width: int) -> None:
        height = self.heightForWidth(max(width, CELL))
        if self.minimumHeight() != height:
            self.setMinimumHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._fit_height(event.size().width())
        super().resizeEvent(event)

    def cell_rect(self, position: int) -> QRect:
        columns = self._columns(self.width())
        row, column = divmod(position, columns)
        return QRect(column * (CELL + GAP), row * (CELL + GAP), CELL, CELL)

    def slot_at(self, point: QPoint) -> SlotState | None:
        columns = self._columns(self.width())
        column, row = point.x() // (CELL + GAP), point.y() // (CELL + GAP)
        if column >= columns:
            return None
        position = row * columns + column
        if 0 <= position < len(self._slots) and self.cell_rect(position).contains(point):
            return self._slots[position]
        return None

    # -- painting and taps

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(self._font)
        visible = event.rect()
        columns, pitch = self._columns(self.width()), CELL + GAP
        # Only the rows in view: a scrolled 1,500-slot wall paints a screenful, not all.
        first = max(0, visible.top() // pitch) * columns
        last = min(len(self._slots), (visible.bottom() // pitch + 1) * columns)
        for position in range(first, last):
            row, column = divmod(position, columns)
            rect = QRect(column * pitch, row * pitch, CELL, CELL)
            self._paint_cell(painter, rect, self._slots[position])
        painter.end()

    def _paint_cell(self, painter: QPainter, rect: QRect, slot: SlotState) -> None:
        state = slot.state
        painter.setBrush(QColor(COLOURS[state]))
        if slot.number == self.selected:
            painter.setPen(QPen(QColor(INK), 4))
        elif slot.reserved_for_confiscation:
            painter.setPen(QPen(QColor(SLOT_CONFISCATION), 3, Qt.PenStyle.DashLine))
        else:
            painter.setPen(QPen(QColor("#9ca3af"), 1))
        painter.drawRoundedRect(rect.adjusted(2, 2, -2, -2), 8, 8)
        if state == OUT_OF_SERVICE:  # hatched, so it reads as "not available" without colour
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(QColor(255, 255, 255, 110), Qt.BrushStyle.BDiagPattern))
            painter.drawRoundedRect(rect.adjusted(2, 2, -2, -2), 8, 8)
        painter.setPen(QColor(INK if state == FREE else WHITE))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(slot.number))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        slot = self.slot_at(event.position().toPoint())
        if slot is None:
            return
        self.selected = slot.number
        self.update()
        emit(self.slot_tapped, slot.number)


def describe_slot(slot: SlotState) -> str:
    """What a tapped slot holds, in words."""
    where = f"Slot {slot.number} (cabinet {slot.cabinet})"
    if slot.kind is not None:
        kind = "confiscated device" if slot.kind == "confiscation" else "daily hand-in"
        return f"{where}: {slot.pupil_name}, {slot.reg_group}: {kind} since {when_text(slot.since)}"
    if not slot.in_service:
        return f"{where}: out of service"
    if slot.check_needed:
        return f"{where}: a hand-in was undone; check it is empty (see above)"
    reserved = ", reserved for confiscations" if slot.reserved_for_confiscation else ""
    return f"{where}: free{reserved}"


LEGEND = (
    (FREE, False, WORDS[FREE]),
    ("daily", False, WORDS["daily"]),
    ("confiscation", False, WORDS["confiscation"]),
    (OUT_OF_SERVICE, False, WORDS[OUT_OF_SERVICE]),
    (TO_CHECK, False, WORDS[TO_CHECK]),
    (FREE, True, "Reserved for confiscations"),
)
SWATCH = 24


class SlotLegend(QWidget):
    """What the colours mean, painted with the slot map's own cell drawing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedHeight(SWATCH + 8)
        self._font = QFont(self.font())
        self._font.setPixelSize(16)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(self._font)
        metrics = painter.fontMetrics()
        x = 0
        for state, reserved, words in LEGEND:
            swatch = QRect(x, 4, SWATCH, SWATCH)
            painter.setBrush(QColor(COLOURS[state]))
            if reserved:
                painter.setPen(QPen(QColor(SLOT_CONFISCATION), 2, Qt.PenStyle.DashLine))
            else:
                painter.setPen(QPen(QColor("#9ca3af"), 1))
            painter.drawRoundedRect(swatch.adjusted(1, 1, -1, -1), 4, 4)
            painter.setPen(QColor(INK))
            text_rect = QRect(
                x + SWATCH + 6, 0, metrics.horizontalAdvance(words) + 2, self.height()
            )
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter, words)
            x = text_rect.right() + 22
        painter.end()
