"""Fixtures for the pupil-facing kiosk screen: a real KioskScreen on a real SQLite file
with a small demo school, driven through Qt events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from school_copies import engine_on_a_copy, school_on_a_copy  # noqa: F401
from sqlalchemy import update
from steady_clock import MORNING, SteadyClock, read_the_result_up

import synthetic_cards
from kiosk.config import Config
from kiosk.db import Database
from kiosk.demo import DEMO_STAFF, DemoSchool
from kiosk.scanning.decoders import default_decoder
from kiosk.tables import Pupil
from kiosk.ui.app import protect_singletons
from kiosk.ui.kiosk_screen.outcomes import State
from kiosk.ui.kiosk_screen.screen import KioskScreen
from kiosk.ui.widgets.pinpad import StaffLogin
from ui.look import kiosk_look
from ui.taps import tap_name

protect_singletons()  # PySide6 6.12.0 on Python 3.11: see kiosk.ui.app

PINS = {member.name: member.pin for member in DEMO_STAFF}
OFFICE = "Olivia Office"
SIZES = ((1024, 600), (1280, 800), (1920, 1080))


@pytest.fixture
def steady() -> SteadyClock:
    return SteadyClock()


@pytest.fixture(autouse=True)
def styled(qapp: QApplication) -> None:
    kiosk_look(qapp)


@pytest.fixture
def kiosk_config(data_dir: Path, database_url: str) -> Config:
    return Config(data_dir, database_url, "test-kiosk", camera="", fullscreen=False)


ScreenFactory = Callable[..., KioskScreen]


@pytest.fixture
def make_screen(
    qtbot: QtBot, sessions: Database, school: DemoSchool, kiosk_config: Config, steady: SteadyClock
) -> ScreenFactory:
    """A shown KioskScreen (1024x600 unless told) on the ``steady`` clock; every read of a
    card is a new presentation unless a test asks (``repeat_scan_seconds``), so a test can
    scan the same card twice at once. The screens are kept until qtbot has closed them:
    left to the garbage collector, one could be destroyed on a worker thread with its
    timers still running (Qt then crashes at the next timer event)."""
    made: list[KioskScreen] = []

    def make(
        *,
        clock: Callable[[], dt.datetime] = MORNING,
        size: tuple[int, int] = (1024, 600),
        config: Config | None = None,
        repeat_scan_seconds: float = 0.0,
    ) -> KioskScreen:
        screen = KioskScreen(
            sessions,
            config or kiosk_config,
            clock=clock,
            monotonic=steady,
            repeat_scan_seconds=repeat_scan_seconds,
        )
        qtbot.addWidget(screen)
        made.append(screen)
        screen.resize(*size)
        screen.show()
        qtbot.waitExposed(screen)
        return screen

    return make


@pytest.fixture
def screen(make_screen: ScreenFactory) -> KioskScreen:
    return make_screen()


@pytest.fixture
def heard(screen: KioskScreen) -> list[str]:
    """Every sound the screen asked for (played or, with no audio device, not)."""
    sounds: list[str] = []
    screen.sounds.requested.connect(sounds.append)
    return sounds


def scan(qtbot: QtBot, screen: KioskScreen, text: str, timeout: int = 5000) -> State:
    """Scan ``text`` once the result up has been read (``read_the_result_up``), and wait
    for the screen to show the answer (and the photo after it)."""
    read_the_result_up(screen)
    with qtbot.waitSignal(screen.state_changed, timeout=timeout):
        screen.handle_scan(text)
    qtbot.waitUntil(lambda: screen.lane.pending == 0, timeout=timeout)
    return screen.state


def click(qtbot: QtBot, widget: object) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def log_in(qtbot: QtBot, login: StaffLogin, name: str, pin: str | None = None) -> None:
    """Tap the name, then the PIN on the on-screen keypad, then OK; wait for the answer."""
    qtbot.waitUntil(lambda: login.loaded, timeout=5000)  # the names are read in the background
    tap_name(login, name)
    for digit in pin if pin is not None else PINS[name]:
        click(qtbot, login.pinpad.buttons[digit])
    click(qtbot, login.pinpad.buttons["OK"])
    qtbot.waitUntil(lambda: not login.checking, timeout=5000)


def pupil_id_with_card(school: DemoSchool, index: int) -> tuple[int, str]:
    pupil_id = school.pupil_ids[index]
    return pupil_id, school.card_texts[pupil_id]


# -- photos and camera frames ----------------------------------------------------------


def portrait_png(hue: int) -> bytes:
    """A plain head-and-shoulders silhouette, the shape of a school photo (3:4)."""
    image = QImage(300, 400, QImage.Format.Format_RGB32)
    image.fill(QColor.fromHsv(hue, 40, 230))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor.fromHsv(hue, 90, 120))
    painter.drawEllipse(QPointF(150, 150), 70, 85)
    body = QPainterPath()
    body.addRoundedRect(QRectF(40, 260, 220, 200), 90, 90)
    painter.drawPath(body)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def give_photo(sessions: Database, pupil_id: int, hue: int = 200) -> None:
    with sessions.begin() as session:
        session.execute(update(Pupil).where(Pupil.id == pupil_id).values(photo=portrait_png(hue)))


def card_frame(text: str, size: tuple[int, int] = (640, 480), seed: int = 1) -> np.ndarray:
    """A webcam frame of a pupil card holding ``text`` on a desk, built from the
    synthetic-frame pieces; the first seed whose frame the real decoder reads."""
    decoder = default_decoder()
    for attempt in range(seed, seed + 50):
        rng = np.random.default_rng([attempt, 4242])
        card = synthetic_cards.render_card(text, rng)
        quad, *_ = synthetic_cards.card_quad(size, rng)
        frame = synthetic_cards.place_card(synthetic_cards.render_desk(size, rng), card, quad)
        frame, _ = synthetic_cards.apply_camera(frame, rng, scale=size[0] / 640, card=quad)
        if text in decoder.decode(frame):
            return frame
    raise AssertionError("no decodable frame in 50 seeds")


@pytest.fixture
def frame_folder(tmp_path: Path) -> Iterator[Callable[[list[str]], Path]]:
    """Write card frames for the camera's folder source."""

    def write(texts: list[str]) -> Path:
        folder = tmp_path / "camera"
        folder.mkdir(exist_ok=True)
        for index, text in enumerate(texts):
            cv2.imwrite(str(folder / f"{index:04d}.png"), card_frame(text, seed=index + 1))
        return folder

    yield write


# One demo school per session, copied for each test: engine and school from school_copies.
