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
    """12-30 cm from a 65-70 degree webcam: the card fills 20-56 % of the frame width."""
    for size in ((640, 480), (1280, 720)):
        for index in range(100):
            rng = np.random.default_rng([synthetic.DEFAULT_SEED, index])
            quad, fraction, tilt, _, distance = synthetic.card_quad(size, rng)
            assert 12 <= distance <= 30 * 1.2  # moved back only when it would not fit
            assert 0.2 <= fraction <= 0.57
            assert 0 <= tilt <= 30
            assert quad.min() >= 0
            assert quad[:, 0].max() <= size[0] and quad[:, 1].max() <= size[1]


def test_the_synthetic_card_has_the_printed_cards_qr() -> None:
    """Same symbol and size as kiosk.printing.cards prints: 29 mm with its quiet zone."""
    text = "HK1.DEMO.3F.4.QI5OOWRN7BQUQ"
    card = synthetic.render_card(text, np.random.default_rng(0))
    gray = cv2.cvtColor(card, cv2.COLOR_BGR2GRAY)
    qr = gray[:, 540:]  # right of the name: only the QR (and the band, Code128 below)
    rows = np.flatnonzero((qr[110:390] < 60).any(axis=1)) + 110
    cols = np.flatnonzero((qr[110:390] < 60).any(axis=0))
    modules = 25 + 2 * 4
    side_px = 10 * 29 * 25 / modules  # 10 px per mm
    assert abs((rows.max() - rows.min() + 1) - side_px) <= 2
    assert abs((cols.max() - cols.min() + 1) - side_px) <= 2


def test_the_cli_writes_pngs_and_their_texts(tmp_path: Path) -> None:
    assert synthetic.main([str(tmp_path / "out"), "--count", "2", "--size", "640x480"]) == 0
    pngs = sorted((tmp_path / "out").glob("*.png"))
    assert [p.name for p in pngs] == ["0000.png", "0001.png"]
    image = cv2.imread(str(pngs[0]))
    assert image is not None and image.shape == (480, 640, 3)
    texts = (tmp_path / "out" / "expected.txt").read_text().splitlines()
    assert texts == [text for _, text in synthetic.make_frames(2, (640, 480))]
