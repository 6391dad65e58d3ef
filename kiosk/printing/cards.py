"""Pupil cards: CR80 cards (85.6 x 54 mm, the size of a bank card), ten to an A4 page in
two columns of five, with crop marks to cut along.

Each card: school name, photo (or initials), preferred forename and surname, form and
year, a QR code for the kiosk's webcam and a Code128 for USB barcode scanners, both of the
signed card text (``kiosk.scanning.payload``) and both drawn as vectors, so they print
sharp at any resolution. The QR takes the right of the card, as big as the card allows
(44.4 mm with its quiet zone, 1.35 mm modules: the webcam loses a far card's modules
first); the school band, photo, name, form and year, and the card text in words share the
column to its left; the Code128 runs along the bottom, full width.

Issuing and the audit events happen in short transactions (``prepare_cards``); drawing
the PDF happens after them, so a long print run never holds the database's write lock
while hand-ins are going on.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kiosk.db import Sessions
from kiosk.errors import InvalidInput, KioskError
from kiosk.printing import draw
from kiosk.rules import Action
from kiosk.scanning import payload
from kiosk.services import audit, cards, settings
from kiosk.services.audit import Actor
from kiosk.services.common import require
from kiosk.services.roster_check import year_label
from kiosk.tables import Card, Pupil, Setting

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
ISSUE_BATCH = 200  # cards issued a transaction: ~1 s of the database's write lock at most
MIN_DOTS = 4  # 4/600 inch = 0.17 mm: the narrowest bar a common USB scanner reads well

BLUE = HexColor("#0b3d91")
GREY = HexColor("#4b5563")
INK = HexColor("#111827")
PHOTO_GREY = HexColor("#e5e7eb")
CROP = Color(0.55, 0.55, 0.55)


@dataclass(frozen=True)
class CardSelection:
    """Which pupils to print: one pupil (by id or admission number), a form, a year
    group, or everyone on roll."""

    pupil_id: int | None = None
    admission_number: str | None = None
    form: str | None = None
    year: int | None = None
    everyone: bool = False

    def describe(self) -> str:
        """For the audit log: no names."""
        if self.pupil_id is not None:
            return f"pupil #{self.pupil_id}"
        if self.admission_number is not None:
            return "one pupil"
        if self.form is not None:
            return f"form {self.form}"
        if self.year is not None:
            return year_label(self.year).lower()
        return "all pupils"


@dataclass(frozen=True)
class CardFace:
    pupil_id: int
    forename: str
    surname: str
    reg_group: str
    year_group: int
    serial: int
    text: str
    photo: bytes | None


@dataclass(frozen=True)
class CardBatch:
    school_name: str
    faces: tuple[CardFace, ...]
    issued: int  # pupils who had no card
    reissued: int  # cards replaced (old ones revoked)


@dataclass(frozen=True)
class PrintedCards:
    path: Path
    cards: int
    pages: int
    issued: int
    reissued: int


@dataclass(frozen=True)
class FormGroup:
    year_group: int
    reg_group: str
    pupils: int


# --- Choosing and issuing --------------------------------------------------------------


def forms_on_roll(sessions: Sessions) -> list[FormGroup]:
    """Each registration group with pupils on roll, by year then name (for choosing)."""
    with sessions() as session:
        rows = session.execute(
            select(Pupil.year_group, Pupil.reg_group, func.count())
            .where(Pupil.active.is_(True), Pupil.purged_at.is_(None))
            .group_by(Pupil.year_group, Pupil.reg_group)
            .order_by(Pupil.year_group, Pupil.reg_group)
        ).all()
    return [FormGroup(year, form, count) for year, form, count in rows]


def _on_roll() -> Select[Pupil]:
    return select(Pupil).where(Pupil.active.is_(True), Pupil.purged_at.is_(None))


def _by_admission_number(session: Session, number: str) -> list[Pupil]:
    wanted = number.strip()
    found = list(session.scalars(_on_roll().where(Pupil.admission_number == wanted)))
    if not found and wanted.isdigit():  # "1234" for "001234"
        candidates = session.scalars(_on_roll().where(Pupil.admission_number.like(f"%{wanted}")))
        found = [p for p in candidates if p.admission_number.lstrip("0") == wanted.lstrip("0")]
    return found[:1]


def select_pupils(session: Session, selection: CardSelection) -> list[Pupil]:
    if selection.pupil_id is not None:
        pupils = list(session.scalars(_on_roll().where(Pupil.id == selection.pupil_id)))
    elif selection.admission_number is not None:
        pupils = _by_admission_number(session, selection.admission_number)
    elif selection.form is not None:
        form = selection.form.strip()
        pupils = list(
            session.scalars(_on_roll().where(func.upper(Pupil.reg_group) == form.upper()))
        )
    elif selection.year is not None:
        pupils = list(session.scalars(_on_roll().where(Pupil.year_group == selection.year)))
    elif selection.everyone:
        pupils = list(session.scalars(_on_roll()))
    else:
        raise InvalidInput("Choose a pupil, a form, a year group or everyone.")
    if not pupils:
        raise InvalidInput(f"No pupils on roll match: {selection.describe()}.")
    return sorted(
        pupils,
        key=lambda p: (p.year_group, p.reg_group, p.surname.casefold(), p.display_forename),
    )


def check_code_fits(text: str) -> None:
    """Refuse a card text whose Code128 would have bars too thin for a scanner to read
    at CR80 width (python-barcode counts the modules)."""
    if draw.code128_dots(text, BARS[2]) < MIN_DOTS:
        modules = len(draw.code128_modules(text))
        raise InvalidInput(
            f"The card text is too long for a barcode on a card ({modules} modules): "
            "use a shorter school code."
        )


def _worst_case_text(session: Session, pupils: Sequence[Pupil]) -> str:
    top_serial = (session.scalar(select(func.max(Card.serial))) or 1000) + len(pupils)
    return payload.encode(
        settings.card_secret(session),
        settings.get_value(session, "school_code"),
        max(p.id for p in pupils),
        top_serial,
    )


def _current_serials(session: Session, pupil_ids: list[int]) -> dict[int, int]:
    rows = session.execute(
        select(Card.pupil_id, Card.serial).where(
            Card.pupil_id.in_(pupil_ids), Card.revoked_at.is_(None)
        )
    )
    return {pupil_id: serial for pupil_id, serial in rows}


def _photos(session: Session, pupil_ids: list[int]) -> dict[int, bytes]:
    rows = session.execute(
        select(Pupil.id, Pupil.photo).where(Pupil.id.in_(pupil_ids), Pupil.photo.is_not(None))
    )
    return {pupil_id: photo for pupil_id, photo in rows if photo is not None}


def prepare_cards(
    sessions: Sessions, actor: Actor, selection: CardSelection, *, reissue: bool = False
) -> CardBatch:
    """Issue a card to each selected pupil who has none (or to all of them when
    ``reissue``: new serials, old cards revoked) and gather what to print.

    Up to ISSUE_BATCH cards this is one transaction. A bigger run (new cards for the whole
    school) issues ISSUE_BATCH cards a transaction, so a kiosk's hand-in never waits more
    than about a second for the database; if it stops part-way, CardsPartlyIssued says how
    far it got (each card issued is complete, with its audit event)."""
    with sessions() as session:
        require(session, actor, Action.PRINT_CARDS)
        pupils = select_pupils(session, selection)
        check_code_fits(_worst_case_text(session, pupils))
        ids = [p.id for p in pupils]
        had_card = set(_current_serials(session, ids))
    pending = [i for i in ids if reissue or i not in had_card]
    batches = [pending[i : i + ISSUE_BATCH] for i in range(0, len(pending), ISSUE_BATCH)]
    done = 0
    try:
        for batch in batches[:-1]:
            with sessions.begin() as session:
                require(session, actor, Action.PRINT_CARDS)
                _issue(session, actor, batch, reissue=reissue)
            done += len(batch)
        last = batches[-1] if batches else []
        counts = IssueCounts(
            issued=sum(1 for i in pending if i not in had_card),
            reissued=sum(1 for i in pending if i in had_card),
        )
        return _issue_and_gather(sessions, actor, selection, ids, last, counts, reissue)
    except Exception as error:
        if done == 0:
            raise
        raise CardsPartlyIssued(done, len(pending), reissue=reissue) from error


@dataclass(frozen=True)
class IssueCounts:
    issued: int
    reissued: int


class CardsPartlyIssued(KioskError):
    def __init__(self, done: int, total: int, *, reissue: bool) -> None:
        self.done, self.total = done, total
        if reissue:
            text = (
                f"New cards were made for {done} of {total} pupils before something went "
                "wrong, so their old cards no longer work. Nothing was printed: make the PDF "
                "again without 'new cards' to print everyone's current card."
            )
        else:
            text = (
                f"Cards were issued to {done} of {total} pupils before something went wrong. "
                "Nothing was printed: please make the PDF again."
            )
        super().__init__(text)


def _issue(session: Session, actor: Actor, pupil_ids: list[int], *, reissue: bool) -> None:
    # The identity map holds rows weakly: keep the settings each card reads (secret,
    # school code, audit head) loaded for the whole batch instead of a query per card.
    held_settings = list(session.scalars(select(Setting)))
    for pupil_id in pupil_ids:
        cards.issue_in(session, actor, pupil_id, reissue=reissue)
    del held_settings


def _issue_and_gather(
    sessions: Sessions,
    actor: Actor,
    selection: CardSelection,
    ids: list[int],
    last_batch: list[int],
    counts: IssueCounts,
    reissue: bool,
) -> CardBatch:
    with sessions.begin() as session:
        require(session, actor, Action.PRINT_CARDS)
        held_settings = list(session.scalars(select(Setting)))  # read again for every face
        _issue(session, actor, last_batch, reissue=reissue)
        by_id = {p.id: p for p in session.scalars(_on_roll().where(Pupil.id.in_(ids)))}
        pupils = [by_id[i] for i in ids if i in by_id]
        serials = _current_serials(session, ids)
        photos = _photos(session, ids)
        faces = tuple(
            _face(session, p, serials[p.id], photos.get(p.id)) for p in pupils if p.id in serials
        )
        audit.append(
            session,
            "cards_printed",
            actor,
            pupil_id=ids[0] if len(ids) == 1 else None,
            details={
                "selection": selection.describe(),
                "cards": len(faces),
                "issued": counts.issued,
                "reissued": counts.reissued,
            },
        )
        school_name = settings.get_value(session, "school_name")
        del held_settings
    return CardBatch(school_name, faces, counts.issued, counts.reissued)


def _face(session: Session, pupil: Pupil, serial: int, photo: bytes | None) -> CardFace:
    return CardFace(
        pupil_id=pupil.id,
        forename=pupil.display_forename,
        surname=pupil.surname,
        reg_group=pupil.reg_group,
        year_group=pupil.year_group,
        serial=serial,
        text=cards.card_text(session, pupil.id, serial),
        photo=photo,
    )


# --- Drawing -----------------------------------------------------------------------


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


def print_cards(
    sessions: Sessions,
    actor: Actor,
    selection: CardSelection,
    out: Path,
    *,
    reissue: bool = False,
) -> PrintedCards:
    batch = prepare_cards(sessions, actor, selection, reissue=reissue)
    pages = write_card_sheet(batch, out)
    return PrintedCards(out, len(batch.faces), pages, batch.issued, batch.reissued)


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
