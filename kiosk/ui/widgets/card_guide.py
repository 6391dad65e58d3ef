"""The kiosk's camera preview with a card guide: a box, the shape of a pupil card, and
"Hold your card in the box".

Why: the webcam reads a card that fills a good share of its picture nearly every frame,
and a far one (under ~30 % of the width) often not at all (benchmarks/README.md). A
pupil aims by the preview, so the box shows where the card reads best. A card filling
the box is ``GUIDE_WIDTH`` of the camera picture's width; the box is drawn in the
picture's own coordinates, so it scales with the preview at every screen size, and it is
centred, so mirroring the preview does not move it.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QWidget

from kiosk.ui.widgets.image_view import ImageView

# Share of the camera picture's width a card filling the box takes: the synthetic kiosk
# frames read 98-100 % per frame from 35 % up, and at 45 % a pupil can fall short by a
# fifth and still be there.
GUIDE_WIDTH = 0.45
CARD_ASPECT = 85.6 / 54.0  # CR80
GUIDE_TEXT = "Hold your card in the box"
_LINE = QColor("#ffffff")
_OUTLINE = QColor(0, 0, 0, 200)
_SHADE = QColor(0, 0, 0, 70)
_LABEL_BACK = QColor(0, 0, 0, 170)


def guide_rect(image: QRectF) -> QRectF:
    """The box, for a camera picture shown at ``image``: ``GUIDE_WIDTH`` of its width,
    card-shaped, centred a little below the middle (the words go above it). Narrowed to
    fit a picture too short for it (taller than 16:9 is not, but a preview may be)."""
    width = GUIDE_WIDTH * image.width()
    height = width / CARD_ASPECT
    if height > 0.7 * image.height():
        height = 0.7 * image.height()
        width = height * CARD_ASPECT
    x = image.x() + (image.width() - width) / 2
    y = image.y() + image.height() * 0.56 - height / 2
    return QRectF(x, y, width, height)


def label_rect(image: QRectF, box: QRectF) -> QRectF:
    """Where the words go: the band between the top of the picture and the box."""
    margin = 0.03 * image.height()
    return QRectF(
        image.x() + margin,
        image.y() + margin,
        image.width() - 2 * margin,
        box.y() - image.y() - 2 * margin,
    )


class CardGuidePreview(ImageView):
    """The camera preview, mirrored, with the card guide over the picture (none over
    the placeholder: with no picture there is nothing to aim at)."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        placeholder: str = "",
        text_colour: str = "#ffffff",
    ) -> None:
        super().__init__(parent, placeholder=placeholder, text_colour=text_colour, mirrored=True)
        self.guide_text = GUIDE_TEXT

    def guide_rect(self) -> QRectF:
        """The box in widget coordinates, or an empty rectangle with no picture."""
        image = self.image_rect()
        return guide_rect(image) if not image.isEmpty() else QRectF()

    def label_rect(self) -> QRectF:
        image = self.image_rect()
        return label_rect(image, guide_rect(image)) if not image.isEmpty() else QRectF()

    def paint_over_image(self, painter: QPainter, target: QRectF) -> None:
        box = guide_rect(target)
        radius = 0.06 * box.height()
        self._shade_outside(painter, target, box, radius)
        line = max(3.0, 0.012 * target.width())
        # A dark outline under a white line: visible on a white card and a dark desk alike.
        for colour, width in ((_OUTLINE, line + 4), (_LINE, line)):
            pen = QPen(colour, width)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(box, radius, radius)
        self._paint_label(painter, label_rect(target, box))

    def _shade_outside(self, painter: QPainter, target: QRectF, box: QRectF, radius: float) -> None:
        shade = QPainterPath()
        shade.addRoundedRect(target, self.rounded, self.rounded)
        hole = QPainterPath()
        hole.addRoundedRect(box, radius, radius)
        painter.fillPath(shade.subtracted(hole), _SHADE)

    def _paint_label(self, painter: QPainter, space: QRectF) -> None:
        if space.height() < 8 or space.width() < 40:
            return
        font = QFont(painter.font())
        font.setBold(True)
        font.setPixelSize(max(10, round(0.62 * space.height())))
        while font.pixelSize() > 10:
            if QFontMetricsF(font).horizontalAdvance(self.guide_text) <= 0.9 * space.width():
                break
            font.setPixelSize(font.pixelSize() - 1)
        metrics = QFontMetricsF(font)
        text_w, text_h = metrics.horizontalAdvance(self.guide_text), metrics.height()
        pill = QRectF(0, 0, text_w + text_h, text_h * 1.25)
        pill.moveCenter(space.center())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_LABEL_BACK)
        painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
        painter.setFont(font)
        painter.setPen(_LINE)
        painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter), self.guide_text)
