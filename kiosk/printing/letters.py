"""The letter to parents as a PDF, in the receipts' style: the school's name, the date, who
it is for, the school's own wording, and a short record of what was taken. The file name
carries the record number and time, never a name; it is written next to its final name
and renamed into place, so a failed print never leaves half a letter."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer
from reportlab.platypus.flowables import HRFlowable

from kiosk.clock import to_local, utcnow
from kiosk.printing.draw import fonts, printable, write_a4
from kiosk.services.letters import Letter

MARGIN = 22 * mm
INK = colors.HexColor("#111827")
RULE = colors.HexColor("#0b3d91")


def letter_path(folder: Path, custody_id: int, now: dt.datetime | None = None) -> Path:
    stamp = to_local(now or utcnow()).strftime("%Y%m%d-%H%M%S")
    return folder / f"letter-{custody_id}-{stamp}.pdf"


def _styles() -> dict[str, ParagraphStyle]:
    face = fonts()
    body = ParagraphStyle(
        "body", fontName=face.regular, fontSize=11, leading=15.5, textColor=INK, spaceAfter=9
    )
    return {
        "school": ParagraphStyle(
            "school", parent=body, fontName=face.bold, fontSize=17, leading=21, spaceAfter=2
        ),
        "body": body,
        "right": ParagraphStyle("right", parent=body, alignment=2),
        "to": ParagraphStyle("to", parent=body, fontName=face.bold),
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10, spaceAfter=0),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """Plain words (the school's template and the record's values) as a paragraph: every
    character escaped, one line break kept as a line break."""
    safe = escape(printable(text, style.fontName)).replace("\n", "<br/>")
    return Paragraph(safe, style)


def story(letter: Letter) -> list[Flowable]:
    styles = _styles()
    day = letter.written_on
    return [
        _p(letter.school_name, styles["school"]),
        HRFlowable(width="100%", thickness=1.2, color=RULE, spaceBefore=2, spaceAfter=10),
        _p(f"{day:%A} {day.day} {day:%B %Y}", styles["right"]),
        _p(letter.addressed_to, styles["to"]),
        Spacer(1, 3 * mm),
        *(_p(paragraph, styles["body"]) for paragraph in letter.paragraphs),
        Spacer(1, 10 * mm),
        _p(
            f"Record number {letter.custody_id}. Please quote it if you contact the school "
            "about this device.",
            styles["small"],
        ),
    ]


def write_letter(path: Path, letter: Letter) -> Path:
    """Write the letter's PDF at ``path`` (atomically) and return the path."""
    return write_a4(
        path,
        story(letter),
        margin=MARGIN,
        title=f"Letter to parents, record {letter.custody_id}",
        author=letter.school_name,
    )
