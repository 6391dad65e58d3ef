"""Pupil cards: CR80 cards (85.6 x 54 mm, the size of a bank card), ten to an A4 page in
two columns of five, with crop marks to cut along.

Each card: school name, photo (or initials), preferred forename and surname, form and
year, a QR code for the kiosk's webcam and a Code128 for USB barcode scanners, both of the
signed card text (``kiosk.card_codec``) and both drawn as vectors, so they print
sharp at any resolution. The QR takes the right of the card, as big as the card allows
(44.4 mm with its quiet zone, 1.35 mm modules: the webcam loses a far card's modules
first); the school band, photo, name, form and year, and the card text in words share the
column to its left; the Code128 runs along the bottom, full width.

This module only draws: ``kiosk.services.card_runs`` chooses the pupils, issues their
cards (with the permission check and audit events) and gives it the faces.
"""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from kiosk.errors import InvalidInput
from kiosk.printing import draw
from kiosk.services.card_runs import CardBatch, CardFace
from kiosk.services.roster_check import year_label

CARD_W, CARD_H = 85.6 * mm, 54 * mm
COLUMNS, ROWS = 2, 5
PER_PAGE = COLUMNS * ROWS
PAGE_W, PAGE_H = A4
MARGIN_X = (PAGE_W - COLUMNS * CARD_W) / 2
MARGIN_Y = (PAGE_H - ROWS * CARD_H) / 2

# Card layout, from the card's bottom-left corner. Ink stays EDGE or more inside the
# card's edge, so a cut a little off the line loses nothing.
EDGE = 2 * mm
# The Code128 with its quiet zones: full width (a long card text needs it for bars of
# MIN_DOTS) and a quarter inch tall, the usual minimum for a hand-held scanner's line to
# cross every bar.
BARS = (EDGE, EDGE, CARD_W - 2 * EDGE, 6.35 * mm)
# The QR with its 4-module quiet zone, as big as the card allows: a far card's modules
# are what the webcam loses first. It runs from just above the bars to near the top edge
# at the right. The quiet zone is bare white card, so it may reach into the EDGE margin
# (the symbol's ink does not), but it stays QR_QUIET_INSET inside the edge: a cut that
# far off still leaves all four modules. A card text is a version 2 symbol (25 modules,
# 33 with the quiet zone): 44.4 mm gives 1.35 mm modules, a 33.6 mm symbol.
QR_QUIET_INSET = 1 * mm
QR_BOTTOM = BARS[1] + BARS[3] + 0.25 * mm
QR_SIZE = CARD_H - QR_QUIET_INSET - QR_BOTTOM
QR_AT = (CARD_W - QR_QUIET_INSET - QR_SIZE, QR_BOTTOM)
# Left of the QR's quiet zone: the school band over a column with the photo, the name
# beside it, and the card text (the Code128 in words) above the bars.
COLUMN_RIGHT = QR_AT[0] - 0.5 * mm
BAND = (EDGE, 44 * mm, COLUMN_RIGHT - EDGE, 8 * mm)  # x, y, width, height
PHOTO_W = 16 * mm
PHOTO = (EDGE, 42.5 * mm - PHOTO_W * 4 / 3, PHOTO_W, PHOTO_W * 4 / 3)
TEXT_X, TEXT_RIGHT, TEXT_TOP, TEXT_BOTTOM = (
    EDGE + PHOTO_W + 1.5 * mm,
    COLUMN_RIGHT,
    42.5 * mm,
    12 * mm,
)
LEADING = 1.2
# The most lines a forename and a surname may wrap to in the narrow name column.
FORENAME_LINES, SURNAME_LINES = 2, 5
CAPTION = (EDGE, BARS[1] + BARS[3] + 1.2 * mm, COLUMN_RIGHT - EDGE)  # x, baseline, width
MIN_DOTS = 4  # 4/600 inch = 0.17 mm: the narrowest bar a common USB scanner reads well

BLUE = HexColor("#0b3d91")
GREY = HexColor("#4b5563")
INK = HexColor("#111827")
PHOTO_GREY = HexColor("#e5e7eb")
CROP = Color(0.55, 0.55, 0.55)


def check_code_fits(text: str) -> None:
    """Refuse a card text whose Code128 would have bars too thin for a scanner to read
    at CR80 width (python-barcode counts the modules)."""
    if draw.code128_dots(text, BARS[2]) < MIN_DOTS:
        modules = len(draw.code128_modules(text))
        raise InvalidInput(
            f"The card text is too long for a barcode on a card ({modules} modules): "
            "use a shorter school code."
        )


def card_origin(index: int) -> tuple[float, float]:
    """Bottom-left corner of the card at ``index`` (0-9) on its page, filled row by row
    from the top left."""
    row, column = divmod(index % PER_PAGE, COLUMNS)
    return MARGIN_X + column * CARD_W, PAGE_H - MARGIN_Y - (row + 1) * CARD_H


def write_card_sheet(batch: CardBatch, path: Path) -> int:
    """Write the cards to ``path`` (replaced only once complete); returns the pages."""
    fonts = draw.fonts()
    pages = 0
    with draw.atomic_file(path) as temporary:
        canvas = Canvas(str(temporary), pagesize=A4, pageCompression=1)
        canvas.setTitle("Pupil cards")
        canvas.setAuthor(batch.school_name)
        canvas.setCreator("handin-kiosk")
        for start in range(0, len(batch.faces), PER_PAGE):
            page = batch.faces[start : start + PER_PAGE]
            _crop_marks(canvas, len(page))
            for index, face in enumerate(page):
                x, y = card_origin(index)
                _draw_card(canvas, fonts, batch.school_name, face, x, y)
            canvas.showPage()
            pages += 1
        canvas.save()
    return pages


def _crop_marks(canvas: Canvas, cards_on_page: int) -> None:
    rows = -(-cards_on_page // COLUMNS)
    columns = min(cards_on_page, COLUMNS)
    top, bottom = PAGE_H - MARGIN_Y, PAGE_H - MARGIN_Y - rows * CARD_H
    left, right = MARGIN_X, MARGIN_X + columns * CARD_W
    canvas.saveState()
    canvas.setStrokeColor(CROP)
    canvas.setLineWidth(0.3)
    gap, length = 2 * mm, 6 * mm
    for i in range(columns + 1):
        x = MARGIN_X + i * CARD_W
        canvas.line(x, top + gap, x, top + gap + length)
        canvas.line(x, bottom - gap, x, bottom - gap - length)
    for j in range(rows + 1):
        y = top - j * CARD_H
        canvas.line(left - gap, y, left - gap - length, y)
        canvas.line(right + gap, y, right + gap + length, y)
    canvas.restoreState()


def _draw_card(
    canvas: Canvas, fonts: draw.Fonts, school: str, face: CardFace, x: float, y: float
) -> None:
    canvas.saveState()
    canvas.translate(x, y)
    _band(canvas, fonts, school)
    _photo(canvas, fonts, face)
    _names(canvas, fonts, face)
    canvas.setFillColor(HexColor("#000000"))
    draw.draw_qr(canvas, face.text, *QR_AT, QR_SIZE)
    bx, by, bw, bh = BARS
    draw.draw_code128(canvas, face.text, bx, by, bw, bh, draw.code128_dots(face.text, bw))
    _caption(canvas, fonts, face.text)
    canvas.restoreState()


def _caption(canvas: Canvas, fonts: draw.Fonts, text: str) -> None:
    """The card text in words, for typing in when no scanner reads the card."""
    x, baseline, width = CAPTION
    canvas.setFillColor(GREY)
    canvas.setFont(fonts.regular, draw.fit_size(text, fonts.regular, width, 5.5, 4))
    canvas.drawString(x, baseline, text)


def _band(canvas: Canvas, fonts: draw.Fonts, school: str) -> None:
    bx, by, bw, bh = BAND
    canvas.setFillColor(BLUE)
    canvas.roundRect(bx, by, bw, bh, 1.5 * mm, stroke=0, fill=1)
    name = draw.printable(school, fonts.bold)
    fitted = draw.fit_lines(name, fonts.bold, bw - 3 * mm, 10, 5, 2)
    canvas.setFillColor(white)
    canvas.setFont(fonts.bold, fitted.size)
    step = fitted.size * 1.1
    # Cap height ~0.7 of the size: the block of lines centred in the band.
    baseline = by + (bh + step * (len(fitted.lines) - 1) - fitted.size * 0.7) / 2
    for line in fitted.lines:
        canvas.drawCentredString(bx + bw / 2, baseline, line)
        baseline -= step


def _photo(canvas: Canvas, fonts: draw.Fonts, face: CardFace) -> None:
    px, py, pw, ph = PHOTO
    if face.photo:
        try:
            canvas.drawImage(ImageReader(io.BytesIO(face.photo)), px, py, pw, ph)
            return
        except Exception:  # a damaged stored photo must not stop the whole print run
            pass
    canvas.setFillColor(PHOTO_GREY)
    canvas.rect(px, py, pw, ph, stroke=0, fill=1)
    initials = draw.printable(f"{face.forename[:1]}{face.surname[:1]}".upper(), fonts.bold)
    canvas.setFillColor(GREY)
    canvas.setFont(fonts.bold, 20)
    canvas.drawCentredString(px + pw / 2, py + ph / 2 - 7, initials)


TextLine = tuple[str, float, str, Color]  # font, size, text, colour


def _name_lines(fonts: draw.Fonts, face: CardFace, largest: float) -> list[TextLine]:
    width = TEXT_RIGHT - TEXT_X
    lines: list[TextLine] = []
    for text, max_lines in ((face.forename, FORENAME_LINES), (face.surname, SURNAME_LINES)):
        fitted = draw.fit_lines(
            draw.printable(text, fonts.bold), fonts.bold, width, largest, 6.5, max_lines
        )
        lines.extend((fonts.bold, fitted.size, line, INK) for line in fitted.lines)
    form = draw.printable(f"Form {face.reg_group}", fonts.regular)
    year = draw.printable(year_label(face.year_group), fonts.regular)
    size = min(
        draw.fit_size(text, fonts.regular, width, min(9, largest), 5) for text in (form, year)
    )
    lines.extend((fonts.regular, size, text, GREY) for text in (form, year))
    return lines


def _names(canvas: Canvas, fonts: draw.Fonts, face: CardFace) -> None:
    """Forename, surname and form, top-aligned beside the photo; the largest size at
    which all of it fits above the barcode."""
    room = TEXT_TOP - TEXT_BOTTOM
    largest = 12.0
    lines = _name_lines(fonts, face, largest)
    while sum(size * LEADING for _f, size, _t, _c in lines) > room and largest > 6.5:
        largest -= 0.5
        lines = _name_lines(fonts, face, largest)
    y = TEXT_TOP
    for font, size, text, colour in lines:
        y -= size * LEADING
        canvas.setFont(font, size)
        canvas.setFillColor(colour)
        canvas.drawString(TEXT_X, y + size * 0.22, text)
