"""Fixtures for the scanning tests: synthetic card frames and the shared real QR photos."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

import synthetic_cards

from .photo_folder import ENV, find_qr_photos

REPOSITORY = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Photo:
    path: Path
    image: np.ndarray
    text: str


@pytest.fixture(scope="session")
def scenes_720p() -> list[tuple[np.ndarray, synthetic_cards.Scene]]:
    return synthetic_cards.make_scenes(8, (1280, 720))


@pytest.fixture(scope="session")
def well_presented(
    scenes_720p: list[tuple[np.ndarray, synthetic_cards.Scene]],
) -> list[tuple[np.ndarray, str]]:
    """720p frames where the card fills at least 30 % of the width: every decoder's
    home ground (the hard, far cards are the benchmark's business)."""
    return [(frame, scene.text) for frame, scene in scenes_720p if scene.card_fraction >= 0.3]


@pytest.fixture(scope="session")
def small_frames() -> list[tuple[np.ndarray, str]]:
    """Three well-presented 640x480 cards, for the camera tests."""
    scenes = synthetic_cards.make_scenes(8, (640, 480), seed=7)
    frames = [(frame, scene.text) for frame, scene in scenes if scene.card_fraction >= 0.3]
    return frames[:3]


@pytest.fixture(scope="session")
def qr_photos() -> Path:
    """The shared real QR photos (see photo_folder.py and their README.md)."""
    found, tried = find_qr_photos(REPOSITORY, os.environ)
    if found is None:
        places = ", ".join(str(folder) for folder in tried)
        pytest.skip(f"real QR photos not found in any of: {places} (set {ENV})")
    return found


def load_photo(folder: Path, relative: str) -> Photo:
    """The image exactly as stored (gray, BGR or BGRA) and the text it encodes."""
    path = folder / relative
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image is not None, f"OpenCV cannot read {path}"
    return Photo(path, image, path.with_suffix(".txt").read_bytes().decode("utf-8"))
