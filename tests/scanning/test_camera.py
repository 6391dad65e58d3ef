"""The camera worker in its thread, fed real image files through cv2 (no fake camera)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

import synthetic_cards
from kiosk.scanning import sources
from kiosk.scanning.camera import CameraService

Frames = list[tuple[np.ndarray, str]]


@pytest.fixture
def services() -> Iterator[list[CameraService]]:
    """Every service a test starts is stopped, even when the test fails."""
    started: list[CameraService] = []
    yield started
    for service in started:
        service.stop()


def test_a_folder_of_card_frames_is_scanned(
    qtbot: QtBot, tmp_path: Path, small_frames: Frames, services: list[CameraService]
) -> None:
    synthetic_cards.write_frames(tmp_path, small_frames)
    expected = {text for _, text in small_frames}
    scanned: list[str] = []
    service = CameraService(tmp_path, fps=30)
    services.append(service)
    service.code_scanned.connect(scanned.append)
    with qtbot.waitSignal(service.camera_found, timeout=5000):
        service.start()
    qtbot.waitUntil(lambda: expected <= set(scanned), timeout=10_000)


def test_the_scan_comes_with_its_capture_time(
    qtbot: QtBot, tmp_path: Path, small_frames: Frames, services: list[CameraService]
) -> None:
    frame, text = small_frames[0]
    cv2.imwrite(str(tmp_path / "card.png"), frame)
    before = time.perf_counter()
    service = CameraService(tmp_path / "card.png", fps=30)
    services.append(service)
    with qtbot.waitSignal(service.code_scanned_at, timeout=10_000) as scanned:
        service.start()
    arrived = time.perf_counter()
    assert scanned.args[0] == text
    assert before <= scanned.args[1] <= arrived


def test_a_card_held_in_view_is_one_scan(
    qtbot: QtBot, tmp_path: Path, small_frames: Frames, services: list[CameraService]
) -> None:
    frame, text = small_frames[0]
    cv2.imwrite(str(tmp_path / "card.png"), frame)
    scanned: list[str] = []
    previews: list[QImage] = []
    service = CameraService(tmp_path / "card.png", fps=30, debounce_seconds=60)
    services.append(service)
    service.code_scanned.connect(scanned.append)
    service.frame_ready.connect(previews.append)
    service.start()
    # Several frames of the same card go through the worker...
    qtbot.waitUntil(lambda: len(previews) >= 4, timeout=10_000)
    assert scanned == [text]


def test_previews_are_scaled_down_images(
    qtbot: QtBot, tmp_path: Path, services: list[CameraService]
) -> None:
    frames = synthetic_cards.make_frames(1, (1280, 720))
    synthetic_cards.write_frames(tmp_path, frames)
    service = CameraService(tmp_path, preview_width=320)
    services.append(service)
    with qtbot.waitSignal(service.frame_ready, timeout=10_000) as preview:
        service.start()
    image = preview.args[0]
    assert isinstance(image, QImage)
    assert (image.width(), image.height()) == (320, 180)
    assert not image.isNull()


def test_a_video_file_is_scanned(
    qtbot: QtBot, tmp_path: Path, small_frames: Frames, services: list[CameraService]
) -> None:
    path = tmp_path / "cards.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, (640, 480))
    assert writer.isOpened(), "OpenCV cannot write MJPG video here"
    for frame, _ in small_frames:
        for _ in range(3):
            writer.write(frame)
    writer.release()
    scanned: list[str] = []
    service = CameraService(path, fps=30)
    services.append(service)
    service.code_scanned.connect(scanned.append)
    service.start()
    expected = {text for _, text in small_frames}
    qtbot.waitUntil(lambda: expected <= set(scanned), timeout=10_000)


def test_a_missing_device_is_reported_once_and_the_worker_keeps_trying(
    qtbot: QtBot, services: list[CameraService]
) -> None:
    lost: list[str] = []
    service = CameraService("/dev/no-such-camera", retry_seconds=0.05)
    services.append(service)
    service.camera_lost.connect(lost.append)
    with qtbot.waitSignal(service.camera_lost, timeout=5000):
        service.start()
    qtbot.wait(300)  # several retries
    assert service.running
    assert lost == ["Cannot open camera /dev/no-such-camera"]


def test_stop_ends_the_thread_within_a_second(qtbot: QtBot, services: list[CameraService]) -> None:
    # The default 2 s retry sleep must not hold up stopping.
    service = CameraService("/dev/no-such-camera")
    services.append(service)
    with qtbot.waitSignal(service.camera_lost, timeout=5000):
        service.start()
    assert service.stop(timeout_ms=1000)
    assert not service.running


def test_stop_ends_a_busy_worker_within_a_second(
    qtbot: QtBot, tmp_path: Path, small_frames: Frames, services: list[CameraService]
) -> None:
    synthetic_cards.write_frames(tmp_path, small_frames)
    service = CameraService(tmp_path, fps=1000)
    services.append(service)
    with qtbot.waitSignal(service.frame_ready, timeout=10_000):
        service.start()
    assert service.stop(timeout_ms=1000)


def test_a_camera_that_comes_back_is_found_and_scanned(
    qtbot: QtBot, tmp_path: Path, small_frames: Frames, services: list[CameraService]
) -> None:
    folder = tmp_path / "plugged-in-later"
    events: list[str] = []
    service = CameraService(folder, retry_seconds=0.1, fps=30)
    services.append(service)
    service.camera_lost.connect(lambda message: events.append("lost"))
    service.camera_found.connect(lambda: events.append("found"))
    service.code_scanned.connect(events.append)
    with qtbot.waitSignal(service.camera_lost, timeout=5000):
        service.start()
    # Appears all at once, as a device node does: no half-written frame to trip over.
    synthetic_cards.write_frames(tmp_path / "staging", small_frames[:1])
    (tmp_path / "staging").rename(folder)
    qtbot.waitUntil(lambda: small_frames[0][1] in events, timeout=10_000)
    assert events == ["lost", "found", small_frames[0][1]]


def test_a_camera_unplugged_mid_stream_is_reported_lost_then_found_again(
    qtbot: QtBot, tmp_path: Path, small_frames: Frames, services: list[CameraService]
) -> None:
    synthetic_cards.write_frames(tmp_path, small_frames[:1])
    service = CameraService(tmp_path, retry_seconds=0.1, fps=30)
    services.append(service)
    with qtbot.waitSignal(service.camera_found, timeout=5000):
        service.start()
    with qtbot.waitSignal(service.camera_lost, timeout=5000):
        for png in tmp_path.glob("*.png"):
            png.unlink()
    with qtbot.waitSignal(service.camera_found, timeout=5000):
        synthetic_cards.write_frames(tmp_path, small_frames[:1])


def test_the_service_can_be_started_again_after_stopping(
    qtbot: QtBot, tmp_path: Path, small_frames: Frames, services: list[CameraService]
) -> None:
    synthetic_cards.write_frames(tmp_path, small_frames[:1])
    service = CameraService(tmp_path, fps=30)
    services.append(service)
    for _ in range(2):
        with qtbot.waitSignal(service.code_scanned, timeout=10_000):
            service.start()
        assert service.stop(timeout_ms=1000)


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        (0, sources.DeviceSource),
        ("2", sources.DeviceSource),
        ("/dev/video9", sources.DeviceSource),
        ("rtsp://camera.local/stream", sources.DeviceSource),
        ("folder", sources.ImageFilesSource),
        ("missing.png", sources.ImageFilesSource),
        ("clip.avi", sources.VideoFileSource),
    ],
)
def test_sources_are_told_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: object, kind: type
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    (tmp_path / "clip.avi").write_bytes(b"")
    assert isinstance(sources.open_source(source), kind)  # type: ignore[arg-type]


def test_unreadable_images_in_a_folder_are_skipped(tmp_path: Path, small_frames: Frames) -> None:
    (tmp_path / "0-broken.png").write_bytes(b"not a png")
    cv2.imwrite(str(tmp_path / "1-card.png"), small_frames[0][0])
    source = sources.ImageFilesSource(tmp_path)
    assert source.open()
    frames = [source.read() for _ in range(3)]
    assert all(frame is not None and frame.shape == (480, 640, 3) for frame in frames)


def test_a_folder_of_only_unreadable_images_is_lost(tmp_path: Path) -> None:
    (tmp_path / "broken.png").write_bytes(b"not a png")
    source = sources.ImageFilesSource(tmp_path)
    assert source.open()
    assert source.read() is None
