"""Slot labels: each slot's number, large enough to read across the office, with a small
QR code of the slot's code (``HKS.<school>.<number>``) for staff scanners and the cabinet
name. Laid out for the common 21-to-a-sheet A4 labels (63.5 x 38.1 mm, 3 x 7: Avery
L7160/J8160 and their equivalents), so they print straight onto sticky labels.

This module only draws: ``kiosk.services.slot_labels`` gives it the labels.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from kiosk.printing import draw
from kiosk.services.slot_labels import SlotLabel

LABEL_W, LABEL_H = 63.5 * mm, 38.1 * mm
COLUMNS, ROWS = 3, 7
PER_PAGE = COLUMNS * ROWS
LEFT, TOP = 7.25 * mm, 15.15 * mm  # sheet margins
PITCH_X, PITCH_Y = 66.04 * mm, 38.1 * mm
PAGE_W, PAGE_H = A4
INSET = 3 * mm  # label corners are rounded and die-cuts wander: keep clear of the edge
QR_SIZE = 17 * mm
NUMBER_BOX = (INSET, 10 * mm, LABEL_W - 2 * INSET - QR_SIZE - 1 * mm, 22 * mm)
INK = HexColor("#111827")
GREY = HexColor("#4b5563")


def label_origin(index: int) -> tuple[float, float]:
    """Bottom-left corner of the label at ``index`` on its page, row by row from the top."""
    row, column = divmod(index % PER_PAGE, COLUMNS)
    return LEFT + column * PITCH_X, PAGE_H - TOP - row * PITCH_Y - LABEL_H


def write_label_sheet(labels: list[SlotLabel], path: Path) -> int:
    fonts = draw.fonts()
    pages = 0
    with draw.atomic_file(path) as temporary:
        canvas = Canvas(str(temporary), pagesize=A4, pageCompression=1)
        canvas.setTitle("Slot labels")
        canvas.setCreator("handin-kiosk")
        for start in range(0, len(labels), PER_PAGE):
            for index, label in enumerate(labels[start : start + PER_PAGE]):
                _draw_label(canvas, fonts, label, *label_origin(index))
            canvas.showPage()
            pages += 1
        canvas.save()
    return pages


def _draw_label(canvas: Canvas, fonts: draw.Fonts, label: SlotLabel, x: float, y: float) -> None:
    canvas.saveState()
    canvas.translate(x, y)
    number = str(label.number)
    bx, by, bw, bh = NUMBER_BOX
    # Digits stand about 0.73 em tall in DejaVu/Vera Bold: the size that fills the box.
    size = draw.fit_size(number, fonts.bold, bw, bh / 0.73, 20)
    canvas.setFillColor(INK)
    canvas.setFont(fonts.bold, size)
    canvas.drawCentredString(bx + bw / 2, by + (bh - size * 0.73) / 2, number)
    draw.draw_qr(canvas, label.code, LABEL_W - INSET - QR_SIZE, 14 * mm, QR_SIZE)
    where = f"Cabinet {label.cabinet}" + (f", {label.door}" if label.door else "")
    caption = draw.printable(where, fonts.regular)
    canvas.setFillColor(GREY)
    canvas.setFont(fonts.regular, draw.fit_size(caption, fonts.regular, 32 * mm, 8, 5))
    canvas.drawString(INSET, INSET + 1 * mm, caption)
    canvas.setFont(fonts.regular, 6)
    canvas.drawRightString(LABEL_W - INSET, INSET + 1 * mm, label.code)
    canvas.restoreState()
