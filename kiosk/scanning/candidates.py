"""Where in a frame a code may be, as images a decoding library reads more easily.

The cheap passes are the frame itself at each pass's width (``pass_images``). The costly
ones, for a far, tilted, soft, dim or glared card: each card-shaped outline in the frame
warped flat and enlarged, sharpened and then binarised (``card_crops``), and the few
textured regions that could be a code enlarged and sharpened (``region_crops``).
``kiosk.scanning.decoders`` runs a library over them, cheapest first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import cv2
import numpy as np

FIRST_PASS_WIDTH = 640
# A region crop (usually the whole card: the QR sits beside the name and above the
# Code128) is enlarged to about this size, so a far card's QR gets 3-4 px a module.
REGION_WIDTH = 600
# A pupil card (CR80, mm), and the resolution a found card is flattened to: the QR's
# 0.88 mm modules get ~9 px each.
CARD_MM = (85.6, 54.0)
CARD_PX_PER_MM = 10
MAX_CARDS = 2
# A pass width of None means the frame's own resolution.
Widths = tuple[int | None, ...]


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
