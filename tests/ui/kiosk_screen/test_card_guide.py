"""The card guide on the kiosk's idle camera preview: a card-shaped box a card fills at
``GUIDE_WIDTH`` of the camera picture's width, with its words, inside the picture at
every supported screen size; and a screenshot of the idle screen with a synthetic card
frame (the card held in the box) in the preview, to look at."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

import synthetic_cards
from kiosk.config import Config
from kiosk.scanning.camera import preview_image
from kiosk.ui.widgets.card_guide import CARD_ASPECT, GUIDE_WIDTH, CardGuidePreview
from ui.look import save_png

from .conftest import SIZES, ScreenFactory


def guided_frame(size: tuple[int, int] = (1280, 720)) -> np.ndarray:
    """A synthetic webcam frame (the guided set's) of a card held near the box: of the
    first dozen, the one nearest the middle at about the box's size."""

    def miss(index: int) -> float:
        rng = np.random.default_rng([synthetic_cards.DEFAULT_SEED, index])
        synthetic_cards.render_card(synthetic_cards.card_text(rng), rng)
        quad, fraction, *_ = synthetic_cards.card_quad(size, rng, guided=True)
        off_centre = np.abs(quad.mean(axis=0) / np.array(size) - 0.5).max()
        return float(off_centre + abs(fraction - GUIDE_WIDTH))

    best = min(range(12), key=miss)
    return synthetic_cards.make_scene(
        size, np.random.default_rng([synthetic_cards.DEFAULT_SEED, best]), True
    )[0]


def contains(outer: QRectF, inner: QRectF) -> bool:
    return outer.adjusted(-0.5, -0.5, 0.5, 0.5).contains(inner)


def check_guide(preview: CardGuidePreview) -> None:
    image = preview.image_rect()
    box = preview.guide_rect()
    assert not image.isEmpty()
    assert box.width() == pytest.approx(GUIDE_WIDTH * image.width(), rel=0.01)
    assert box.width() / box.height() == pytest.approx(CARD_ASPECT, rel=0.01)
    assert box.center().x() == pytest.approx(image.center().x(), abs=1)
    assert contains(image, box)
    label = preview.label_rect()
    assert contains(image, label)
    assert label.bottom() <= box.top()
    assert label.height() >= 0.1 * image.height()


@pytest.mark.parametrize("frame_size", [(640, 480), (1280, 720)], ids=["4:3", "16:9"])
@pytest.mark.parametrize("widget_size", [(320, 240), (560, 420), (1000, 400), (400, 700)])
def test_the_box_is_card_shaped_and_sized_to_the_picture(
    qtbot: QtBot, frame_size: tuple[int, int], widget_size: tuple[int, int]
) -> None:
    preview = CardGuidePreview()
    qtbot.addWidget(preview)
    preview.resize(*widget_size)
    preview.set_image(QImage(*frame_size, QImage.Format.Format_RGB32))
    check_guide(preview)


def test_no_picture_no_box(qtbot: QtBot) -> None:
    preview = CardGuidePreview(placeholder="Starting the camera…")
    qtbot.addWidget(preview)
    preview.resize(400, 300)
    assert preview.guide_rect().isEmpty()
    assert not preview.grab().isNull()


def test_the_box_is_drawn_in_high_contrast_over_the_mirrored_picture(qtbot: QtBot) -> None:
    preview = CardGuidePreview()
    qtbot.addWidget(preview)
    preview.resize(640, 360)
    frame = np.zeros((720, 1280, 3), np.uint8)
    frame[:, :640] = (0, 0, 255)  # left half red in the camera's own picture
    preview.set_image(preview_image(frame, 1280))
    picture = preview.grab().toImage()
    box = preview.guide_rect()
    edge = picture.pixelColor(round(box.left() + 1), round(box.center().y()))
    assert edge.lightness() > 200  # the white line
    outside = picture.pixelColor(20, round(box.center().y()))
    inside = picture.pixelColor(round(box.right() - 40), round(box.center().y()))
    # Mirrored: the camera's left (red) is on the screen's right, shaded outside the box.
    assert inside.red() > 200 and inside.blue() < 60
    assert outside.red() < 60


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_idle_screen_shows_the_guide_at_every_size(
    qtbot: QtBot,
    make_screen: ScreenFactory,
    kiosk_config: Config,
    tmp_path: Path,
    artifacts: Path,
    size: tuple[int, int],
) -> None:
    desk = tmp_path / "desk"
    desk.mkdir()
    cv2.imwrite(str(desk / "0.png"), synthetic_cards.make_empty_frames(1, (640, 480))[0])
    config = Config(kiosk_config.data_dir, kiosk_config.database_url, "k", str(desk), False)
    screen = make_screen(size=size, config=config)
    preview = screen.idle_page.preview
    assert isinstance(preview, CardGuidePreview)
    qtbot.waitUntil(lambda: preview.image() is not None, timeout=10_000)
    screen.stop_camera()
    preview.set_image(preview_image(guided_frame(), 640))
    check_guide(preview)
    # The guide stays inside the preview: the words beside it are not covered.
    page = screen.idle_page
    for words in (page.headline, page.hint):
        assert not preview.geometry().intersects(words.geometry())
    folder = artifacts / "kiosk"
    folder.mkdir(parents=True, exist_ok=True)
    assert save_png(screen.grab().toImage(), folder / f"00_idle_card_guide_{size[0]}x{size[1]}.png")
