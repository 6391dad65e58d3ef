"""A full-screen page painted in one solid colour, that reports a tap anywhere on it
that no button took."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget


class ColouredPage(QWidget):
    tapped = Signal()

    def __init__(self, colour: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colour = QColor(colour)

    def colour(self) -> str:
        return str(self._colour.name())

    def set_colour(self, colour: str) -> None:
        self._colour = QColor(colour)
        self.update()

    def set_margins(self, side: int, top: int | None = None, spacing: int | None = None) -> None:
        """The page's margins (``side`` px left and right, ``top`` above and below: ``side``
        unless given) and spacing between its parts, already scaled to the screen."""
        layout = self.layout()
        if layout is None:
            return
        top = side if top is None else top
        layout.setContentsMargins(side, top, side, top)
        if spacing is not None:
            layout.setSpacing(spacing)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self._colour)
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.tapped.emit()
        event.accept()
