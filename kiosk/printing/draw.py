"""Drawing pieces the card and label sheets share: fonts that cover pupils' names, QR codes
and Code128 barcodes drawn as vector rectangles, text fitted to a width; and the atomic
PDF write every printed file uses (receipts too)."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import reportlab
from barcode import Code128
from reportlab.graphics.barcode import qrencoder
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate

FONT_CANDIDATES = (
    # fonts-dejavu-core (a runtime package of the kiosk) covers Vietnamese, Polish, Irish...
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("C:/Windows/Fonts/arial.ttf", "arialbd.ttf"),
    # ReportLab's own Bitstream Vera: always there, but Latin-1 plus a little only.
    (str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"), "VeraBd.ttf"),
)
POINTS_PER_INCH = 72.0
# Bars are whole multiples of a 600 dpi printer dot, so every bar prints the same width.
PRINTER_DPI = 600
DOT = POINTS_PER_INCH / PRINTER_DPI
CODE128_QUIET_MODULES = 10
QR_QUIET_MODULES = 4


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str


@cache
def fonts() -> Fonts:
    """Register the first TrueType pair found (embedded, subset, in every PDF)."""
    for regular, bold_name in FONT_CANDIDATES:
        bold = str(Path(regular).with_name(bold_name))
        if Path(regular).is_file() and Path(bold).is_file():
            stem = Path(regular).stem
            pdfmetrics.registerFont(TTFont(f"Kiosk-{stem}", regular))
            pdfmetrics.registerFont(TTFont(f"Kiosk-{stem}-Bold", bold))
            return Fonts(f"Kiosk-{stem}", f"Kiosk-{stem}-Bold")
    return Fonts("Helvetica", "Helvetica-Bold")


def printable(text: str, font: str) -> str:
    """``text`` with each character the font lacks replaced by its unaccented letter
    (better "Nguyen" than a blank box); characters with no such letter become "?"."""
    face = getattr(pdfmetrics.getFont(font), "face", None)
    glyphs: dict[int, int] | None = getattr(face, "charToGlyph", None)
    if glyphs is None:
        return text
    out = []
    for char in text:
        if ord(char) in glyphs or char.isspace():
            out.append(char)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if ord(c) in glyphs)
        out.append(re.sub(r"[\u0300-\u036f]", "", base) or "?")
    return "".join(out)


def text_width(text: str, font: str, size: float) -> float:
    return float(pdfmetrics.stringWidth(text, font, size))


def fit_size(text: str, font: str, width: float, largest: float, smallest: float) -> float:
    """The largest size (half-point steps) at which ``text`` fits ``width``; ``smallest``
    if none does."""
    size = largest
    while size > smallest and text_width(text, font, size) > width:
        size -= 0.5
    return max(size, smallest)


def _pieces(text: str) -> list[tuple[str, str]]:
    """(separator before, piece): words, and double-barrelled names split after the
    hyphen, so "Fitzgerald-Hughes" may break as "Fitzgerald-" / "Hughes"."""
    pieces: list[tuple[str, str]] = []
    for word in text.split():
        for i, part in enumerate(re.findall(r"[^-]+-|[^-]+|-", word)):
            pieces.append(("" if i else " ", part))
    return pieces


def _break_long(piece: str, font: str, size: float, width: float) -> list[str]:
    chunks, current = [], ""
    for char in piece:
        if current and text_width(current + char, font, size) > width:
            chunks.append(current)
            current = ""
        current += char
    return [*chunks, current] if current else chunks


def _pieces_fit(text: str, font: str, size: float, width: float) -> bool:
    """Whether every word (or hyphenated part) of ``text`` fits ``width`` unbroken."""
    return all(text_width(piece, font, size) <= width for _, piece in _pieces(text))


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy line breaking at spaces and hyphens; a piece wider than a line is broken
    between letters as a last resort."""
    lines: list[str] = []
    current = ""
    for separator, piece in _pieces(text):
        candidate = f"{current}{separator}{piece}" if current else piece
        if text_width(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        parts = _break_long(piece, font, size, width)
        lines.extend(parts[:-1])
        current = parts[-1] if parts else ""
    if current:
        lines.append(current)
    return lines


@dataclass(frozen=True)
class FittedText:
    size: float
    lines: tuple[str, ...]


def fit_lines(
    text: str, font: str, width: float, largest: float, smallest: float, max_lines: int
) -> FittedText:
    """One line if it fits at 75% of ``largest`` or more, else wrapped into at most
    ``max_lines`` at the largest size that works, breaking only at spaces and hyphens if
    any size down to ``smallest`` allows it, else between letters too; at ``smallest``
    the last line is cut with an ellipsis (names stay whole in the database; only the
    card is short of room)."""
    size = fit_size(text, font, width, largest, largest * 0.75)
    if text_width(text, font, size) <= width:
        return FittedText(size, (text,))
    for whole_pieces in (True, False):
        size = largest
        while size >= smallest:
            lines = wrap(text, font, size, width)
            fits = len(lines) <= max_lines
            if fits and (not whole_pieces or _pieces_fit(text, font, size, width)):
                return FittedText(size, tuple(lines))
            size -= 0.5
    lines = wrap(text, font, smallest, width)[:max_lines]
    last = lines[-1]
    while last and text_width(last + "…", font, smallest) > width:
        last = last[:-1]
    return FittedText(smallest, (*lines[:-1], last + "…"))


# --- QR ------------------------------------------------------------------------------


def qr_code(text: str) -> qrencoder.QRCode:
    """A QR symbol of ``text`` in alphanumeric mode (upper case, digits and ". -$%*+/:"
    pack 5.5 bits a character, against 8 in byte mode: a smaller symbol, bigger modules)
    at error correction level M, smallest version that holds it."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    try:
        code.addData(qrencoder.QRAlphaNum(text))
    except ValueError:  # not alphanumeric: byte mode still encodes it
        code.addData(qrencoder.QR8bitByte(text))
    code.make()
    return code


def qr_matrix(text: str) -> list[list[bool]]:
    return [[bool(dark) for dark in row] for row in qr_code(text).modules]


def draw_qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> float:
    """Draw the QR symbol (with its 4-module quiet zone) in the square at (x, y); returns
    the module size in points. Each row's dark runs become one rectangle of a single
    filled path, so no hairline seams appear between modules."""
    matrix = qr_matrix(text)
    count = len(matrix)
    module = size / (count + 2 * QR_QUIET_MODULES)
    left = x + QR_QUIET_MODULES * module
    top = y + size - QR_QUIET_MODULES * module
    path = canvas.beginPath()
    for r, row in enumerate(matrix):
        c = 0
        while c < count:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < count and row[c]:
                c += 1
            path.rect(left + start * module, top - (r + 1) * module, (c - start) * module, module)
    canvas.drawPath(path, stroke=0, fill=1)
    return module


# --- Code128 -------------------------------------------------------------------------


def code128_modules(text: str) -> str:
    """The bar pattern python-barcode builds ('1' dark, '0' light), start to stop, without
    quiet zones."""
    pattern: str = Code128(text, writer=None).build()[0]
    return pattern


def code128_dots(text: str, width: float) -> int:
    """How many printer dots wide each module can be for the symbol and its quiet zones
    to fit ``width`` points (0 when not even one dot fits)."""
    modules = len(code128_modules(text)) + 2 * CODE128_QUIET_MODULES
    return int(width / (modules * DOT))


def draw_code128(
    canvas: Canvas, text: str, x: float, y: float, width: float, height: float, dots: int
) -> float:
    """Draw the bars centred in ``width`` (quiet zones inside it) with modules ``dots``
    printer dots wide; returns the symbol's width without quiet zones."""
    pattern = code128_modules(text)
    module = dots * DOT
    symbol = len(pattern) * module
    left = x + (width - symbol) / 2
    path = canvas.beginPath()
    for match in re.finditer("1+", pattern):
        path.rect(left + match.start() * module, y, len(match.group(0)) * module, height)
    canvas.drawPath(path, stroke=0, fill=1)
    return symbol


# --- Files ---------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """A temporary path next to ``path``; it replaces ``path`` only if the block ends
    without an error, so a failed print never leaves half a PDF behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".part", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_a4(
    path: Path,
    story: list[Flowable],
    *,
    margin: float,
    title: str,
    author: str | None = None,
    canvasmaker: type[Canvas] = Canvas,
) -> Path:
    """Lay ``story`` out on A4 pages with ``margin`` all round and write the PDF at ``path``
    (atomically); return the path."""
    with atomic_file(path) as temporary:
        doc = SimpleDocTemplate(
            str(temporary),
            pagesize=A4,
            leftMargin=margin,
            rightMargin=margin,
            topMargin=margin,
            bottomMargin=margin,
            title=title,
            author=author,
        )
        doc.build(story, canvasmaker=canvasmaker)
    return path
