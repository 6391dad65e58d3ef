"""The front of a pupil card as pixels, as ``kiosk.printing.cards`` prints it: the same
layout constants, the same QR and Code128 symbols and module sizes, and the school band,
photo and name as clutter the decoders must ignore."""

from __future__ import annotations

import cv2
import numpy as np
from reportlab.lib.units import mm

from kiosk import card_codec
from kiosk.printing import cards, draw

SECRET = b"synthetic-test-secret"
SCHOOLS = ("DEMO", "HK", "STMARYS", "OAK12345")

# Card drawn at 10 px per mm from the printed card's layout (PDF points, 72 an inch).
_PT_PER_MM = 72 / 25.4
_PX_PER_MM = 10
CARD_MM = (cards.CARD_W / _PT_PER_MM, cards.CARD_H / _PT_PER_MM)  # CR80: 85.6 x 54
_CARD_PX = (round(CARD_MM[0] * _PX_PER_MM), round(CARD_MM[1] * _PX_PER_MM))
_INK = (20, 20, 20)
_GREY = (85, 75, 75)


def card_text(rng: np.random.Generator) -> str:
    school = SCHOOLS[int(rng.integers(len(SCHOOLS)))]
    pupil_id = int(rng.integers(1, 60_000))
    serial = int(rng.integers(1, 40))
    return card_codec.encode(SECRET, school, pupil_id, serial)


def qr_modules(text: str) -> np.ndarray:
    """The QR symbol the card printer draws (``kiosk.printing.draw``: alphanumeric mode,
    EC level M) as a uint8 image, one pixel per module, no quiet zone (0 = dark)."""
    return np.where(np.array(draw.qr_matrix(text), dtype=bool), 0, 255).astype(np.uint8)


def code128_modules(text: str) -> np.ndarray:
    """Code128 as a 1-row uint8 image, one pixel per module (0 = bar)."""
    pattern = draw.code128_modules(text)
    return np.array([0 if bit == "1" else 255 for bit in pattern], dtype=np.uint8)[None, :]


def render_card(text: str, rng: np.random.Generator) -> np.ndarray:
    """The front of a card as ``kiosk.printing.cards`` prints it (same layout constants,
    same QR and Code128 symbols and module sizes), BGR, 856 x 540 px (10 px/mm)."""
    width, height = _CARD_PX
    tint = rng.integers(235, 256, size=3)
    card = np.empty((height, width, 3), np.uint8)
    card[:] = tint
    _draw_print(card, rng)
    _draw_qr(card, text)
    _draw_code128(card, text)
    return card


def _px(points: float) -> float:
    """A length in PDF points (the card layout's unit) in card pixels."""
    return points / _PT_PER_MM * _PX_PER_MM


def _box(x: float, y: float, w: float, h: float) -> tuple[int, int, int, int]:
    """A layout box (points, from the card's bottom-left) as pixel (left, top, right,
    bottom), top-down like the image."""
    top = _px(cards.CARD_H - y - h)
    return round(_px(x)), round(top), round(_px(x + w)), round(top + _px(h))


def _module_index(count: int, start: float, module: float) -> np.ndarray:
    """For each of ``count`` pixels, the module (from ``start`` px, ``module`` px each)
    its centre falls in."""
    index: np.ndarray = np.floor((np.arange(count) + 0.5 - start) / module).astype(int)
    return index


def _draw_qr(card: np.ndarray, text: str) -> None:
    symbol = qr_modules(text)
    n = symbol.shape[0]
    left, top, right, bottom = _box(*cards.QR_AT, cards.QR_SIZE, cards.QR_SIZE)
    module = _px(cards.QR_SIZE) / (n + 2 * draw.QR_QUIET_MODULES)
    start = draw.QR_QUIET_MODULES * module
    cols = _module_index(right - left, start, module)
    rows = _module_index(bottom - top, start, module)
    inside_c, inside_r = (cols >= 0) & (cols < n), (rows >= 0) & (rows < n)
    dark = np.zeros((bottom - top, right - left), bool)
    dark[np.ix_(inside_r, inside_c)] = symbol[np.ix_(rows[inside_r], cols[inside_c])] == 0
    card[top:bottom, left:right][dark] = _INK


def _draw_code128(card: np.ndarray, text: str) -> None:
    bars = code128_modules(text)[0]
    x, y, w, h = cards.BARS
    dots = max(1, draw.code128_dots(text, w))
    module = _px(dots * draw.DOT)
    left, top, right, bottom = _box(x, y, w, h)
    start = (right - left - module * bars.size) / 2
    cols = _module_index(right - left, start, module)
    inside = (cols >= 0) & (cols < bars.size)
    dark = np.zeros(right - left, bool)
    dark[inside] = bars[cols[inside]] == 0
    card[top:bottom, left:right][:, dark] = _INK
    x, baseline, width = cards.CAPTION
    _put_text(card, text, (x, baseline), width, 0.55, _GREY, 1)


def _put_text(
    card: np.ndarray,
    text: str,
    at: tuple[float, float],
    width: float,
    scale: float,
    colour: tuple[int, int, int],
    thickness: int,
    centred: bool = False,
) -> None:
    """``text`` with its baseline starting at ``at`` (layout points, from the card's
    bottom-left), shrunk if needed to fit ``width`` points (or centred in it), as the
    printer fits the card's text to its boxes."""
    font = cv2.FONT_HERSHEY_SIMPLEX
    room = _px(width)
    (text_w, _), _ = cv2.getTextSize(text, font, scale, thickness)
    scale *= min(1.0, room / text_w)
    (text_w, _), _ = cv2.getTextSize(text, font, scale, thickness)
    x = _px(at[0]) + ((room - text_w) / 2 if centred else 0)
    origin = (round(x), round(_px(cards.CARD_H - at[1])))
    cv2.putText(card, text, origin, font, scale, colour, thickness)


def _draw_print(card: np.ndarray, rng: np.random.Generator) -> None:
    """School band, photo and name as laid out on the real card: clutter the decoders
    must ignore."""
    x, y, w, h = cards.BAND
    left, top, right, bottom = _box(x, y, w, h)
    cv2.rectangle(card, (left, top), (right, bottom), (145, 61, 11), thickness=-1)
    school = "OAKWOOD ACADEMY"
    _put_text(card, school, (x + 1.5 * mm, y + h / 3), w - 3 * mm, 1.0, (255,) * 3, 2, True)
    left, top, right, bottom = _box(*cards.PHOTO)
    skin = tuple(int(c) for c in rng.integers(60, 230, size=3))
    cv2.rectangle(card, (left, top), (right, bottom), (216, 166, 126), thickness=-1)
    centre = ((left + right) // 2, (top + bottom) // 2)
    axes = ((right - left) * 3 // 10, (bottom - top) * 3 // 10)
    cv2.ellipse(card, centre, axes, 0, 0, 360, skin, thickness=-1)
    width = cards.TEXT_RIGHT - cards.TEXT_X
    lines = [("Alex", 1.3, _INK, 3), ("Smith", 1.3, _INK, 3)]
    lines += [("Form 9RB", 0.9, _GREY, 2), ("Year 9", 0.9, _GREY, 2)]
    baseline = cards.TEXT_TOP
    for text, scale, colour, thickness in lines:
        baseline -= scale * 9 * cards.LEADING  # points: Hershey scale 1 is ~9 pt type here
        _put_text(card, text, (cards.TEXT_X, baseline), width, scale, colour, thickness)
