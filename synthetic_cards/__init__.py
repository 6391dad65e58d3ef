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

``card`` draws the card, ``webcam`` holds it in front of a webcam, and this module makes
the sets (frames, scenes, presentations, empty desks) from them.

CLI: ``python -m synthetic_cards OUT_DIR --count N [--size 1280x720]`` writes
``0000.png`` ... for the camera's folder source, and ``expected.txt`` (one text per line).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from synthetic_cards.card import SECRET, card_text, code128_modules, qr_modules, render_card
from synthetic_cards.webcam import (
    DISTANCE_CM,
    GUIDED_FRACTION,
    HAND_STEP_DEG,
    HAND_STEP_MM,
    HFOV_DEG,
    Camera,
    Pose,
    Size,
    apply_camera,
    card_quad,
    draw_pose,
    moved,
    place_card,
    render_desk,
)

__all__ = [
    "BURST_FRAMES",
    "DEFAULT_SEED",
    "DISTANCE_CM",
    "GUIDED_FRACTION",
    "HAND_STEP_DEG",
    "HAND_STEP_MM",
    "HFOV_DEG",
    "SECRET",
    "Camera",
    "Pose",
    "Scene",
    "apply_camera",
    "card_quad",
    "card_text",
    "code128_modules",
    "draw_pose",
    "main",
    "make_burst",
    "make_empty_frames",
    "make_frames",
    "make_scene",
    "make_scenes",
    "make_still_desk",
    "moved",
    "place_card",
    "qr_modules",
    "render_card",
    "render_desk",
    "write_frames",
]

DEFAULT_SEED = 20250901
Frame = tuple[np.ndarray, str]
# A presentation: the card held up for about a second, decoded every third frame at
# 30 fps (the hand's steps between them: ``HAND_STEP_MM``, ``HAND_STEP_DEG``).
BURST_FRAMES = 10


@dataclass(frozen=True)
class Scene:
    """The random choices behind one frame (kept so failures can be explained)."""

    text: str
    card_fraction: float
    distance_cm: float
    tilt_deg: float
    roll_deg: float
    camera: Camera


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
