from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from kiosk.scanning import payload, synthetic


def test_frames_are_the_same_for_the_same_seed() -> None:
    first = synthetic.make_frames(2, (640, 480), seed=11)
    again = synthetic.make_frames(2, (640, 480), seed=11)
    for (a, text_a), (b, text_b) in zip(first, again, strict=True):
        assert text_a == text_b
        assert np.array_equal(a, b)


def test_another_seed_gives_other_frames() -> None:
    (a, text_a), (b, text_b) = (synthetic.make_frames(1, seed=s)[0] for s in (1, 2))
    assert text_a != text_b
    assert not np.array_equal(a, b)


def test_frames_have_the_asked_size_and_hold_signed_cards() -> None:
    for size in ((640, 480), (1280, 720)):
        for frame, text in synthetic.make_frames(2, size):
            assert frame.shape == (size[1], size[0], 3)
            assert frame.dtype == np.uint8
            result = payload.read(text, synthetic.SECRET, text.split(".")[1])
            assert isinstance(result, payload.CardPayload)


def test_cards_stay_within_the_kiosk_envelope_and_the_frame() -> None:
    for index in range(100):
        rng = np.random.default_rng([synthetic.DEFAULT_SEED, index])
        quad, fraction, tilt, _ = synthetic.card_quad((640, 480), rng)
        assert 0.2 <= fraction <= 0.5
        assert 0 <= tilt <= 30
        assert quad.min() >= 0
        assert quad[:, 0].max() <= 640 and quad[:, 1].max() <= 480


def test_the_cli_writes_pngs_and_their_texts(tmp_path: Path) -> None:
    assert synthetic.main([str(tmp_path / "out"), "--count", "2", "--size", "640x480"]) == 0
    pngs = sorted((tmp_path / "out").glob("*.png"))
    assert [p.name for p in pngs] == ["0000.png", "0001.png"]
    image = cv2.imread(str(pngs[0]))
    assert image is not None and image.shape == (480, 640, 3)
    texts = (tmp_path / "out" / "expected.txt").read_text().splitlines()
    assert texts == [text for _, text in synthetic.make_frames(2, (640, 480))]
