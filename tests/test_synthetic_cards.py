from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import numpy as np

import synthetic_cards
from kiosk import card_codec
from kiosk.printing import cards, draw


def test_frames_are_the_same_for_the_same_seed() -> None:
    first = synthetic_cards.make_frames(2, (640, 480), seed=11)
    again = synthetic_cards.make_frames(2, (640, 480), seed=11)
    for (a, text_a), (b, text_b) in zip(first, again, strict=True):
        assert text_a == text_b
        assert np.array_equal(a, b)


def test_another_seed_gives_other_frames() -> None:
    (a, text_a), (b, text_b) = (synthetic_cards.make_frames(1, seed=s)[0] for s in (1, 2))
    assert text_a != text_b
    assert not np.array_equal(a, b)


def test_frames_have_the_asked_size_and_hold_signed_cards() -> None:
    for size in ((640, 480), (1280, 720)):
        for frame, text in synthetic_cards.make_frames(2, size):
            assert frame.shape == (size[1], size[0], 3)
            assert frame.dtype == np.uint8
            result = card_codec.read(text, synthetic_cards.SECRET, text.split(".")[1])
            assert isinstance(result, card_codec.CardPayload)


def test_cards_stay_within_the_kiosk_envelope_and_the_frame() -> None:
    """12-30 cm from a 65-70 degree webcam: the card fills 20-56 % of the frame width."""
    for size in ((640, 480), (1280, 720)):
        for index in range(100):
            rng = np.random.default_rng([synthetic_cards.DEFAULT_SEED, index])
            quad, fraction, tilt, _, distance = synthetic_cards.card_quad(size, rng)
            assert 12 <= distance <= 30 * 1.2  # moved back only when it would not fit
            assert 0.2 <= fraction <= 0.57
            assert 0 <= tilt <= 30
            assert quad.min() >= 0
            assert quad[:, 0].max() <= size[0] and quad[:, 1].max() <= size[1]


def test_the_synthetic_card_has_the_printed_cards_qr() -> None:
    """Same symbol, size and place as kiosk.printing.cards prints, with a blank quiet
    zone around it (nothing of the band, name or card text drawn into it)."""
    text = "HK1.DEMO.3F.4.QI5OOWRN7BQUQ"
    card = synthetic_cards.render_card(text, np.random.default_rng(0))
    gray = cv2.cvtColor(card, cv2.COLOR_BGR2GRAY)
    px = 10 / (72 / 25.4)  # card pixels (10 a mm) per layout point
    x, y = cards.QR_AT
    left, size = round(x * px), round(cards.QR_SIZE * px)
    top = round((cards.CARD_H - y) * px) - size
    box = gray[top : top + size, left : left + size]
    assert box.shape == (size, size)
    rows, cols = np.flatnonzero((box < 60).any(axis=1)), np.flatnonzero((box < 60).any(axis=0))
    modules = 25 + 2 * draw.QR_QUIET_MODULES
    quiet = size * draw.QR_QUIET_MODULES / modules
    assert abs(rows.min() - quiet) <= 2 and abs(cols.min() - quiet) <= 2
    assert abs((rows.max() + 1) - (size - quiet)) <= 2
    assert abs((cols.max() + 1) - (size - quiet)) <= 2
    assert gray[top : top + size, left : left + round(quiet) - 1].min() > 200  # left quiet zone


def test_the_cli_writes_pngs_and_their_texts(tmp_path: Path) -> None:
    assert synthetic_cards.main([str(tmp_path / "out"), "--count", "2", "--size", "640x480"]) == 0
    pngs = sorted((tmp_path / "out").glob("*.png"))
    assert [p.name for p in pngs] == ["0000.png", "0001.png"]
    image = cv2.imread(str(pngs[0]))
    assert image is not None and image.shape == (480, 640, 3)
    texts = (tmp_path / "out" / "expected.txt").read_text().splitlines()
    assert texts == [text for _, text in synthetic_cards.make_frames(2, (640, 480))]


def test_guided_cards_fill_30_to_55_percent_of_the_width() -> None:
    for size in ((640, 480), (1280, 720)):
        fractions = []
        for index in range(100):
            rng = np.random.default_rng([synthetic_cards.DEFAULT_SEED, index])
            quad, fraction, _, _, distance = synthetic_cards.card_quad(size, rng, guided=True)
            assert quad.min() >= 0
            assert quad[:, 0].max() <= size[0] and quad[:, 1].max() <= size[1]
            # Only a card that would not fit whole is moved back (made smaller).
            assert 0.30 * 0.8 <= fraction <= 0.55
            assert 8 <= distance <= 30
            fractions.append(fraction)
        assert np.mean([0.30 <= f <= 0.55 for f in fractions]) >= 0.95
        assert min(fractions) < 0.33 and max(fractions) > 0.5  # the whole range is drawn


def test_the_guided_set_draws_everything_else_as_the_kiosk_set() -> None:
    """Same seed, same index: same card, tilt, roll and camera; only the size differs."""
    (_, kiosk), (_, guided) = (
        synthetic_cards.make_scene((640, 480), np.random.default_rng([5, 0]), guided)
        for guided in (False, True)
    )
    assert (kiosk.text, kiosk.tilt_deg, kiosk.roll_deg) == (
        guided.text,
        guided.tilt_deg,
        guided.roll_deg,
    )
    assert kiosk.camera.blur_sigma == guided.camera.blur_sigma


def test_a_burst_is_one_card_moving_a_little_with_fresh_noise() -> None:
    frames_iter, scene = synthetic_cards.make_burst(3, (640, 480), frames=4)
    frames = list(frames_iter)
    assert len(frames) == 4
    again, same_scene = synthetic_cards.make_burst(3, (640, 480), frames=4)
    assert same_scene == scene
    assert all(np.array_equal(a, b) for a, b in zip(frames, again, strict=True))
    for before, after in itertools.pairwise(frames):
        difference = np.abs(before.astype(int) - after.astype(int))
        assert difference.mean() > 0.5  # fresh noise, a moved card
        assert np.median(difference) < 25  # the same desk and card, nearly in place


def test_hand_motion_stays_small_and_in_the_frame() -> None:
    rng = np.random.default_rng(1)
    size = (640, 480)
    pose = synthetic_cards.draw_pose(size, rng, guided=True)
    for _ in range(50):
        step = synthetic_cards.moved(pose, size, rng)
        assert abs(step.distance_mm - pose.distance_mm) < 6 * synthetic_cards.HAND_STEP_MM
        assert abs(step.roll - pose.roll) < 6 * synthetic_cards.HAND_STEP_DEG
        quad = step.quad()
        assert quad.min() >= -0.01
        assert quad[:, 0].max() <= size[0] + 0.01 and quad[:, 1].max() <= size[1] + 0.01
        pose = step
