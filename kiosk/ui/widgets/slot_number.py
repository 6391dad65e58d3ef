"""The slot number, as large as its box allows: black digits on a white card, readable
from across the office."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

DIGITS_OF_BOX = 0.78  # digit height as a share of the card's height
SIDE_MARGIN = 0.08  # of the card's width, each side


class SlotNumber(QWidget):
    """Paints ``number`` filling the widget. ``painted`` is emitted after each paint with
    the text drawn: the benchmark and tests use it to know the number is on the screen."""

    painted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._font: tuple[tuple[str, int, int], QFont] | None = None
        self.card_colour = QColor("#ffffff")
        self.digit_colour = QColor("#0b0b0b")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)

    def text(self) -> str:
        return self._text

    def set_number(self, number: int | None) -> None:
        text = "" if number is None else str(number)
        if text != self._text:
            self._text = text
            self.update()

    def sizeHint(self) -> QSize:
        return QSize(400, 300)

    def minimumSizeHint(self) -> QSize:
        return QSize(120, 100)

    def card_rect(self) -> QRectF:
        """The white card: the widget's height, and wide enough for the digits."""
        height = float(self.height())
        width = min(float(self.width()), max(height * 1.3, self._digits_width() * 1.25))
        return QRectF((self.width() - width) / 2, 0.0, width, height)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        card = self.card_rect()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.card_colour)
        radius = min(card.width(), card.height()) * 0.08
        painter.drawRoundedRect(card, radius, radius)
        if self._text:
            painter.setFont(self._digit_font())
            painter.setPen(self.digit_colour)
            painter.drawText(card, Qt.AlignmentFlag.AlignCenter, self._text)
        painter.end()
        self.painted.emit(self._text)

    def _digits_width(self) -> float:
        if not self._text:
            return 0.0
        return QFontMetricsF(self._digit_font()).horizontalAdvance(self._text)

    def _digit_font(self) -> QFont:
        key = (self._text, self.width(), self.height())
        if self._font is None or self._font[0] != key:
            self._font = (key, self._fit_font())
        return self._font[1]

    def _fit_font(self) -> QFont:
        font = QFont(self.font())
        font.setBold(True)
        font.setPixelSize(100)
        metrics = QFontMetricsF(font)
        digit_height = metrics.tightBoundingRect("0123456789").height() or 73.0
        width = metrics.horizontalAdvance(self._text or "0")
        by_height = 100 * DIGITS_OF_BOX * self.height() / digit_height
        by_width = 100 * (1 - 2 * SIDE_MARGIN) * self.width() / width
        font.setPixelSize(max(8, int(min(by_height, by_width))))
        return font
