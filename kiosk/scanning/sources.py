"""Where camera frames come from: a live device, a video file, or still images.

Each source has ``open()``, ``read()`` (a frame, or None when it has none to give) and
``close()``; ``open_source`` picks the kind for a setting ("0", a path, a URL). Used by
``kiosk.scanning.camera``'s capture loop, on its thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

Source = int | str | Path
IMAGE_SUFFIXES = frozenset((".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"))
FILE_FPS = 15.0
# A live device may drop the odd frame; this many failed reads in a row means it is gone.
FAILED_READS_LIMIT = 5


class FrameSource(Protocol):
    description: str
    # Seconds to leave between frames; 0 when ``read()`` itself waits for the next frame.
    interval: float

    def open(self) -> bool: ...

    def read(self) -> np.ndarray | None: ...

    def close(self) -> None: ...


class DeviceSource:
    """A live camera (index, device path or stream URL) through ``cv2.VideoCapture``."""

    interval = 0.0

    def __init__(self, device: int | str, resolution: tuple[int, int] | None = (1280, 720)) -> None:
        self.device = device
        self.resolution = resolution
        self.description = f"camera {device}"
        self._capture: cv2.VideoCapture | None = None
        self._failed_reads = 0

    def open(self) -> bool:
        capture = cv2.VideoCapture(self.device)
        if not capture.isOpened():
            capture.release()
            return False
        # Only the newest frame matters: a queue of old frames is pure latency.
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        if self.resolution is not None:
            # USB 2 webcams give 720p at 30 fps only as MJPG; harmless where unsupported.
            capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.resolution[0])
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.resolution[1])
        self._capture = capture
        self._failed_reads = 0
        return True

    def read(self) -> np.ndarray | None:
        while self._capture is not None and self._failed_reads < FAILED_READS_LIMIT:
            ok, frame = self._capture.read()
            if ok and frame is not None:
                self._failed_reads = 0
                return frame
            self._failed_reads += 1
        return None

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class VideoFileSource:
    """A video file, looped, paced at ``fps``."""

    def __init__(self, path: Path, fps: float = FILE_FPS) -> None:
        self.path = path
        self.interval = 1.0 / fps
        self.description = f"video {path}"
        self._capture: cv2.VideoCapture | None = None

    def open(self) -> bool:
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            capture.release()
            return False
        self._capture = capture
        return True

    def read(self) -> np.ndarray | None:
        if self._capture is None:
            return None
        ok, frame = self._capture.read()
        if not ok:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._capture.read()
        return frame if ok else None

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class ImageFilesSource:
    """Still images read with ``cv2.imread``: a folder's images in name order, or one
    image file, looped and paced at ``fps``. The folder is listed again on each
    ``open()``, so frames added while the camera is "lost" are picked up."""

    def __init__(self, path: Path, fps: float = FILE_FPS) -> None:
        self.path = path
        self.interval = 1.0 / fps
        self.description = f"images {path}"
        self._files: list[Path] = []
        self._cycle: Iterator[Path] = iter(())

    def open(self) -> bool:
        self._files = self._list()
        self._cycle = iter(())
        return bool(self._files)

    def read(self) -> np.ndarray | None:
        # A file that cannot be read is skipped; a whole round of them means "lost".
        for _ in range(len(self._files)):
            path = next(self._cycle, None)
            if path is None:
                self._cycle = iter(self._files)
                path = next(self._cycle)
            frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if frame is not None:
                return frame
        return None

    def close(self) -> None:
        self._files = []

    def _list(self) -> list[Path]:
        if self.path.is_dir():
            files = (p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            return sorted(files)
        return [self.path] if self.path.is_file() else []


def open_source(source: Source, fps: float = FILE_FPS) -> FrameSource:
    """The ``FrameSource`` for ``source`` (see the module docs). Never touches hardware:
    nothing is opened until ``open()``."""
    if isinstance(source, int):
        return DeviceSource(source)
    if isinstance(source, str) and source.isdigit():
        return DeviceSource(int(source))
    path = Path(source)
    if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageFilesSource(path, fps)
    if path.is_file():
        return VideoFileSource(path, fps)
    return DeviceSource(str(source))
