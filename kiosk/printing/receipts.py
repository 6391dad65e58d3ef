"""Receipts as PDF: a confiscated device released to a parent or carer (with signature
lines), and a device's chain of custody listing every audit event about it, with times in
school-local time and each event's audit hash so a reader can check it against the log.

Files are written next to their final name and renamed into place, so a failed print
never leaves half a receipt. File names carry the record number and time, never a name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from kiosk.clock import to_local, utcnow
from kiosk.errors import InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.printing.draw import write_a4
from kiosk.services.chain_of_custody import ChainOfCustody, CustodyEvent, CustodyRecord

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu")
MARGIN = 16 * mm
STATE_WORDS = {
    "held": "Held by the school",
    "released": "Released",
    "handed_to_police": "Handed to the police",
    "cancelled": "Hand-in undone",
    "emergency_released": "Released in an emergency, not yet confirmed back with the pupil",
}
KIND_WORDS = {"daily": "Daily hand-in", "confiscation": "Confiscation"}


@dataclass(frozen=True)
class _Fonts:
    regular: str
    bold: str
    mono: str


@cache
def _fonts() -> _Fonts:
    """DejaVu (fonts-dejavu-core) covers the names in a UK school roll (Nguyễn, Ó Súilleabháin,
    Kowalski); the PDF core fonts are the fallback when it is missing."""
    for folder in FONT_DIRS:
        files = {n: Path(folder) / f"{n}.ttf" for n in ("DejaVuSans", "DejaVuSans-Bold")}
        mono = Path(folder) / "DejaVuSansMono.ttf"
        if all(p.is_file() for p in (*files.values(), mono)):
            pdfmetrics.registerFont(TTFont("Receipt", str(files["DejaVuSans"])))
            pdfmetrics.registerFont(TTFont("Receipt-Bold", str(files["DejaVuSans-Bold"])))
            pdfmetrics.registerFont(TTFont("Receipt-Mono", str(mono)))
            return _Fonts("Receipt", "Receipt-Bold", "Receipt-Mono")
    return _Fonts("Helvetica", "Helvetica-Bold", "Courier")


def _styles() -> dict[str, ParagraphStyle]:
    f = _fonts()
    return {
        "title": ParagraphStyle("title", fontName=f.bold, fontSize=17, leading=21),
        "school": ParagraphStyle("school", fontName=f.regular, fontSize=11, leading=14),
        "body": ParagraphStyle("body", fontName=f.regular, fontSize=10, leading=13),
        "small": ParagraphStyle("small", fontName=f.regular, fontSize=8.5, leading=11),
        "label": ParagraphStyle("label", fontName=f.bold, fontSize=10, leading=13),
        "hash": ParagraphStyle("hash", fontName=f.mono, fontSize=6.6, leading=8.2),
        "head": ParagraphStyle("head", fontName=f.bold, fontSize=8.5, leading=11),
    }


def local_text(value: dt.datetime | None) -> str:
    """A stored (naive UTC) time as school-local words, e.g. "Wed 11 Mar 2026, 07:45 GMT"."""
    if value is None:
        return ""
    local = to_local(value)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def receipt_path(folder: Path, kind: str, custody_id: int, now: dt.datetime | None = None) -> Path:
    stamp = to_local(now or utcnow()).strftime("%Y%m%d-%H%M%S")
    return folder / f"{kind}-{custody_id}-{stamp}.pdf"


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _hash_text(seq: int, hash_hex: str) -> str:
    """Event number and hash as Paragraph markup, the hash in a small fixed-width font."""
    return f'#{seq}<br/><font name="{_fonts().mono}" size="7">{hash_hex}</font>'


def _facts(rows: Sequence[tuple[str, str | Flowable]], styles: dict[str, ParagraphStyle]) -> Table:
    def cell(value: str | Flowable) -> Flowable:
        return value if isinstance(value, Flowable) else _p(value or "—", styles["body"])

    table = Table(
        [[_p(label, styles["label"]), cell(value)] for label, value in rows],
        colWidths=[48 * mm, None],
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#cbd5e1")),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _pupil_rows(record: CustodyRecord) -> list[tuple[str, str]]:
    p = record.pupil
    return [
        ("Pupil", p.display_name),
        ("Form / year", f"{p.reg_group}, Year {p.year_group}"),
        ("Admission number", p.admission_number),
        ("Device", record.description or "Not described"),
        ("Record number", str(record.id)),
    ]


def _confiscation_rows(record: CustodyRecord) -> list[tuple[str, str]]:
    reason = record.reason_category or ""
    if record.note:
        reason = f"{reason}: {record.note}"
    rows = [
        ("Confiscated", f"{local_text(record.received_at)} by {record.received_by or 'kiosk'}"),
        ("Reason", reason),
    ]
    if record.do_not_examine:
        rows.append(("Content", "Do not examine content: referred to the DSL"))
    if record.dsl_referred_at:
        rows.append(("Referred to DSL", local_text(record.dsl_referred_at)))
    return rows


def _signature_block(lines: Sequence[str], styles: dict[str, ParagraphStyle]) -> Table:
    rows = []
    for label in lines:
        rows.append([_p(label, styles["label"]), "", _p("Date", styles["label"]), ""])
        rows.append([_p("Print name", styles["small"]), "", "", ""])
    table = Table(rows, colWidths=[52 * mm, 72 * mm, 14 * mm, 34 * mm])
    style: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("TOPPADDING", (0, 0), (-1, -1), 14),
    ]
    for row in range(len(rows)):
        style.append(("LINEBELOW", (1, row), (1, row), 0.8, colors.black))
        if row % 2 == 0:
            style.append(("LINEBELOW", (3, row), (3, row), 0.8, colors.black))
    table.setStyle(TableStyle(style))
    return table


def _footer(printed_by: str, printed_at: dt.datetime) -> str:
    return (
        f"Printed {local_text(printed_at)} by {printed_by}. Times are school time (UK). "
        "The school's audit log holds a matching record of each event; its hash is shown so "
        "the record can be checked (kiosk verify-log). Confidential: safeguarding record."
    )


class _NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab ships no type hints
    """Draws "Page n of m" once the page count is known."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, object]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(_fonts().regular, 8)
            self.drawRightString(A4[0] - MARGIN, 9 * mm, f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()


def _write(path: Path, title: str, story: list[Flowable]) -> Path:
    return write_a4(
        path,
        story,
        margin=MARGIN,
        title=title,
        author="Device hand-in kiosk",
        canvasmaker=_NumberedCanvas,
    )


def _heading(school_name: str, title: str, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    return [_p(school_name, styles["school"]), _p(title, styles["title"]), Spacer(1, 5 * mm)]


def _fingerprint_note(chain: ChainOfCustody, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """The school audit fingerprint the log claims, and how anyone checks this receipt
    against a copy of the records (the headteacher keeps the school's own fingerprint)."""
    if chain.fingerprint is None:
        return []
    last = chain.events[-1] if chain.events else None
    check = f" --expect {last.seq}:{last.hash}" if last else ""
    return [
        Spacer(1, 4 * mm),
        _p(f"School audit fingerprint: {chain.fingerprint}", styles["small"]),
        _p(
            "It must match the fingerprint the headteacher keeps. To check this receipt: "
            f"kiosk verify-log --fingerprint FINGERPRINT{check}",
            styles["small"],
        ),
    ]


# -- release to a parent or carer ------------------------------------------------------------


def release_receipt(
    path: Path,
    chain: ChainOfCustody,
    *,
    school_name: str,
    printed_by: str,
    printed_at: dt.datetime | None = None,
) -> Path:
    """The receipt a parent or carer signs when a confiscated device is released to them."""
    record = chain.custody
    release = chain.last_event(EventKind.RELEASED_TO_PARENT)
    if record.state != "released" or record.released_to != "parent" or release is None:
        raise InvalidInput("This device has not been released to a parent or carer.")
    styles = _styles()
    released_to = f"{record.released_to_name} ({record.released_to_relationship})"
    story: list[Flowable] = [
        *_heading(school_name, "Confiscated device returned to parent or carer", styles),
        _facts(
            [
                *_pupil_rows(record),
                *_confiscation_rows(record),
                ("Released", f"{local_text(record.released_at)} by {record.released_by}"),
                ("Released to", released_to),
                *_contact_list_rows(record),
                ("ID seen", _id_seen(record)),
                ("Audit event", Paragraph(_hash_text(release.seq, release.hash), styles["body"])),
            ],
            styles,
        ),
        Spacer(1, 8 * mm),
        _p(
            "I confirm that I have received the device described above from the school.",
            styles["body"],
        ),
        _signature_block(["Parent / carer signature", "Staff signature"], styles),
        *_fingerprint_note(chain, styles),
        Spacer(1, 8 * mm),
        _p(_footer(printed_by, printed_at or utcnow()), styles["small"]),
    ]
    return _write(path, f"Release receipt, record {record.id}", story)


def _contact_list_rows(record: CustodyRecord) -> list[tuple[str, str]]:
    """Whether the person was one of the pupil's MIS contacts (none: the school keeps none)."""
    if record.released_to_listed:
        return [("Contact list", "One of the pupil's contacts who may collect")]
    if record.released_to_listed is False:
        return [
            ("Contact list", "Not on the pupil's contact list"),
            ("Authorised by", f"{record.release_authorised_by}: {record.release_reason}"),
        ]
    return []


def _id_seen(record: CustodyRecord) -> str:
    if not record.id_seen:
        return "No"
    return f"{record.id_seen_as}, seen by staff" if record.id_seen_as else "Yes: seen by staff"


# -- chain of custody ------------------------------------------------------------------------


def _status_rows(record: CustodyRecord) -> list[tuple[str, str]]:
    rows = [
        ("Kind", KIND_WORDS.get(record.kind, record.kind)),
        ("Status now", STATE_WORDS.get(record.state, record.state)),
        ("Switched off", "Confirmed" if record.switched_off_confirmed else "Not confirmed"),
    ]
    if record.state == "held":
        rows.append(("Slot", str(record.slot_number or "")))
    if record.kind == "confiscation":
        rows += _confiscation_rows(record)
    if record.police_reference:
        rows.append(
            (
                "Police",
                f"{record.police_officer} ({record.police_number}), reference "
                f"{record.police_reference}, {local_text(record.police_at)}",
            )
        )
    elif record.released_at:
        to = record.released_to_name or "the pupil"
        if record.released_to_relationship:
            to = f"{to} ({record.released_to_relationship})"
        rows.append(("Released", f"{local_text(record.released_at)} to {to}"))
    return rows


def _event_row(event: CustodyEvent, styles: dict[str, ParagraphStyle]) -> list[Flowable | str]:
    return [
        _p(f"#{event.seq}", styles["small"]),
        _p(local_text(event.at), styles["small"]),
        _p(event.words, styles["small"]),
        _p(event.actor_name or "", styles["small"]),
        _p(str(event.slot_number or ""), styles["small"]),
        _p(f"{event.hash[:32]}\n{event.hash[32:]}", styles["hash"]),
    ]


def _events_table(events: Sequence[CustodyEvent], styles: dict[str, ParagraphStyle]) -> Table:
    head = ["Event", "Time", "What happened", "Staff", "Slot", "Audit hash (SHA-256)"]
    rows: list[list[Flowable | str]] = [[_p(h, styles["head"]) for h in head]]
    rows += [_event_row(e, styles) for e in events]
    table = Table(
        rows,
        colWidths=[13 * mm, 29 * mm, 48 * mm, 26 * mm, 10 * mm, 47 * mm],
        repeatRows=1,
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e2e8f0")),
                ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#94a3b8")),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def custody_receipt(
    path: Path,
    chain: ChainOfCustody,
    *,
    school_name: str,
    printed_by: str,
    printed_at: dt.datetime | None = None,
) -> Path:
    """Every recorded event for one device, oldest first, with handover signature lines."""
    record = chain.custody
    styles = _styles()
    story: list[Flowable] = [
        *_heading(school_name, "Chain of custody: device record", styles),
        _facts([*_pupil_rows(record), *_status_rows(record)], styles),
        Spacer(1, 6 * mm),
        _p(f"Recorded events ({len(chain.events)})", styles["label"]),
        Spacer(1, 2 * mm),
        _events_table(chain.events, styles),
        Spacer(1, 8 * mm),
        KeepTogether(
            [
                _p("Handover (if the device changes hands)", styles["label"]),
                _signature_block(["Handed over by", "Received by"], styles),
            ]
        ),
        *_fingerprint_note(chain, styles),
        Spacer(1, 8 * mm),
        _p(_footer(printed_by, printed_at or utcnow()), styles["small"]),
    ]
    return _write(path, f"Chain of custody, record {record.id}", story)
