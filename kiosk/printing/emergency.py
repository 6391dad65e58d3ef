"""The emergency list as PDF: every device held (pupil, form, slot, devices), by form, for
a fire marshal or the senior member of staff in charge. A4, large enough to read outside,
the header repeated on every page; the file name carries only the time."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Table, TableStyle

from kiosk.clock import to_local
from kiosk.db import Database
from kiosk.devices import kinds_words
from kiosk.printing.draw import fonts, printable, write_a4
from kiosk.services import emergency, settings
from kiosk.services.audit import Actor
from kiosk.services.emergency import EmergencyList

MARGIN = 12 * mm
COLUMNS = ("Form", "Pupil", "Slot", "Devices", "")
WIDTHS = (22 * mm, 62 * mm, 18 * mm, 48 * mm, 36 * mm)


def file_name(listing: EmergencyList) -> str:
    return f"emergency-list-{to_local(listing.made_at):%Y%m%d-%H%M%S}.pdf"


def save_held_list(sessions: Database, actor: Actor, folder: Path) -> tuple[EmergencyList, Path]:
    """The one tap, from the staff console's Emergency tab or the kiosk's Staff menu: the
    list as it is now (``emergency.held_list``: who may ask is checked and the asking
    recorded), written as PDF into ``folder``; the list and the file."""
    listing = emergency.held_list(sessions, actor)
    school = settings.load(sessions).school_name
    return listing, write(listing, school, folder)


def write(listing: EmergencyList, school_name: str, folder: Path) -> Path:
    """Write the list into ``folder``; its path."""
    path = folder / file_name(listing)
    face = fonts()
    title = ParagraphStyle("title", fontName=face.bold, fontSize=18, leading=22)
    small = ParagraphStyle("small", fontName=face.regular, fontSize=11, leading=14)
    made = to_local(listing.made_at)
    header = [
        Paragraph(escape(printable(f"{school_name}: devices held", face.bold)), title),
        Paragraph(
            escape(
                f"Made {made:%A %d %B %Y at %H:%M} by {printable(listing.made_by, face.regular)}."
                f" {listing.device_count} devices of {listing.pupils} pupils."
            ),
            small,
        ),
    ]
    rows: list[list[str]] = [list(COLUMNS)]
    for d in listing.devices:
        rows.append(
            [
                printable(d.pupil.reg_group, face.regular),
                printable(d.pupil.display_name, face.regular),
                "" if d.slot_number is None else str(d.slot_number),
                kinds_words(d.kinds),
                "Confiscated: stays" if d.confiscated else "",
            ]
        )
    table = Table(rows, colWidths=WIDTHS, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), face.bold, 12),
                ("FONT", (0, 1), (-1, -1), face.regular, 12),
                ("FONT", (2, 1), (2, -1), face.bold, 14),
                ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#EEEEEE")]),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return write_a4(path, [*header, table], margin=MARGIN, title="Devices held")
