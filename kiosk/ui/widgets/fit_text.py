"""Text that always fits its box: the largest font up to ``max_px`` that shows all of it.

The kiosk runs on anything from 1024x600 to 1920x1080, and names and messages vary in
length; shrinking to fit means nothing is ever clipped, whatever the screen and text."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

LARGE = 100_000


class FitText(QWidget):
    def __init__(
        self,
        text: str = "",
        *,
        max_px: int = 48,
        min_px: int = 12,
        bold: bool = True,
        colour: str = "#ffffff",
        align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignCenter,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._text = text
        self._max_px, self._min_px = max_px, min_px
        self._bold = bold
        self._colour = QColor(colour)
        self._flags = 0
        self.set_alignment(align)
        self._fitted: tuple[tuple[str, int, int, int], QFont] | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:
        if text != self._text:
            self._text = text
            self.update()

    def set_colour(self, colour: str) -> None:
        self._colour = QColor(colour)
        self.update()

    def set_alignment(self, align: Qt.AlignmentFlag) -> None:
        """Horizontal and (optionally) vertical alignment; vertically centred if not given."""
        if not align & Qt.AlignmentFlag.AlignVertical_Mask:
            align |= Qt.AlignmentFlag.AlignVCenter
        self._flags = int(align) | int(Qt.TextFlag.TextWordWrap)
        self._fitted = None
        self.update()

    def set_max_px(self, max_px: int) -> None:
        if max_px != self._max_px:
            self._max_px = max(self._min_px, max_px)
            self.updateGeometry()  # the size hint follows the largest size
            self.update()

    def font_px(self) -> int:
        """The pixel size the text is drawn at in the current box."""
        return self._fitted_font().pixelSize()

    def sizeHint(self) -> QSize:
        return QSize(200, round(self._max_px * 1.4))

    def minimumSizeHint(self) -> QSize:
        return QSize(40, round(self._min_px * 1.4))

    def paintEvent(self, _event: QPaintEvent) -> None:
        if not self._text:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.setFont(self._fitted_font())
        painter.setPen(self._colour)
        painter.drawText(self.contentsRect(), self._flags, self._text)
        painter.end()

    def _fitted_font(self) -> QFont:
        box = self.contentsRect()
        key = (self._text, box.width(), box.height(), self._max_px)
        if self._fitted is None or self._fitted[0] != key:
            self._fitted = (key, self._search(box))
        return self._fitted[1]

    def _search(self, box: QRect) -> QFont:
        low, high = self._min_px, max(self._min_px, self._max_px)
        while low < high:  # the largest size that fits
            middle = (low + high + 1) // 2
            if self._fits(middle, box):
                low = middle
            else:
                high = middle - 1
        return self._font(low)

    def _fits(self, px: int, box: QRect) -> bool:
        metrics = QFontMetrics(self._font(px))
        needed = metrics.boundingRect(QRect(0, 0, box.width(), LARGE), self._flags, self._text)
        return needed.width() <= box.width() and needed.height() <= box.height()

    def _font(self, px: int) -> QFont:
        font = QFont(self.font())
        font.setPixelSize(px)
        font.setBold(self._bold)
        return font
