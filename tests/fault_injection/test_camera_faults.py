"""A camera that raises, blocks and vanishes, fed through the real capture loop and
``CameraService``: each is reported as lost within about STALL_SECONDS, the kiosk's hint
turns to the USB scanner, and the camera is found again without a restart."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot
from steady_clock import MORNING

from kiosk.config import Config
from kiosk.scanning.camera import CameraService
from kiosk.scanning.watchdog import STALL_SECONDS
from kiosk.services.health import DEVICES
from kiosk.ui.kiosk_screen.screen import KioskScreen

FRAME = np.full((120, 160, 3), 200, dtype=np.uint8)


class FaultySource:
    """Frames until told to fail: ``"raise"`` (read raises), ``"block"`` (read hangs
    until released), ``"vanish"`` (reads fail and it cannot be opened). ``heal()`` makes
    it good again."""

    description = "test camera"
    interval = 0.02

    def __init__(self) -> None:
        self.fault: str | None = None
        self.release = threading.Event()
        self.opens = 0

    def open(self) -> bool:
        self.opens += 1
        return self.fault != "vanish"

    def read(self) -> np.ndarray | None:
        if self.fault == "raise":
            raise OSError("select() timeout")
        if self.fault == "block":
            self.release.wait(30)
            return None
        if self.fault == "vanish":
            return None
        return FRAME

    def close(self) -> None:
        return None

    def heal(self) -> None:
        self.fault = None
        self.release.set()


@pytest.mark.parametrize("fault", ["raise", "block", "vanish"])
def test_a_failing_camera_is_reported_lost_and_found_again(qtbot: QtBot, fault: str):
    source = FaultySource()
    service = CameraService(source, retry_seconds=0.3, preview_fps=5)
    events: list[tuple[str, float]] = []
    service.camera_lost.connect(lambda _why: events.append(("lost", time.monotonic())))
    service.camera_found.connect(lambda: events.append(("found", time.monotonic())))
    service.start()
    try:
        qtbot.waitUntil(lambda: "found" in [e for e, _ in events], timeout=5000)
        broke = time.monotonic()
        source.fault = fault
        qtbot.waitUntil(lambda: events[-1][0] == "lost", timeout=int(STALL_SECONDS * 1000) + 3000)
        lost_after = events[-1][1] - broke
        assert lost_after <= STALL_SECONDS + 1.0
        healed = time.monotonic()
        source.heal()
        qtbot.waitUntil(lambda: events[-1][0] == "found", timeout=5000)
        assert events[-1][1] - healed <= 3.0
        assert service.running  # the same service, never restarted by hand
    finally:
        source.heal()
        assert service.stop(timeout_ms=5000)
        for thread in list(service._stuck):
            assert thread.wait(5000)


def test_the_kiosk_hint_turns_to_the_scanner_while_the_camera_is_lost(
    qtbot: QtBot, data_dir: Path, sqlite_school
):
    database, _school = sqlite_school
    config = Config(data_dir, str(database.engine.url), "cam", "0", False)
    screen = KioskScreen(database, config, clock=MORNING)
    qtbot.addWidget(screen)
    source = FaultySource()
    screen.camera = CameraService(source, parent=screen, retry_seconds=0.3)
    screen.camera.camera_lost.connect(screen._on_camera_lost)
    screen.camera.camera_lost.connect(lambda _why: DEVICES.camera_is("lost"))
    screen.camera.camera_found.connect(lambda: screen.idle_page.set_camera_problem(""))
    screen.show()
    qtbot.waitExposed(screen)
    assert screen.idle_page.hint.text() == "Hold your pupil card to the camera"
    source.fault = "raise"
    qtbot.waitUntil(lambda: "scanner" in screen.idle_page.hint.text(), timeout=4000)
    assert screen.idle_page.hint.text() == "Scan your card with the scanner"
    assert DEVICES.camera == "lost"
    source.heal()
    qtbot.waitUntil(
        lambda: screen.idle_page.hint.text() == "Hold your pupil card to the camera", timeout=4000
    )
    screen.close()
