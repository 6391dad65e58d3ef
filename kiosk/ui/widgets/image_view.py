"""An image scaled to fit its box, keeping its shape: the pupil's photo and the camera
preview (shown mirrored, like a looking-glass, so a pupil moving the card left sees it
move left)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget


class ImageView(QWidget):
    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        rounded: float = 16.0,
        placeholder: str = "",
        text_colour: str = "#ffffff",
        mirrored: bool = False,
    ) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self.rounded = rounded
        self.mirrored = mirrored
        self.placeholder = placeholder
        self.text_colour = QColor(text_colour)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)

    def image(self) -> QImage | None:
        return self._image

    def set_image(self, image: QImage | None) -> None:
        self._image = image if image is not None and not image.isNull() else None
        self.update()

    def set_placeholder(self, text: str) -> None:
        self.placeholder = text
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(320, 240)

    def minimumSizeHint(self) -> QSize:
        return QSize(64, 64)

    def image_rect(self) -> QRectF:
        """Where the image lands: centred, as large as fits, aspect ratio kept."""
        if self._image is None:
            return QRectF()
        size = self._image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - size.width()) / 2
        y = (self.height() - size.height()) / 2
        return QRectF(x, y, size.width(), size.height())

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if self._image is None:
            self._paint_placeholder(painter)
        else:
            target = self.image_rect()
            path = QPainterPath()
            path.addRoundedRect(target, self.rounded, self.rounded)
            painter.setClipPath(path)
            self._paint_image(painter, target, self._image)
            painter.setClipping(False)
            self.paint_over_image(painter, target)
        painter.end()

    def _paint_image(self, painter: QPainter, target: QRectF, image: QImage) -> None:
        if not self.mirrored:
            painter.drawImage(target, image)
            return
        painter.save()
        painter.translate(target.x() + target.width(), target.y())
        painter.scale(-1.0, 1.0)
        painter.drawImage(QRectF(0, 0, target.width(), target.height()), image)
        painter.restore()

    def paint_over_image(self, painter: QPainter, target: QRectF) -> None:
        """Drawn after the image, over ``target`` (where it landed): for subclasses."""

    def _paint_placeholder(self, painter: QPainter) -> None:
        if not self.placeholder:
            return
        font = painter.font()
        font.setPixelSize(max(14, min(28, self.height() // 10)))
        painter.setFont(font)
        painter.setPen(self.text_colour)
        flags = int(Qt.AlignmentFlag.AlignCenter) | int(Qt.TextFlag.TextWordWrap)
        painter.drawText(self.rect().adjusted(12, 12, -12, -12), flags, self.placeholder)
