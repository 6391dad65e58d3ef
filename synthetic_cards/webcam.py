"""A card held in front of a kiosk webcam: the desk behind it, where its corners land
under a pinhole model (the distances and fields of view are in the package's docstring),
a hand moving it a little between frames, and the camera's blur, exposure, vignetting,
glare, sensor noise and JPEG."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

from synthetic_cards.card import CARD_MM

Size = tuple[int, int]

# Kiosk distance (see the package docstring): the webcam's horizontal field of view and
# how far from it a pupil holds the card.
HFOV_DEG = (65.0, 70.0)
DISTANCE_CM = (12.0, 30.0)
# The guided set: a pupil aiming at the kiosk's card guide (a box the card fills at 45 %
# of the frame width) gets the card's width to 30-55 % of the frame's: from two thirds of
# the box to a little over it (benchmarks/README.md says why).
GUIDED_FRACTION = (0.30, 0.55)
# Between decoded frames of a presentation the hand moves a few mm and turns about a
# degree.
HAND_STEP_MM = 2.0
HAND_STEP_DEG = 1.0


@dataclass(frozen=True)
class Camera:
    """The imaging choices behind one frame."""

    blur_sigma: float
    gain: float
    noise_sigma: float
    glare: bool
    jpeg_quality: int | None


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
        return float(self.focal * CARD_MM[0] / self.distance_mm / size[0])


def draw_pose(size: Size, rng: np.random.Generator, guided: bool = False) -> Pose:
    """A random pose (see ``card_quad``), inside the frame."""
    width, height = size
    hfov = float(rng.uniform(*HFOV_DEG))
    focal = width / (2 * math.tan(math.radians(hfov / 2)))
    if guided:
        distance_mm = focal * CARD_MM[0] / (float(rng.uniform(*GUIDED_FRACTION)) * width)
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
    half_w, half_h = CARD_MM[0] / 2, CARD_MM[1] / 2
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
