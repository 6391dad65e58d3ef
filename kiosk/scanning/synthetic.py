"""Synthetic webcam frames of a pupil card, for tests and the decode benchmark.

Every frame is reproducible from ``(seed, index)``. A frame shows a CR80 card (QR of a
signed payload plus a Code128 of the same text) lying on a desk, seen by a kiosk webcam:
tilted up to 30 degrees, filling 20-50 % of the frame width, then blurred, darkened,
given sensor noise, sometimes a glare spot and webcam JPEG compression.

CLI: ``python -m kiosk.scanning.synthetic OUT_DIR --count N [--size 1280x720]`` writes
``0000.png`` ... for the camera's folder source, and ``expected.txt`` (one text per line).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import barcode
import cv2
import numpy as np

from kiosk.scanning import payload

DEFAULT_SEED = 20250901
SECRET = b"synthetic-test-secret"
SCHOOLS = ("DEMO", "HK", "STMARYS", "OAK12345")

Size = tuple[int, int]
Frame = tuple[np.ndarray, str]

# Card drawn at 10 px per mm: CR80 is 85.6 x 54 mm.
_PX_PER_MM = 10
_CARD_MM = (85.6, 54.0)
_CARD_PX = (856, 540)
_QR_QUIET_MODULES = 4
_WEBCAM_HFOV_DEG = 65.0


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
    tilt_deg: float
    roll_deg: float
    camera: Camera


def card_text(rng: np.random.Generator) -> str:
    school = SCHOOLS[int(rng.integers(len(SCHOOLS)))]
    pupil_id = int(rng.integers(1, 60_000))
    serial = int(rng.integers(1, 40))
    return payload.encode(SECRET, school, pupil_id, serial)


def qr_modules(text: str) -> np.ndarray:
    """QR symbol as a uint8 image, one pixel per module, no quiet zone (0 = dark)."""
    params = cv2.QRCodeEncoder.Params()
    params.correction_level = cv2.QRCODE_ENCODER_CORRECT_LEVEL_M
    params.mode = cv2.QRCODE_ENCODER_MODE_ALPHANUMERIC
    symbol: np.ndarray = cv2.QRCodeEncoder.create(params).encode(text)
    # OpenCV adds a 2-module border; strip it so the card layout controls the quiet zone.
    dark = np.argwhere(symbol == 0)
    (top, left), (bottom, right) = dark.min(axis=0), dark.max(axis=0)
    return symbol[top : bottom + 1, left : right + 1]


def code128_modules(text: str) -> np.ndarray:
    """Code128 as a 1-row uint8 image, one pixel per module (0 = bar)."""
    pattern = barcode.get("code128", text).build()[0]
    return np.array([0 if bit == "1" else 255 for bit in pattern], dtype=np.uint8)[None, :]


def render_card(text: str, rng: np.random.Generator) -> np.ndarray:
    """The front of a card, BGR, 856 x 540 px (10 px/mm)."""
    width, height = _CARD_PX
    tint = rng.integers(235, 256, size=3)
    card = np.empty((height, width, 3), np.uint8)
    card[:] = tint
    _draw_qr(card, text)
    _draw_code128(card, text)
    _draw_print(card, rng)
    return card


def _draw_qr(card: np.ndarray, text: str) -> None:
    symbol = qr_modules(text)
    side_mm = 35.0  # the whole QR area including its quiet zone
    module = round(side_mm * _PX_PER_MM / (symbol.shape[0] + 2 * _QR_QUIET_MODULES))
    big = cv2.resize(symbol, None, fx=module, fy=module, interpolation=cv2.INTER_NEAREST)
    top = left = 30 + _QR_QUIET_MODULES * module
    region = card[top : top + big.shape[0], left : left + big.shape[1]]
    region[big == 0] = 20


def _draw_code128(card: np.ndarray, text: str) -> None:
    bars = code128_modules(text)
    module_px = 2  # 0.2 mm
    strip = cv2.resize(bars, (bars.shape[1] * module_px, 80), interpolation=cv2.INTER_NEAREST)
    top = 430
    left = (card.shape[1] - strip.shape[1]) // 2
    region = card[top : top + strip.shape[0], left : left + strip.shape[1]]
    region[strip == 0] = 20


def _draw_print(card: np.ndarray, rng: np.random.Generator) -> None:
    """Name, year group and a photo box on the right: clutter the decoders must ignore."""
    colour = tuple(int(c) for c in rng.integers(20, 160, size=3))
    cv2.rectangle(card, (420, 30), (826, 90), colour, thickness=-1)
    cv2.putText(card, "OAKWOOD ACADEMY", (432, 72), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255,) * 3, 2)
    cv2.rectangle(card, (420, 120), (560, 300), (200, 190, 180), thickness=-1)
    cv2.putText(card, "Alex Smith", (580, 170), cv2.FONT_HERSHEY_SIMPLEX, 1.1, (30,) * 3, 2)
    cv2.putText(card, "Year 9  9RB", (580, 230), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (60,) * 3, 2)


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


def card_quad(size: Size, rng: np.random.Generator) -> tuple[np.ndarray, float, float, float]:
    """Where the card's corners land in the frame under a pinhole webcam model.

    Returns (4x2 float32 corners, card fraction of frame width, tilt, roll in degrees).
    """
    width, height = size
    fraction = float(rng.uniform(0.20, 0.50))
    tilt = float(rng.uniform(0, 30))
    roll = float(rng.uniform(-30, 30)) + (180.0 if rng.random() < 0.15 else 0.0)
    focal = width / (2 * math.tan(math.radians(_WEBCAM_HFOV_DEG / 2)))
    distance = focal * _CARD_MM[0] / (fraction * width)
    corners = _rotated_card_corners(tilt, float(rng.uniform(0, 360)), roll)
    corners[:, 2] += distance
    projected = (focal * corners[:, :2] / corners[:, 2:3]).astype(np.float32)
    low, high = projected.min(axis=0), projected.max(axis=0)
    span = high - low
    room = np.array([width, height], np.float32) - span
    offset = np.array([rng.uniform(0, max(room[0], 1)), rng.uniform(0, max(room[1], 1))])
    return (projected - low + offset).astype(np.float32), fraction, tilt, roll


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
    image: np.ndarray, rng: np.random.Generator, scale: float, card: np.ndarray | None = None
) -> tuple[np.ndarray, Camera]:
    """Lens blur, exposure, vignetting, glare, sensor noise and JPEG, in that order.

    Glare is the laminate of the card reflecting a ceiling light, so it lands on the card
    (``card`` is its corner quad) when there is one."""
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
    image = image + rng.standard_normal(size=image.shape, dtype=np.float32) * noise
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


def make_scene(size: Size, rng: np.random.Generator) -> tuple[np.ndarray, Scene]:
    text = card_text(rng)
    card = render_card(text, rng)
    quad, fraction, tilt, roll = card_quad(size, rng)
    composed = place_card(render_desk(size, rng), card, quad)
    frame, camera = apply_camera(composed, rng, scale=size[0] / 640, card=quad)
    return frame, Scene(text, fraction, tilt, roll, camera)


def make_frames(count: int, size: Size = (1280, 720), seed: int = DEFAULT_SEED) -> list[Frame]:
    """``count`` BGR frames, each with the exact text its card encodes."""
    return [(frame, scene.text) for frame, scene in make_scenes(count, size, seed)]


def make_scenes(
    count: int, size: Size = (1280, 720), seed: int = DEFAULT_SEED
) -> list[tuple[np.ndarray, Scene]]:
    """Like ``make_frames`` but with the random choices behind each frame."""
    return [make_scene(size, np.random.default_rng([seed, index])) for index in range(count)]


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


if __name__ == "__main__":
    raise SystemExit(main())
