"""Pupil card sheets: the PDF is rendered to an image as a printer would, and every QR
code and every Code128 on it must read back, through the kiosk's own decoders, as the card
of the pupil printed beside it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
import zxingcpp
from fixtures.admin import *  # noqa: F403 (the admin tests' fixtures)
from fixtures.admin import DATA
from PIL import Image
from reportlab.graphics.barcode import qrencoder
from reportlab.lib.units import mm
from school_copies import copy_school
from sqlalchemy import select

from kiosk import card_codec
from kiosk.db import open_database
from kiosk.errors import CardRevoked, InvalidInput, NotAuthorised
from kiosk.printing import cards as card_sheet
from kiosk.printing import draw
from kiosk.scanning.decoders import pyzbar_decoder, zxing_decoder
from kiosk.services import card_runs, cards, photos, pupils, roster, roster_check, roster_file
from kiosk.services.card_runs import CardSelection
from kiosk.tables import AuditEvent

DPI = 300
PX = DPI / 72  # pixels per PDF point
needs_poppler = pytest.mark.skipif(
    not shutil.which("pdftoppm"), reason="poppler-utils (pdftoppm) is not installed"
)


def render(pdf: Path, png: Path, page: int = 1) -> np.ndarray:
    """One page as a printer would see it: pdftoppm at 300 dpi, then grey."""
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(DPI),
            "-png",
            "-singlefile",
            "-f",
            str(page),
            "-l",
            str(page),
            str(pdf),
            str(png.with_suffix("")),
        ],
        check=True,
        timeout=120,
    )
    return cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)


def prepare_cards(sessions, actor, selection, *, reissue=False) -> card_runs.CardBatch:
    """The service call the CLI and the cards page make, with the printer's check."""
    return card_runs.prepare_cards(
        sessions, actor, selection, fits_on_card=card_sheet.check_code_fits, reissue=reissue
    )


def crop(page: np.ndarray, x: float, y: float, w: float, h: float, margin: float) -> np.ndarray:
    """The region (x, y, w, h) in PDF points from the page's bottom-left, plus a margin."""
    height = page.shape[0]
    left, right = int((x - margin) * PX), int((x + w + margin) * PX)
    top, bottom = int(height - (y + h + margin) * PX), int(height - (y - margin) * PX)
    return page[max(top, 0) : bottom, max(left, 0) : right]


@dataclass(frozen=True)
class Sheet:
    sessions: object
    batch: card_runs.CardBatch
    pdf: Path
    page: np.ndarray


@pytest.fixture(scope="module")
def sheet(school_template, tmp_path_factory, artifacts) -> Iterator[Sheet]:
    """Printed and rendered once for the module: the SIMS file's ten pupils (Zoë, Nguyễn,
    O'Brien, a 53-letter surname...), Nguyễn with a photo; the demo pupils have left."""
    folder = tmp_path_factory.mktemp("card-sheet")
    copy_school(school_template.path, folder / "k.db")
    sessions = open_database(f"sqlite:///{folder / 'k.db'}")
    engine = sessions.engine
    admin = school_template.built.actors["admin"]
    checked = roster_check.check_table(
        roster_file.read_roster((DATA / "sims_bom_crlf.csv").read_bytes())
    )
    roster.apply(sessions, admin, checked, confirm_leavers=True)
    nguyen = pupils.search(sessions, "Nguyễn")[0]
    image = Image.new("RGB", (300, 400), "#7ea6d8")
    image.paste((240, 200, 160), (90, 80, 210, 230))
    photo_day = folder / "photos"
    photo_day.mkdir()
    image.save(photo_day / f"{nguyen.admission_number}.jpg", "JPEG")
    assert photos.import_folder(sessions, admin, photo_day).imported == 1
    batch = prepare_cards(sessions, admin, CardSelection(everyone=True))
    pdf = folder / "cards.pdf"
    assert card_sheet.write_card_sheet(batch, pdf) == 1
    shutil.copy(pdf, artifacts / "card-sheet.pdf")
    page = render(pdf, artifacts / "card-sheet.png") if shutil.which("pdftoppm") else None
    yield Sheet(sessions, batch, pdf, page)
    engine.dispose()


@needs_poppler
def test_every_qr_and_code128_on_the_sheet_reads_back_as_its_pupils_card(sheet):
    batch, page = sheet.batch, sheet.page
    assert len(batch.faces) == card_sheet.PER_PAGE
    bars_x, bars_y, bars_w, bars_h = card_sheet.BARS
    read = {"QR": [], "Code128": []}
    with sheet.sessions() as session:
        for index, face in enumerate(batch.faces):
            x, y = card_sheet.card_origin(index)
            qr = crop(
                page,
                x + card_sheet.QR_AT[0],
                y + card_sheet.QR_AT[1],
                card_sheet.QR_SIZE,
                card_sheet.QR_SIZE,
                1 * mm,
            )
            bars = crop(page, x + bars_x, y + bars_y, bars_w, bars_h, 0.5 * mm)
            for kind, image in (("QR", qr), ("Code128", bars)):
                for decoder in (zxing_decoder(), pyzbar_decoder()):
                    texts = decoder.decode(image)
                    assert texts == [face.text], (kind, decoder.name, index)
                    assert cards.pupil_for_card(session, texts[0]).id == face.pupil_id
                read[kind].append(face.pupil_id)
    assert read["QR"] == read["Code128"] == [f.pupil_id for f in batch.faces]


@needs_poppler
def test_the_whole_page_holds_ten_qr_codes_and_ten_code128s_and_nothing_else(sheet):
    batch, page = sheet.batch, sheet.page
    found = zxingcpp.read_barcodes(page, try_rotate=False)
    by_format = {
        name: sorted(b.text for b in found if b.format == fmt)
        for name, fmt in (
            ("qr", zxingcpp.BarcodeFormat.QRCode),
            ("code128", zxingcpp.BarcodeFormat.Code128),
        )
    }
    expected = sorted(face.text for face in batch.faces)
    assert by_format == {"qr": expected, "code128": expected}
    assert len(found) == 20


@needs_poppler
def test_codes_are_vectors_the_only_image_on_the_page_is_the_photo(sheet):
    pdf = sheet.pdf
    listing = subprocess.run(
        ["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert len(listing) == 1  # Nguyễn's photo; QR codes and barcodes are drawn, not pasted
    assert listing[0].split()[2] == "image"


def words_in(pdf: Path, index: int, x: float, y: float, w: float, h: float) -> str:
    """The text inside the region (x, y, w, h) of the card at ``index`` on page 1 (PDF
    points from the card's bottom-left), line by line (-layout keeps a hyphen that ends a
    line), whitespace and line breaks collapsed to single spaces."""
    card_x, card_y = card_sheet.card_origin(index)
    top = card_sheet.PAGE_H - card_y - y - h
    box = {"-x": card_x + x, "-y": top, "-W": w, "-H": h}
    options = [str(part) for key, value in box.items() for part in (key, round(value))]
    text = subprocess.run(
        ["pdftotext", "-layout", *options, str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return " ".join(text.split())


@needs_poppler
def test_names_print_in_full_including_vietnamese_and_irish_accents(sheet):
    column = (
        card_sheet.TEXT_X,
        card_sheet.TEXT_BOTTOM,
        card_sheet.TEXT_RIGHT - card_sheet.TEXT_X,
        card_sheet.TEXT_TOP - card_sheet.TEXT_BOTTOM,
    )
    faces = sheet.batch.faces
    names = [words_in(sheet.pdf, index, *column) for index in range(len(faces))]
    for name in (
        "Zoë Kowalski",
        "Thảo Nguyễn",
        "Siobhán O'Brien",
        "Ciarán Ó Súilleabháin",
        # The name column beside the QR is 20 mm wide: broken at the hyphen, not inside
        # a word.
        "Ollie Fitzgerald- Hughes",
    ):
        assert sum(card.startswith(f"{name} Form") for card in names) == 1, name
    for index, (face, card) in enumerate(zip(faces, names, strict=True)):
        assert card.endswith(f"Form {face.reg_group} Year {face.year_group}"), card
        band = words_in(sheet.pdf, index, *card_sheet.BAND)
        assert band == "Kingsmead Academy"
        caption_x, caption_y, caption_w = card_sheet.CAPTION
        caption = words_in(sheet.pdf, index, caption_x, caption_y - mm, caption_w, 3 * mm)
        assert caption == face.text


@needs_poppler
def test_the_qr_quiet_zone_is_blank_card_and_the_ink_stays_off_the_cut(sheet):
    """Around each QR symbol, four modules of nothing but white, on the card even if the
    cut is off by QR_QUIET_INSET; the symbol itself EDGE or more inside the card."""
    x0, y0 = card_sheet.QR_AT
    size = card_sheet.QR_SIZE
    assert x0 + size <= card_sheet.CARD_W - card_sheet.QR_QUIET_INSET + 1e-6
    assert y0 + size <= card_sheet.CARD_H - card_sheet.QR_QUIET_INSET + 1e-6
    assert y0 > card_sheet.BARS[1] + card_sheet.BARS[3]
    quiet = card_sheet.QR_SIZE * draw.QR_QUIET_MODULES / (25 + 2 * draw.QR_QUIET_MODULES)
    assert card_sheet.CARD_H - (y0 + size - quiet) >= card_sheet.EDGE
    assert card_sheet.CARD_W - (x0 + size - quiet) >= card_sheet.EDGE
    inner = round((quiet - 0.2 * mm) * PX)  # a little short of the symbol's first module
    for index in range(len(sheet.batch.faces)):
        x, y = card_sheet.card_origin(index)
        box = crop(sheet.page, x + x0, y + y0, size, size, 0)
        ring = box.copy()
        ring[inner:-inner, inner:-inner] = 255
        assert ring.min() >= 250, index
        assert box[inner:-inner, inner:-inner].min() < 50  # the symbol is there


def test_the_card_text_uses_a_small_alphanumeric_qr(sessions, school):
    text = school.card_texts[school.pupil_ids[0]]
    code = draw.qr_code(text)
    assert isinstance(code.dataList[0], qrencoder.QRAlphaNum)
    assert code.version <= 2  # 25 modules: 1.35 mm each on the card (44.4 mm with quiet zone)
    assert len(draw.qr_matrix(text)) == 25


def test_a_long_school_code_and_large_numbers_still_give_a_readable_code128():
    """The largest card text a real school reaches (8-letter code, pupil and card numbers
    in the hundreds of thousands) still fits the card with bars of 4 printer dots."""
    text = card_codec.encode(b"k" * 32, "ABCDEFGH", 999_999, 999_999)
    modules = len(draw.code128_modules(text))
    assert modules == 11 * len(text) + 35  # start, data, checksum, stop (python-barcode)
    dots = draw.code128_dots(text, card_sheet.BARS[2])
    assert dots >= card_sheet.MIN_DOTS
    assert dots * draw.DOT / mm >= 0.169  # mm per bar module
    card_sheet.check_code_fits(text)


def test_a_card_text_too_long_for_the_card_is_refused_before_any_card_is_issued():
    text = card_codec.encode(b"k" * 32, "ABCDEFGH", 36**10 - 1, 36**10 - 1)
    with pytest.raises(InvalidInput, match="too long for a barcode"):
        card_sheet.check_code_fits(text)


def test_reissuing_gives_a_new_serial_and_the_old_card_stops_working(sessions, admin, school):
    pupil_id = school.pupil_ids[3]
    old_text = school.card_texts[pupil_id]
    batch = prepare_cards(sessions, admin, CardSelection(pupil_id=pupil_id), reissue=True)
    (face,) = batch.faces
    assert (batch.issued, batch.reissued) == (0, 1)
    assert face.text != old_text
    with sessions() as session:
        assert cards.pupil_for_card(session, face.text).id == pupil_id
        with pytest.raises(CardRevoked):
            cards.pupil_for_card(session, old_text)


def test_printing_again_without_reissue_prints_the_same_cards(sessions, admin, school):
    form = CardSelection(form="7a")  # any case
    first = prepare_cards(sessions, admin, form)
    second = prepare_cards(sessions, admin, form)
    assert [f.text for f in first.faces] == [f.text for f in second.faces]
    assert first.issued == second.issued == 0  # the demo pupils already had cards
    assert {f.reg_group for f in first.faces} == {"7A"}


@pytest.mark.parametrize(
    ("selection", "count"),
    [
        (CardSelection(year=8), 6),
        (CardSelection(form="9C"), 1),
        (CardSelection(everyone=True), 30),
        (CardSelection(admission_number="2004"), 1),  # "002004" with its zeros lost
    ],
)
def test_cards_for_a_year_a_form_one_pupil_or_everyone(sessions, admin, school, selection, count):
    batch = prepare_cards(sessions, admin, selection)
    assert len(batch.faces) == count


def test_no_matching_pupils_is_a_plain_message(sessions, admin, school):
    with pytest.raises(InvalidInput, match="No pupils on roll match: form 12Z"):
        prepare_cards(sessions, admin, CardSelection(form="12Z"))


def test_office_staff_cannot_print_cards(sessions, school, snapshot):
    before = snapshot()
    with pytest.raises(NotAuthorised):
        prepare_cards(sessions, school.actors["office"], CardSelection(everyone=True))
    assert snapshot() == before


def test_a_failed_drawing_leaves_no_pdf_and_no_part_file(
    sessions, admin, school, tmp_path, monkeypatch
):
    batch = prepare_cards(sessions, admin, CardSelection(year=7))
    out = tmp_path / "exports" / "cards.pdf"

    def broken(*_args, **_kwargs):
        raise OSError("printer spool full")

    monkeypatch.setattr(card_sheet, "_draw_card", broken)
    with pytest.raises(OSError, match="spool"):
        card_sheet.write_card_sheet(batch, out)
    assert list(out.parent.iterdir()) == []


def test_fitted_names_never_run_past_their_box():
    fonts = draw.fonts()
    width = card_sheet.TEXT_RIGHT - card_sheet.TEXT_X
    for name in ("Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh", "Ó Súilleabháin", "Al"):
        fitted = draw.fit_lines(name, fonts.bold, width, 12, 6.5, card_sheet.SURNAME_LINES)
        assert all(draw.text_width(line, fonts.bold, fitted.size) <= width for line in fitted.lines)
        assert "".join(fitted.lines).replace(" ", "") == name.replace(" ", "")


def test_names_break_between_words_when_any_size_allows_it():
    """Wrapped at its hyphen at a smaller size rather than between letters at a larger."""
    fonts = draw.fonts()
    width = card_sheet.TEXT_RIGHT - card_sheet.TEXT_X
    fitted = draw.fit_lines("Fitzgerald-Hughes", fonts.bold, width, 12, 6.5, 3)
    assert fitted.lines == ("Fitzgerald-", "Hughes")
    assert draw.text_width("Fitzgerald-", fonts.bold, 12) > width  # 12 pt would split it


def test_new_cards_for_a_big_selection_are_issued_in_short_transactions(
    sessions, admin, school, monkeypatch
):
    monkeypatch.setattr(card_runs, "ISSUE_BATCH", 7)  # 30 pupils: 5 transactions
    batch = prepare_cards(sessions, admin, CardSelection(everyone=True), reissue=True)
    assert (len(batch.faces), batch.issued, batch.reissued) == (30, 0, 30)
    with sessions() as session:
        for face in batch.faces:
            assert cards.pupil_for_card(session, face.text).id == face.pupil_id
        for old_text in school.card_texts.values():
            with pytest.raises(CardRevoked):
                cards.pupil_for_card(session, old_text)
        kinds = [e.kind for e in session.scalars(select(AuditEvent))]
    assert kinds.count("card_reissued") == 30 and kinds.count("cards_printed") == 1


def test_a_failure_part_way_through_a_big_reissue_says_how_far_it_got(
    sessions, admin, school, monkeypatch
):
    monkeypatch.setattr(card_runs, "ISSUE_BATCH", 7)
    real_issue = cards.issue_in
    calls = []

    def failing_issue(session, actor, pupil_id, *, reissue):
        calls.append(pupil_id)
        if len(calls) == 10:
            raise RuntimeError("disk full")
        return real_issue(session, actor, pupil_id, reissue=reissue)

    monkeypatch.setattr(cards, "issue_in", failing_issue)
    with pytest.raises(card_runs.CardsPartlyIssued, match="7 of 30 pupils") as failure:
        prepare_cards(sessions, admin, CardSelection(everyone=True), reissue=True)
    assert "old cards no longer work" in str(failure.value)
    with sessions() as session:
        kinds = [e.kind for e in session.scalars(select(AuditEvent))]
    assert kinds.count("card_reissued") == 7  # the first batch, complete; the second, none
    assert "cards_printed" not in kinds
