"""Camera capture and decoding off the GUI thread.

``CameraWorker`` is a ``QObject`` whose ``run()`` slot loops: grab a frame, decode it,
emit what is new, sometimes emit a small preview. It never touches widgets. The easy way
to use it is ``CameraService``, which owns the worker and its ``QThread``::

    self.camera = CameraService(0, parent=self)      # device 0, a video, image or folder
    self.camera.code_scanned.connect(self.on_code)  # also frame_ready, camera_lost...
    self.camera.start()                             # and self.camera.stop() on close

Sources: an ``int`` (or digit string) is a camera device index; a folder is its images
in name order, looped; an image file is that image, repeated; another existing file is
a video, looped; anything else (``/dev/video2``, a URL, a missing path) is opened as a
live device by ``cv2.VideoCapture`` (asking for 1280x720; pass a ``DeviceSource`` with
another ``resolution`` to change that); the kind is decided again at each attempt to open,
so a folder that appears later is found. Files are paced at ``fps``; a live device paces
itself. When a source cannot be opened or stops giving frames, ``camera_lost`` is
emitted once and opening is retried every ``retry_seconds`` until it works again, when
``camera_found`` is emitted (it is also emitted when the first open succeeds).

Latency: ``code_scanned_at(text, captured)`` comes with each ``code_scanned``, where
``captured`` is ``time.perf_counter()`` when the source handed over the frame holding the
code. A receiver computes ``time.perf_counter() - captured`` on arrival: capture to the
signal reaching the GUI thread, decoding and cross-thread delivery included.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage

from kiosk.qtfix import emit
from kiosk.scanning.debounce import ScanDebouncer
from kiosk.scanning.decoders import Decoder, camera_decoder

Source = int | str | Path
IMAGE_SUFFIXES = frozenset((".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"))
FILE_FPS = 15.0
PREVIEW_FPS = 15.0
PREVIEW_WIDTH = 640
RETRY_SECONDS = 2.0
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


class CameraWorker(QObject):
    """Grabs and decodes frames in whatever thread runs ``run()``. See the module docs.

    Configure it before ``run()``; while it runs, only ``stop()`` may be called (from
    any thread). The loop sleeps on an event that ``stop()`` sets, so it ends promptly:
    within one frame's work, or one blocking ``read()`` of a live device.
    """

    frame_ready = Signal(QImage)
    code_scanned = Signal(str)
    code_scanned_at = Signal(str, float)
    camera_lost = Signal(str)
    camera_found = Signal()
    finished = Signal()

    def __init__(
        self,
        source: Source | FrameSource,
        *,
        decoder: Decoder | None = None,
        fps: float = FILE_FPS,
        preview_fps: float = PREVIEW_FPS,
        preview_width: int = PREVIEW_WIDTH,
        debounce_seconds: float = 4.0,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        super().__init__()
        self._fps = fps
        self._spec: Source | None = None
        if isinstance(source, int | str | Path):
            self._spec, self.source = source, open_source(source, fps)
        else:
            self.source = source
        self.decoder = decoder or camera_decoder()
        self.preview_interval = 1.0 / preview_fps if preview_fps > 0 else float("inf")
        self.preview_width = preview_width
        self.retry_seconds = retry_seconds
        self._debouncer = ScanDebouncer(debounce_seconds)
        self._stopping = threading.Event()
        self._connected: bool | None = None
        self._last_preview = -float("inf")

    def stop(self) -> None:
        """Ask the loop to end. Thread-safe; returns at once."""
        self._stopping.set()

    @Slot()
    def run(self) -> None:
        """The capture loop; returns (and emits ``finished``) after ``stop()``."""
        try:
            while not self._stopping.is_set():
                if self._connected:
                    self._step()
                elif not self._connect():
                    self._stopping.wait(self.retry_seconds)
        finally:
            self.source.close()
            self._connected = None
            # Hand the object back to the main thread so it can be deleted there.
            app = QCoreApplication.instance()
            if app is not None:
                self.moveToThread(app.thread())
            emit(self.finished)

    def _connect(self) -> bool:
        if self._spec is not None:
            # Decided again at each attempt: a folder or file may appear while we wait.
            self.source = open_source(self._spec, self._fps)
        if self.source.open():
            self._connected = True
            emit(self.camera_found)
            return True
        self._set_lost(f"Cannot open {self.source.description}")
        return False

    def _set_lost(self, message: str) -> None:
        self.source.close()
        if self._connected is not False:
            emit(self.camera_lost, message)
        self._connected = False

    def _step(self) -> None:
        started = time.perf_counter()
        frame = self.source.read()
        captured = time.perf_counter()
        if frame is None:
            self._set_lost(f"Lost {self.source.description}")
            return
        self._process(frame, captured)
        if self.source.interval > 0:
            spent = time.perf_counter() - started
            self._stopping.wait(max(0.0, self.source.interval - spent))

    def _process(self, frame: np.ndarray, captured: float) -> None:
        """Decode one frame and emit what is new, then maybe a preview."""
        now = time.monotonic()
        for text in self.decoder.decode(frame):
            if self._debouncer.accept(text, now):
                emit(self.code_scanned_at, text, captured)
                emit(self.code_scanned, text)
        if now - self._last_preview >= self.preview_interval:
            self._last_preview = now
            image = preview_image(frame, self.preview_width)
            if image is not None:
                emit(self.frame_ready, image)


def preview_image(frame: np.ndarray, width: int) -> QImage | None:
    """A QImage copy of ``frame`` (BGR, BGRA or gray uint8) no wider than ``width``."""
    if frame.dtype != np.uint8 or frame.ndim not in (2, 3) or frame.size == 0:
        return None
    if frame.ndim == 2:
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    elif frame.shape[2] == 4:
        frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    elif frame.shape[2] != 3:
        return None
    if frame.shape[1] > width:
        height = max(1, round(frame.shape[0] * width / frame.shape[1]))
        frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
    frame = np.ascontiguousarray(frame)
    h, w = frame.shape[:2]
    image = QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_BGR888)
    # The QImage only borrows the numpy buffer; the copy owns its pixels.
    return image.copy()


class CameraService(QObject):
    """A ``CameraWorker`` in its own ``QThread``, with the worker's signals re-emitted
    here (in this object's thread, normally the GUI thread). ``start()`` and ``stop()``
    may be called repeatedly; each start makes a fresh worker from the same options."""

    frame_ready = Signal(QImage)
    code_scanned = Signal(str)
    code_scanned_at = Signal(str, float)
    camera_lost = Signal(str)
    camera_found = Signal()

    def __init__(
        self, source: Source | FrameSource, parent: QObject | None = None, **worker_options: Any
    ) -> None:
        super().__init__(parent)
        self.source = source
        self.worker_options = worker_options
        self.worker: CameraWorker | None = None
        self._thread: QThread | None = None
        app = QCoreApplication.instance()
        if app is not None:
            # A QThread destroyed while running aborts the process; never leave one behind.
            app.aboutToQuit.connect(self._stop_for_exit)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def start(self) -> None:
        if self.running:
            return
        worker = CameraWorker(self.source, **self.worker_options)
        thread = QThread()
        thread.setObjectName("camera")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.finished.connect(thread.quit)
        for name in (
            "frame_ready",
            "code_scanned",
            "code_scanned_at",
            "camera_lost",
            "camera_found",
        ):
            getattr(worker, name).connect(getattr(self, name))
        self.worker, self._thread = worker, thread
        thread.start()

    def stop(self, timeout_ms: int = 3000) -> bool:
        """Stop the worker and wait for its thread. True if it ended within the timeout.

        It normally ends within one frame. A live camera that hangs mid-frame can block
        its ``read()`` until OpenCV's own timeout (10 s for V4L2); then this returns
        False, and the thread ends by itself when the read gives up."""
        if self.worker is None or self._thread is None:
            return True
        self.worker.stop()
        self._thread.quit()
        ended = self._thread.wait(timeout_ms)
        if ended:
            self.worker = self._thread = None
        return bool(ended)

    def _stop_for_exit(self) -> None:
        # Outwait even a hung camera's read: quitting slowly beats aborting.
        self.stop(timeout_ms=15_000)
