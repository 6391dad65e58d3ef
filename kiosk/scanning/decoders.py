"""Barcode decoders behind one small interface.

``decode(frame)`` takes any camera frame (BGR, BGRA or grayscale; any dtype) and returns
the distinct texts found, in the order found. It never raises: an empty, tiny or
malformed frame, or an error inside a decoding library, gives ``[]``.

Each decoder works in passes, cheapest first, stopping at the first hit: a copy shrunk to
640 px wide (enough for most cards at kiosk distance), then the full resolution, then each
card-shaped quadrilateral in the frame warped flat and enlarged, sharpened and then
binarised (a far, tilted, soft, dim or glared card), then enlarged and sharpened crops of
the few textured regions that could be a code (``kiosk.scanning.candidates`` makes those
images; this module runs the decoding libraries over them). ``default_decoder()`` is
zxing-cpp with these passes, chosen by measurement: see ``benchmarks/decode.py`` and
``benchmarks/README.md``. ``camera_decoder()`` is the same behind ``IdleThrottle``, which
skips the card and region passes on most frames of an unchanged, card-less view.

Decoders hold no state between frames (``IdleThrottle`` excepted) and are not meant to
be shared across threads (OpenCV's detectors are objects): give each thread its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from kiosk.scanning.candidates import (
    FIRST_PASS_WIDTH,
    Widths,
    card_crops,
    card_quads,
    fit_width,
    pass_images,
    region_crops,
)

log = logging.getLogger(__name__)

# IdleThrottle: the costly passes on at least one frame in IDLE_EVERY (CARD_EVERY while a
# card-shaped outline is in view). The view is compared as a thumbnail VIEW_WIDTH px
# wide: changed when over VIEW_CHANGE of it moved by more than VIEW_STEP grey levels (a
# card 30 cm away covers ~3 % of the frame).
IDLE_EVERY = 4
CARD_EVERY = 2
VIEW_WIDTH = 80
VIEW_STEP = 12
VIEW_CHANGE = 0.01
# The smallest QR symbol is 21 modules; anything narrower cannot hold a code.
MIN_SIDE = 21

Reader = Callable[[np.ndarray], list[str]]
TWO_PASS: Widths = (FIRST_PASS_WIDTH, None)


class Decoder(Protocol):
    name: str

    def decode(self, gray: np.ndarray) -> list[str]: ...


def to_gray(frame: object) -> np.ndarray | None:
    """An 8-bit, single-channel, C-contiguous view of ``frame``, or None if it cannot
    hold a code (not an array, empty, tiny, odd shape)."""
    if not isinstance(frame, np.ndarray) or frame.size == 0:
        return None
    image = frame
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or min(image.shape[:2]) < MIN_SIDE:
        return None
    image = _to_uint8(image)
    if image.ndim == 3:
        conversions = {3: cv2.COLOR_BGR2GRAY, 4: cv2.COLOR_BGRA2GRAY}
        if image.shape[2] not in conversions:
            return None
        image = cv2.cvtColor(image, conversions[image.shape[2]])
    return np.ascontiguousarray(image)


def _to_uint8(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.bool_:
        return image.astype(np.uint8) * 255
    if image.dtype.kind not in "uif":
        return np.zeros(image.shape, np.uint8)
    values = np.nan_to_num(image.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return np.zeros(image.shape, np.uint8)
    scaled: np.ndarray = ((values - low) * (255.0 / (high - low))).astype(np.uint8)
    return scaled


def unique(texts: Iterable[str]) -> list[str]:
    """Distinct non-empty texts in first-seen order (a card's QR and Code128 agree)."""
    return list(dict.fromkeys(text for text in texts if text))


# --- Decoders -------------------------------------------------------------------------


@dataclass
class PassDecoder:
    """One decoding library (``read`` on a grayscale image) run over ``widths`` passes,
    then, if ``regions``, over enhanced crops of likely code regions."""

    name: str
    read: Reader
    widths: Widths = TWO_PASS
    regions: bool = True
    cards: bool = True

    def decode(self, gray: np.ndarray) -> list[str]:
        image = to_gray(gray)
        if image is None:
            return []
        return self.first_read(self.candidates(image))

    def first_read(self, candidates: Iterable[np.ndarray]) -> list[str]:
        """The texts of the first candidate that reads."""
        for candidate in candidates:
            texts = _guarded(self.name, self.read, candidate)
            if texts:
                return texts
        return []

    def candidates(self, gray: np.ndarray) -> Iterator[np.ndarray]:
        """The images to try, cheapest first; made lazily, so a hit stops the work."""
        yield from pass_images(gray, self.widths)
        yield from self.costly_candidates(gray)

    def costly_candidates(
        self, gray: np.ndarray, quads: Sequence[np.ndarray] | None = None
    ) -> Iterator[np.ndarray]:
        """The card and region crops: most of the cost of a frame without a card."""
        if self.cards:
            yield from card_crops(gray, quads=quads)
        if self.regions:
            yield from region_crops(gray)


class IdleThrottle:
    """``decoder`` for a camera's stream of frames, sparing the costly passes (card and
    region crops) while the view stays as it was when they last found nothing.

    The whole-frame passes run on every frame. The costly ones run when the view has
    changed since they last ran (something came into view), and otherwise on one frame
    in CARD_EVERY while they last found a card-shaped outline (a card in view but not
    read yet: keep trying), one in ``every`` while they did not (which also covers a card
    that came in unnoticed). An empty kiosk then pays the whole-frame passes plus a share
    of the rest. Holds state: one per camera, not shared between threads.
    """

    def __init__(self, decoder: PassDecoder, every: int = IDLE_EVERY) -> None:
        self.decoder, self.every, self.name = decoder, every, decoder.name
        self._since = every  # frames since the costly passes ran: the first frame runs them
        self._card_seen = False
        self._view: np.ndarray | None = None

    def decode(self, gray: np.ndarray) -> list[str]:
        image = to_gray(gray)
        if image is None:
            return []
        texts = self.decoder.first_read(pass_images(image, self.decoder.widths))
        if texts:
            return texts
        small = fit_width(image, FIRST_PASS_WIDTH)
        view = fit_width(small, VIEW_WIDTH)
        self._since += 1
        every = CARD_EVERY if self._card_seen else self.every
        if self._since < every and not self._changed(view):
            return []
        self._since, self._view = 0, view
        quads = card_quads(small) if self.decoder.cards else []
        self._card_seen = bool(quads)
        return self.decoder.first_read(self.decoder.costly_candidates(image, quads))

    def _changed(self, view: np.ndarray) -> bool:
        """More than VIEW_CHANGE of the thumbnail moved by over VIEW_STEP grey levels
        (sensor noise, averaged over 8x8 pixels or more, moves it by 1-2)."""
        if self._view is None or self._view.shape != view.shape:
            return True
        moved = cv2.absdiff(view, self._view) > VIEW_STEP
        return float(np.count_nonzero(moved)) > VIEW_CHANGE * moved.size


_reported: set[tuple[str, str]] = set()


def _guarded(name: str, read: Reader, gray: np.ndarray) -> list[str]:
    try:
        return unique(read(gray))
    except Exception as error:
        # A library failing on one odd frame must not stop the camera loop, nor flood the
        # log 30 times a second: warn once per library and kind of error.
        key = (name, type(error).__name__)
        level = logging.DEBUG if key in _reported else logging.WARNING
        _reported.add(key)
        log.log(level, "%s failed on a %s frame", name, gray.shape, exc_info=True)
        return []


# --- Libraries -------------------------------------------------------------------------


def zxing_reader(try_invert: bool = True) -> Reader:
    """zxing-cpp, QR and Code128. Rotation tries are off: QR needs none, and a Code128
    on a hand-held card is only read near upright by the horizontal scan lines anyway.
    Inverted (light-on-dark) codes are tried: it costs nothing measurable on frames
    without a code and reads 3 more of the real photos."""
    import zxingcpp

    wanted = (zxingcpp.QRCode, zxingcpp.Code128)

    def read(gray: np.ndarray) -> list[str]:
        found = zxingcpp.read_barcodes(
            gray,
            # Made per call (a microsecond): nanobind reports a BarcodeFormats object
            # still held by this closure at interpreter exit as a leak.
            formats=zxingcpp.BarcodeFormats(wanted),
            try_rotate=False,
            try_invert=try_invert,
            text_mode=zxingcpp.TextMode.Plain,
        )
        return [barcode.text for barcode in found]

    return read


def pyzbar_reader() -> Reader:
    """ZBar through pyzbar, QR and Code128."""
    from pyzbar import pyzbar

    symbols = [pyzbar.ZBarSymbol.QRCODE, pyzbar.ZBarSymbol.CODE128]

    def read(gray: np.ndarray) -> list[str]:
        found = pyzbar.decode(gray, symbols=symbols)
        return [symbol.data.decode("utf-8", errors="replace") for symbol in found]

    return read


def opencv_reader(aruco: bool = False) -> Reader:
    """OpenCV's QR detector (QR only: OpenCV has no Code128 reader).

    ``aruco`` selects ``QRCodeDetectorAruco`` (finder patterns found with the ArUco
    machinery) instead of the classic ``QRCodeDetector``."""
    detector = cv2.QRCodeDetectorAruco() if aruco else cv2.QRCodeDetector()

    def read(gray: np.ndarray) -> list[str]:
        # The bytes variant: the text variant raises on a QR holding non-UTF-8 bytes.
        ok, found, _, _ = detector.detectAndDecodeBytesMulti(gray)
        return [data.decode("utf-8", errors="replace") for data in found] if ok else []

    return read


def zxing_decoder(widths: Widths = TWO_PASS, try_invert: bool = True) -> PassDecoder:
    return PassDecoder("zxing-cpp", zxing_reader(try_invert), widths)


def pyzbar_decoder(widths: Widths = TWO_PASS) -> PassDecoder:
    return PassDecoder("pyzbar", pyzbar_reader(), widths)


def opencv_decoder(widths: Widths = TWO_PASS, aruco: bool = False) -> PassDecoder:
    return PassDecoder("opencv-aruco" if aruco else "opencv", opencv_reader(aruco), widths)


def camera_decoder() -> Decoder:
    """The default decoder with the idle throttle, for a camera's stream of frames."""
    return IdleThrottle(default_decoder())


def all_decoders() -> Sequence[Decoder]:
    """Every decoder, one per library, for the benchmark and the tests."""
    return (zxing_decoder(), pyzbar_decoder(), opencv_decoder(), opencv_decoder(aruco=True))


def default_decoder() -> PassDecoder:
    """zxing-cpp alone, from the benchmark (benchmarks/README.md has the figures).

    It reads the most frames, synthetic and real, and is 5-50 times faster than the
    others. Falling back to pyzbar read no extra synthetic card and one extra real photo,
    but multiplied the cost of every frame without a card (what the kiosk decodes all
    day) by 3 to 6, so there is no fallback (``benchmarks/decode.py`` measures one)."""
    return zxing_decoder()
