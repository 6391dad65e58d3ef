"""Synthetic webcam frames of a pupil card, for tests and the decode benchmark.

Not part of the ``kiosk`` package (it is not installed with it): a support package
beside ``tests/`` and ``benchmarks/``, which both import it from the project's root.

Every frame is reproducible from ``(seed, index)``. A frame shows the card as
``kiosk.printing.cards`` prints it (its layout constants: a CR80 card with a 44.4 mm QR
including its quiet zone, version 2 at EC level M, 1.35 mm modules, beside the school
band, photo and name and above a Code128 of the same signed text), held in front of a
kiosk webcam: tilted up to 30 degrees, rolled up to 30 (15 % upside down), then blurred,
darkened, given sensor noise, sometimes a glare spot and webcam JPEG compression.

Kiosk distance, from geometry: a webcam with a 65-70 degree horizontal field of view
sees a strip 2 * d * tan(HFOV / 2) wide at distance d, i.e. 15.3-16.8 cm at 12 cm and
38.2-42.0 cm at 30 cm. A pupil holds the card 12-30 cm from the lens (closer and it
does not fit in the frame, further and it is out of arm's reach over a kiosk desk), so
the 85.6 mm card fills 56-51 % (12 cm) down to 22-20 % (30 cm) of the frame width. Each
frame draws the HFOV uniformly from 65-70 degrees and the distance uniformly from
12-30 cm: no distance is favoured, so about half the frames are beyond 21 cm (card
under 30 % of the width, a QR module under 3 px at 640x480). A card that would not fit
the frame whole is moved back until it does. The kiosk screen shows the camera preview,
which pupils use to aim, but nothing here assumes they come closer because of it.

CLI: ``python -m synthetic_cards OUT_DIR --count N [--size 1280x720]`` writes
``0000.png`` ... for the camera's folder source, and ``expected.txt`` (one text per line).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from reportlab.lib.units import mm

from kiosk import card_codec
from kiosk.printing import cards, draw

DEFAULT_SEED = 20250901
SECRET = b"synthetic-test-secret"
SCHOOLS = ("DEMO", "HK", "STMARYS", "OAK12345")

Size = tuple[int, int]
Frame = tuple[np.ndarray, str]

# Card drawn at 10 px per mm from the printed card's layout (PDF points, 72 an inch).
_PT_PER_MM = 72 / 25.4
_PX_PER_MM = 10
_CARD_MM = (cards.CARD_W / _PT_PER_MM, cards.CARD_H / _PT_PER_MM)  # CR80: 85.6 x 54
_CARD_PX = (round(_CARD_MM[0] * _PX_PER_MM), round(_CARD_MM[1] * _PX_PER_MM))
_INK = (20, 20, 20)

# Kiosk distance (see the module docstring): the webcam's horizontal field of view and
# how far from it a pupil holds the card.
HFOV_DEG = (65.0, 70.0)
DISTANCE_CM = (12.0, 30.0)
# The guided set: a pupil aiming at the kiosk's card guide (a box the card fills at 45 %
# of the frame width) gets the card's width to 30-55 % of the frame's: from two thirds of
# the box to a little over it (benchmarks/README.md says why).
GUIDED_FRACTION = (0.30, 0.55)
# A presentation: the card held up for about a second, decoded every third frame at
# 30 fps; between decoded frames the hand moves a few mm and turns about a degree.
BURST_FRAMES = 10
HAND_STEP_MM = 2.0
HAND_STEP_DEG = 1.0
_GREY = (85, 75, 75)


@dataclass(frozen=True)
class Camera:
    """The imaging choices behind one frame."""

    blur_sigma: float
    gain: float
    noise_sigma: float
    glare: bool
    jpeg_quality: int | None


@dataclass(frozen=True)
class Scene:
    """The random choices behind one frame (kept so failures can be explained)."""

    text: str
    card_fraction: float
    distance_cm: float
    tilt_deg: float
    roll_deg: float
    camera: Camera


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


def render_desk(size: Size, rng: np.random.Generator) -> np.ndarray:
    """A textured, unevenly lit desk with some clutter, BGR float32."""
    width, height = size
    base = rng.uniform(60, 200, size=3).astype(np.float32)
    coarse = rng.normal(0, 1, size=(height // 40 + 2, width // 40 + 2)).astype(np.float32)
    texture = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC) * 12
    grain = cv2.GaussianBlur(
        rng.normal(0, 10, size=(height, width)).astype(np.float32), (0, 0), 1.5
    )
    desk = base[None, None, :] + (texture + grain)[:, :, None]
    for _ in range(int(rng.integers(0, 5))):
        p1 = (int(rng.integers(width)), int(rng.integers(height)))
        p2 = (p1[0] + int(rng.integers(-200, 200)), p1[1] + int(rng.integers(-120, 120)))
        shade = tuple(float(v) for v in rng.uniform(0, 255, size=3))
        cv2.rectangle(desk, p1, p2, shade, thickness=int(rng.choice([-1, 2, 6])))
    return desk


def card_quad(
    size: Size, rng: np.random.Generator, guided: bool = False
) -> tuple[np.ndarray, float, float, float, float]:
    """Where the card's corners land in the frame under a pinhole webcam model.

    The webcam's horizontal field of view is drawn from ``HFOV_DEG`` and the card's
    distance from ``DISTANCE_CM`` (uniformly: no distance is favoured), or, ``guided``,
    from a card width drawn uniformly from ``GUIDED_FRACTION`` of the frame's (a pupil
    filling the kiosk's card guide, roughly). A card too close to fit in the frame whole
    at its tilt and roll is moved back until it does (what a pupil watching the preview
    does).

    Returns (4x2 float32 corners, card fraction of frame width, tilt, roll in degrees,
    distance in cm).
    """
    pose = draw_pose(size, rng, guided)
    return pose.quad(), pose.fraction(size), pose.tilt, pose.roll, pose.distance_mm / 10


@dataclass(frozen=True)
class Pose:
    """How the card is held: the webcam's focal length (px), the card's distance, tilt
    (about an axis in the card's plane at ``axis`` degrees), roll, and where its
    projection's bounding box starts in the frame (``corner``, px)."""

    focal: float
    distance_mm: float
    tilt: float
    axis: float
    roll: float
    corner: tuple[float, float]

    def projected(self) -> np.ndarray:
        placed = _rotated_card_corners(self.tilt, self.axis, self.roll)
        placed = placed + np.array([0.0, 0.0, self.distance_mm])
        result: np.ndarray = self.focal * placed[:, :2] / placed[:, 2:3]
        return result

    def quad(self) -> np.ndarray:
        projected = self.projected()
        quad: np.ndarray = projected - projected.min(axis=0) + np.array(self.corner)
        return quad.astype(np.float32)

    def fraction(self, size: Size) -> float:
        return float(self.focal * _CARD_MM[0] / self.distance_mm / size[0])


def draw_pose(size: Size, rng: np.random.Generator, guided: bool = False) -> Pose:
    """A random pose (see ``card_quad``), inside the frame."""
    width, height = size
    hfov = float(rng.uniform(*HFOV_DEG))
    focal = width / (2 * math.tan(math.radians(hfov / 2)))
    if guided:
        distance_mm = focal * _CARD_MM[0] / (float(rng.uniform(*GUIDED_FRACTION)) * width)
    else:
        distance_mm = 10 * float(rng.uniform(*DISTANCE_CM))
    tilt = float(rng.uniform(0, 30))
    roll = float(rng.uniform(-30, 30)) + (180.0 if rng.random() < 0.15 else 0.0)
    pose = Pose(focal, distance_mm, tilt, float(rng.uniform(0, 360)), roll, (0.0, 0.0))
    frame = np.array([width, height], np.float64)
    for _ in range(20):
        projected = pose.projected()
        span = projected.max(axis=0) - projected.min(axis=0)
        overflow = float((span / (0.98 * frame)).max())
        if overflow <= 1:
            break
        pose = replace(pose, distance_mm=pose.distance_mm * overflow)
    room = frame - span
    corner = (float(rng.uniform(0, max(room[0], 1))), float(rng.uniform(0, max(room[1], 1))))
    return replace(pose, corner=corner)


def moved(pose: Pose, size: Size, rng: np.random.Generator) -> Pose:
    """``pose`` after one step of a hand holding a card still (``HAND_STEP_MM``,
    ``HAND_STEP_DEG``: a few mm and about a degree between frames), kept in the frame."""
    shift_mm = rng.normal(0, HAND_STEP_MM, size=3)
    turn = rng.normal(0, HAND_STEP_DEG, size=2)
    shifted = pose.focal * shift_mm[:2] / pose.distance_mm
    step = replace(
        pose,
        distance_mm=pose.distance_mm + float(shift_mm[2]),
        tilt=float(np.clip(pose.tilt + turn[0], 0, 30)),
        roll=pose.roll + float(turn[1]),
        corner=(pose.corner[0] + float(shifted[0]), pose.corner[1] + float(shifted[1])),
    )
    projected = step.projected()
    span = projected.max(axis=0) - projected.min(axis=0)
    room = np.maximum(np.array(size, np.float64) - span, 0)
    corner = np.clip(np.array(step.corner), 0, room)
    return replace(step, corner=(float(corner[0]), float(corner[1])))


def _rotated_card_corners(tilt_deg: float, axis_deg: float, roll_deg: float) -> np.ndarray:
    half_w, half_h = _CARD_MM[0] / 2, _CARD_MM[1] / 2
    corners = np.array(
        [[-half_w, -half_h, 0], [half_w, -half_h, 0], [half_w, half_h, 0], [-half_w, half_h, 0]],
        dtype=np.float64,
    )
    roll, _ = cv2.Rodrigues(np.array([0.0, 0.0, math.radians(roll_deg)]))
    axis = math.radians(axis_deg)
    tilt_vector = np.array([math.cos(axis), math.sin(axis), 0.0]) * math.radians(tilt_deg)
    tilt, _ = cv2.Rodrigues(tilt_vector)
    rotated: np.ndarray = corners @ roll.T @ tilt.T
    return rotated


def place_card(desk: np.ndarray, card: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Warp the card onto the desk. The card is first shrunk near its final size so the
    perspective warp does not alias the QR modules."""
    target_width = float(np.linalg.norm(quad[1] - quad[0]))
    scale = min(1.0, 1.5 * target_width / card.shape[1])
    small = cv2.resize(card, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    h, w = small.shape[:2]
    source = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, quad)
    size = (desk.shape[1], desk.shape[0])
    warped = cv2.warpPerspective(small.astype(np.float32), matrix, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), matrix, size, flags=cv2.INTER_LINEAR)
    out: np.ndarray = desk * (1 - mask[:, :, None]) + warped * mask[:, :, None]
    return out


def apply_camera(
    image: np.ndarray,
    rng: np.random.Generator,
    scale: float,
    card: np.ndarray | None = None,
    noise_rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, Camera]:
    """Lens blur, exposure, vignetting, glare, sensor noise and JPEG, in that order.

    Glare is the laminate of the card reflecting a ceiling light, so it lands on the card
    (``card`` is its corner quad) when there is one. The sensor noise comes from
    ``noise_rng`` if given: a burst of frames repeats ``rng`` (same camera, same light)
    with fresh noise each frame."""
    height, width = image.shape[:2]
    blur = float(rng.uniform(0.3, 1.2)) * scale
    image = cv2.GaussianBlur(image, (0, 0), blur)
    gain = float(rng.uniform(0.35, 0.7)) if rng.random() < 0.35 else float(rng.uniform(0.75, 1.1))
    contrast = float(rng.uniform(0.6, 1.0))
    image = (image - 128) * contrast + 128
    image = image * gain * _vignette(width, height, rng)[:, :, None]
    glare = bool(rng.random() < 0.4)
    if glare:
        image = image + _glare(width, height, rng, card)[:, :, None]
    noise = float(rng.uniform(2, 5)) / math.sqrt(gain)
    grain = (noise_rng or rng).standard_normal(size=image.shape, dtype=np.float32)
    image = image + grain * noise
    frame = np.clip(image, 0, 255).astype(np.uint8)
    quality = int(rng.integers(60, 92)) if rng.random() < 0.5 else None
    if quality is not None:
        _, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
        frame = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)
    return frame, Camera(blur, gain, noise, glare, quality)


def _vignette(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """Light falling off from a random centre (computed at 1/8 size: it is smooth)."""
    ys, xs = np.mgrid[0 : height // 8 + 1, 0 : width // 8 + 1].astype(np.float32)
    cx, cy = rng.uniform(0.3, 0.7) * width / 8, rng.uniform(0.3, 0.7) * height / 8
    distance = np.hypot((xs - cx) / (width / 8), (ys - cy) / (height / 8))
    small = 1.0 - float(rng.uniform(0.1, 0.5)) * distance
    result: np.ndarray = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    return result


def _glare(
    width: int, height: int, rng: np.random.Generator, card: np.ndarray | None
) -> np.ndarray:
    """A bright elliptical reflection with soft edges (drawn at 1/8 size: it is smooth)."""
    if card is None:
        x, y = rng.uniform(0, width), rng.uniform(0, height)
    else:
        x, y = rng.dirichlet(np.ones(4)) @ card
    axes = (rng.uniform(0.03, 0.10) * width / 8, rng.uniform(0.02, 0.06) * width / 8)
    small: np.ndarray = np.zeros((height // 8 + 1, width // 8 + 1), np.float32)
    box = ((x / 8, y / 8), (2 * axes[0], 2 * axes[1]), float(rng.uniform(0, 180)))
    cv2.ellipse(small, box, 1.0, thickness=-1)
    small = cv2.GaussianBlur(small, (0, 0), max(axes) / 2)
    peak = float(small.max()) or 1.0
    blob = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    result: np.ndarray = blob / peak * float(rng.uniform(80, 200))
    return result


def make_scene(
    size: Size, rng: np.random.Generator, guided: bool = False
) -> tuple[np.ndarray, Scene]:
    text = card_text(rng)
    card = render_card(text, rng)
    quad, fraction, tilt, roll, distance = card_quad(size, rng, guided)
    composed = place_card(render_desk(size, rng), card, quad)
    frame, camera = apply_camera(composed, rng, scale=size[0] / 640, card=quad)
    return frame, Scene(text, fraction, distance, tilt, roll, camera)


def make_frames(count: int, size: Size = (1280, 720), seed: int = DEFAULT_SEED) -> list[Frame]:
    """``count`` BGR frames, each with the exact text its card encodes."""
    return [(frame, scene.text) for frame, scene in make_scenes(count, size, seed)]


def make_scenes(
    count: int, size: Size = (1280, 720), seed: int = DEFAULT_SEED, guided: bool = False
) -> list[tuple[np.ndarray, Scene]]:
    """Like ``make_frames`` but with the random choices behind each frame; ``guided``:
    the card's size from ``GUIDED_FRACTION`` instead of its distance from
    ``DISTANCE_CM`` (everything else drawn the same way)."""
    return [
        make_scene(size, np.random.default_rng([seed, index]), guided) for index in range(count)
    ]


def make_burst(
    index: int,
    size: Size = (1280, 720),
    seed: int = DEFAULT_SEED,
    guided: bool = False,
    frames: int = BURST_FRAMES,
) -> tuple[Iterator[np.ndarray], Scene]:
    """One presentation: ``frames`` frames of the same card, desk, camera and light, the
    hand moving a little between frames (``moved``), fresh sensor noise in each. The
    frames are made lazily (a reader can stop at the first it reads); the scene is the
    first frame's."""
    rng = np.random.default_rng([seed, 2_000_000 + index])
    text = card_text(rng)
    card = render_card(text, rng)
    pose = draw_pose(size, rng, guided)
    desk = render_desk(size, rng)
    hand = np.random.default_rng([seed, 2_000_000 + index, 1])
    poses = [pose]
    for _ in range(frames - 1):
        poses.append(moved(poses[-1], size, hand))

    def shoot(step: int) -> tuple[np.ndarray, Camera]:
        quad = poses[step].quad()
        return apply_camera(
            place_card(desk, card, quad),
            np.random.default_rng([seed, 2_000_000 + index, 2]),
            scale=size[0] / 640,
            card=quad,
            noise_rng=np.random.default_rng([seed, 2_000_000 + index, 3, step]),
        )

    first, camera = shoot(0)
    scene = Scene(text, pose.fraction(size), pose.distance_mm / 10, pose.tilt, pose.roll, camera)

    def shots() -> Iterator[np.ndarray]:
        yield first
        for step in range(1, frames):
            yield shoot(step)[0]

    return shots(), scene


def make_empty_frames(
    count: int, size: Size = (1280, 720), seed: int = DEFAULT_SEED
) -> list[np.ndarray]:
    """Desk frames without a card, for idle cost and false-positive checks."""
    frames = []
    for index in range(count):
        rng = np.random.default_rng([seed, 1_000_000 + index])
        frame, _ = apply_camera(render_desk(size, rng), rng, scale=size[0] / 640)
        frames.append(frame)
    return frames


def make_still_desk(
    index: int, size: Size = (1280, 720), seed: int = DEFAULT_SEED, frames: int = 30
) -> list[np.ndarray]:
    """An empty kiosk: ``frames`` frames of one desk without a card, the same camera and
    light, fresh sensor noise in each (what the kiosk sees most of the day)."""
    key = [seed, 3_000_000 + index]
    desk = render_desk(size, np.random.default_rng(key))
    return [
        apply_camera(
            desk,
            np.random.default_rng([*key, 1]),
            scale=size[0] / 640,
            noise_rng=np.random.default_rng([*key, 2, step]),
        )[0]
        for step in range(frames)
    ]


def write_frames(out_dir: Path, frames: Sequence[Frame]) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, (frame, _) in enumerate(frames):
        path = out_dir / f"{index:04d}.png"
        cv2.imwrite(str(path), frame)
        paths.append(path)
    (out_dir / "expected.txt").write_text("".join(f"{text}\n" for _, text in frames))
    return paths


def _parse_size(value: str) -> Size:
    width, _, height = value.lower().partition("x")
    return int(width), int(height)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--size", type=_parse_size, default=(1280, 720), help="e.g. 640x480")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    paths = write_frames(args.out_dir, make_frames(args.count, args.size, args.seed))
    print(f"wrote {len(paths)} frames to {args.out_dir}")
    return 0
