"""Barcode decoders behind one small interface.

``decode(frame)`` takes any camera frame (BGR, BGRA or grayscale; any dtype) and returns
the distinct texts found, in the order found. It never raises: an empty, tiny or
malformed frame, or an error inside a decoding library, gives ``[]``.

Each decoder works in passes, cheapest first, stopping at the first hit: a copy shrunk to
640 px wide (enough for most cards at kiosk distance), then the full resolution, then each
card-shaped quadrilateral in the frame warped flat and enlarged, sharpened and then
binarised (a far, tilted, soft, dim or glared card), then enlarged and sharpened crops of
the few textured regions that could be a code. ``default_decoder()`` is zxing-cpp with
these passes, chosen by measurement: see ``benchmarks/decode.py`` and
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

log = logging.getLogger(__name__)

FIRST_PASS_WIDTH = 640
# A region crop (usually the whole card: the QR sits beside the name and above the
# Code128) is enlarged to about this size, so a far card's QR gets 3-4 px a module.
REGION_WIDTH = 600
# A pupil card (CR80, mm), and the resolution a found card is flattened to: the QR's
# 0.88 mm modules get ~9 px each.
CARD_MM = (85.6, 54.0)
CARD_PX_PER_MM = 10
MAX_CARDS = 2
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
# A pass width of None means the frame's own resolution.
Widths = tuple[int | None, ...]
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


def fit_width(gray: np.ndarray, width: int | None) -> np.ndarray:
    """``gray`` shrunk to ``width`` pixels wide (never enlarged)."""
    if width is None or gray.shape[1] <= width:
        return gray
    height = max(1, round(gray.shape[0] * width / gray.shape[1]))
    resized: np.ndarray = cv2.resize(gray, (width, height), interpolation=cv2.INTER_AREA)
    return resized


def pass_images(gray: np.ndarray, widths: Widths) -> Iterator[np.ndarray]:
    """The image for each pass, skipping a pass that would repeat the previous size."""
    previous: tuple[int, ...] | None = None
    for width in widths:
        image = fit_width(gray, width)
        if image.shape != previous:
            previous = image.shape
            yield image


def unique(texts: Iterable[str]) -> list[str]:
    """Distinct non-empty texts in first-seen order (a card's QR and Code128 agree)."""
    return list(dict.fromkeys(text for text in texts if text))


# --- Regions of interest ----------------------------------------------------------------


def region_crops(gray: np.ndarray, limit: int = 3) -> Iterator[np.ndarray]:
    """Enlarged, sharpened crops of the textured blobs in ``gray`` that could be a code.

    The last resort for a small or soft code: upscaling and sharpening a crop gives the
    binariser more pixels per module, at a fraction of the cost of doing so to the frame."""
    small = fit_width(gray, FIRST_PASS_WIDTH)
    scale = gray.shape[1] / small.shape[1]
    for x, y, w, h in textured_regions(small)[:limit]:
        margin_x, margin_y = w // 4, h // 4
        x0, y0 = int((x - margin_x) * scale), int((y - margin_y) * scale)
        x1, y1 = int((x + w + margin_x) * scale), int((y + h + margin_y) * scale)
        crop = gray[max(0, y0) : y1, max(0, x0) : x1]
        factor = max(1.0, min(4.0, REGION_WIDTH / max(crop.shape)))
        big = cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        # Mild, then strong and wide sharpening: a noisy code needs the first, a soft one
        # (a far card under webcam blur, modules under 2 px) the second.
        yield unsharp(big, radius=1.5 * factor, amount=1.0)
        yield unsharp(big, radius=2.0 * factor, amount=1.5)


def textured_regions(small: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (x, y, w, h) of compact blobs of strong edges, densest first."""
    width = small.shape[1]
    edges = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, _KERNEL_3)
    threshold = max(12.0, 0.4 * percentile(edges, 99.5))
    mask: np.ndarray = (edges > threshold).astype(np.uint8)
    k = max(3, width // 80)
    block = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, block)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, block)
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
    boxes = []
    for x, y, w, h, area in stats[1:count].tolist():
        square_enough = max(w, h) <= 2.5 * min(w, h)
        sized = 0.04 * width <= min(w, h) and max(w, h) <= 0.6 * width
        if square_enough and sized and area >= 0.4 * w * h:
            boxes.append((area, (x, y, w, h)))
    return [box for _, box in sorted(boxes, reverse=True)]


def percentile(image: np.ndarray, q: float) -> float:
    """The ``q``-th percentile of an 8-bit image, from its histogram (np.percentile sorts
    the whole frame: ~1.5 ms at 640x480, most of an idle frame's region search)."""
    counts = np.cumsum(cv2.calcHist([image], [0], None, [256], [0, 256]).ravel())
    return float(np.searchsorted(counts, q / 100 * (counts[-1] - 1), side="right"))


def unsharp(image: np.ndarray, radius: float, amount: float) -> np.ndarray:
    """``image`` plus ``amount`` times its detail finer than ``radius`` (Gaussian sigma)."""
    soft = cv2.GaussianBlur(image, (0, 0), radius)
    sharp: np.ndarray = cv2.addWeighted(image, 1.0 + amount, soft, -amount, 0)
    return sharp


_KERNEL_3 = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))


# --- The card itself ----------------------------------------------------------------------


def card_crops(
    gray: np.ndarray, limit: int = MAX_CARDS, quads: Sequence[np.ndarray] | None = None
) -> Iterator[np.ndarray]:
    """The likely cards in ``gray``, each warped flat (perspective removed) at
    ``CARD_PX_PER_MM``, sharpened, then binarised against its neighbourhood.

    For a far, tilted or soft card: zxing-cpp's own perspective estimate needs the QR's
    small alignment pattern, which blur erases, and then its sampling grid drifts off the
    modules at the far corner. The card's outline is big and survives blur, so the warp
    from it straightens the QR, and the enlargement gives each module ~13 pixels.
    ``quads``: the outlines if already found (``card_quads`` of the 640 px copy).

    Two variants, by measurement on the 1.35 mm-module card: the binarised one read
    every card that the strong-sharpening and CLAHE variants (made for the 0.88 mm
    card, now gone) read, and those under glare or dim light that they did not; the
    mild sharpening, cheaper, reads most soft cards first."""
    small = fit_width(gray, FIRST_PASS_WIDTH)
    scale = gray.shape[1] / small.shape[1]
    for quad in (card_quads(small) if quads is None else quads)[:limit]:
        card = flatten(gray, quad * scale)
        yield unsharp(card, radius=0.375 * CARD_PX_PER_MM, amount=2.5)
        yield binarized(card)


def binarized(card: np.ndarray) -> np.ndarray:
    """A flattened card thresholded against its own neighbourhood (~6 mm, four or five
    QR modules), with no minimum contrast: zxing-cpp's binariser takes a block of under
    24 grey levels of contrast for blank, which is what glare or dim light leaves of a
    far card's modules."""
    soft = cv2.GaussianBlur(card, (0, 0), 0.2 * CARD_PX_PER_MM)
    block = 6 * CARD_PX_PER_MM + 1
    binary: np.ndarray = cv2.adaptiveThreshold(
        soft, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, 2
    )
    return binary


def card_quads(small: np.ndarray) -> list[np.ndarray]:
    """Corners (4x2 float32, clockwise from a long edge) of card-shaped quadrilaterals in
    ``small``, largest first, from two outlines that fail differently: strong edges (a
    card on a bright desk) and Otsu's bright regions (a card with glare on one edge).
    The edges come from a 1.5 px blur with Canny at 15-45 grey levels: at 1 px and
    10-30, sensor noise in a dim frame and the rim of a glare spot gave edges that
    caught on the card's outline and spoilt its four corners."""
    blurred = cv2.GaussianBlur(small, (0, 0), 1.5)
    edges = cv2.dilate(cv2.Canny(blurred, 15, 45), _KERNEL_3)
    smooth = cv2.GaussianBlur(small, (0, 0), 2.0)
    _, bright = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, _KERNEL_9)
    found = _card_shapes(edges) + _card_shapes(bright)
    quads: list[np.ndarray] = []
    for _, quad in sorted(found, key=lambda item: -item[0]):
        if all(np.abs(quad.mean(axis=0) - kept.mean(axis=0)).max() > 8 for kept in quads):
            quads.append(quad)
    return quads


def _card_shapes(mask: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """(area, corners) of the outer outlines in ``mask`` that are four-sided, of a card's
    size and, allowing for tilt up to ~35 degrees, of its proportions."""
    frame_area = mask.shape[0] * mask.shape[1]
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    shapes = []
    for contour in contours:
        area = float(cv2.contourArea(contour))
        if not 0.02 * frame_area <= area <= 0.7 * frame_area:
            continue
        hull = cv2.convexHull(contour)
        corners = cv2.approxPolyDP(hull, 0.03 * cv2.arcLength(hull, True), True)
        if len(corners) != 4:
            continue
        quad = clockwise_long_edge_first(corners.reshape(4, 2).astype(np.float32))
        long_side, short_side = np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[1])
        if 1.2 <= long_side / max(float(short_side), 1.0) <= 2.2:
            shapes.append((area, quad))
    return shapes


def clockwise_long_edge_first(quad: np.ndarray) -> np.ndarray:
    """``quad``'s corners in clockwise order on screen (so the flattened card is not
    mirrored: a mirrored QR does not read), starting at a long edge."""
    centre = quad.mean(axis=0)
    ordered = quad[np.argsort(np.arctan2(quad[:, 1] - centre[1], quad[:, 0] - centre[0]))]
    if np.linalg.norm(ordered[1] - ordered[0]) < np.linalg.norm(ordered[2] - ordered[1]):
        ordered = np.roll(ordered, -1, axis=0)
    return ordered


def flatten(gray: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The card with corners ``quad`` in ``gray``, warped to a flat, upright-or-upside-
    down CR80 at ``CARD_PX_PER_MM``."""
    width, height = (round(side * CARD_PX_PER_MM) for side in CARD_MM)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    flat: np.ndarray = cv2.warpPerspective(gray, matrix, (width, height), flags=cv2.INTER_CUBIC)
    return flat


_KERNEL_9 = np.ones((9, 9), np.uint8)


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


class ChainDecoder:
    """Tries ``primary``, then each fallback, on the same frame; the first that finds
    anything wins. The frame is converted to grayscale once."""

    def __init__(self, primary: Decoder, *fallbacks: Decoder, name: str | None = None) -> None:
        self.decoders: tuple[Decoder, ...] = (primary, *fallbacks)
        self.name = name or "chain(" + " > ".join(d.name for d in self.decoders) + ")"

    def decode(self, gray: np.ndarray) -> list[str]:
        image = to_gray(gray)
        if image is None:
            return []
        for decoder in self.decoders:
            texts = decoder.decode(image)
            if texts:
                return texts
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
    return IdleThrottle(zxing_decoder())


def all_decoders() -> Sequence[Decoder]:
    """Every decoder, one per library, for the benchmark and the tests."""
    return (zxing_decoder(), pyzbar_decoder(), opencv_decoder(), opencv_decoder(aruco=True))


def default_decoder() -> Decoder:
    """zxing-cpp alone, from the benchmark (benchmarks/README.md has the figures).

    It reads the most frames, synthetic and real, and is 5-50 times faster than the
    others. Falling back to pyzbar read no extra synthetic card and one extra real photo,
    but multiplied the cost of every frame without a card (what the kiosk decodes all
    day) by 3 to 6, so there is no fallback; ``ChainDecoder`` is there to add one."""
    return zxing_decoder()
