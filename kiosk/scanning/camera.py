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
itself. When a source cannot be opened, stops giving frames or raises, ``camera_lost`` is
emitted once and opening is retried every ``retry_seconds`` until it works again, when
``camera_found`` is emitted (it is also emitted when the first open succeeds). A source
whose ``read()`` or ``open()`` blocks is caught by ``CameraService``'s watchdog
(``kiosk.scanning.watchdog``): no frame for ``STALL_SECONDS`` counts as lost, and a fresh
worker takes over while the stuck one is left to end by itself.

Latency: ``code_scanned_at(text, captured)`` comes with each ``code_scanned``, where
``captured`` is ``time.perf_counter()`` when the source handed over the frame holding the
code. A receiver computes ``time.perf_counter() - captured`` on arrival: capture to the
signal reaching the GUI thread, decoding and cross-thread delivery included.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage

from kiosk.qtfix import emit
from kiosk.scanning.debounce import ScanDebouncer
from kiosk.scanning.decoders import Decoder, camera_decoder
from kiosk.scanning.sources import FILE_FPS, FrameSource, Source, open_source
from kiosk.scanning.watchdog import STALL_SECONDS, CaptureWatchdog

log = logging.getLogger(__name__)

PREVIEW_FPS = 15.0
PREVIEW_WIDTH = 640
RETRY_SECONDS = 2.0


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
        self._found = False  # a frame has arrived since the source was (re)opened
        self._lost_reported = False
        self.stall_seconds = STALL_SECONDS
        # When the loop must next show progress (a frame, or the end of an attempt to
        # open); read from the watchdog's thread, so a plain float.
        self.due = time.monotonic() + self.stall_seconds

    @property
    def lost(self) -> bool:
        return self._lost_reported

    def stalled(self, now: float) -> bool:
        return not self._stopping.is_set() and now > self.due

    def stop(self) -> None:
        """Ask the loop to end. Thread-safe; returns at once."""
        self._stopping.set()

    @Slot()
    def run(self) -> None:
        """The capture loop; returns (and emits ``finished``) after ``stop()``."""
        try:
            while not self._stopping.is_set():
                if self._connected:
                    if not self._guarded(self._step):  # lost: wait before opening again
                        self.due = time.monotonic() + self.retry_seconds + self.stall_seconds
                        self._stopping.wait(self.retry_seconds)
                elif not self._guarded(self._connect):
                    self.due = time.monotonic() + self.retry_seconds + self.stall_seconds
                    self._stopping.wait(self.retry_seconds)
        finally:
            self.source.close()
            self._connected = None
            # Hand the object back to the main thread so it can be deleted there.
            app = QCoreApplication.instance()
            if app is not None:
                self.moveToThread(app.thread())
            emit(self.finished)

    def _guarded(self, step: Any) -> bool:
        """Run one step; a source that raises counts as lost (and is opened again)."""
        try:
            return bool(step())
        except Exception as error:
            if self._connected:  # once per loss, not at every attempt to reopen
                log.warning("Camera failed: %s", type(error).__name__)
            self._set_lost(f"{self.source.description} failed ({type(error).__name__})")
            return False

    def _connect(self) -> bool:
        self.due = time.monotonic() + self.stall_seconds
        if self._spec is not None:
            # Decided again at each attempt: a folder or file may appear while we wait.
            self.source = open_source(self._spec, self._fps)
        if self.source.open():
            # Found once a frame arrives (see _step): a camera that opens but gives no
            # pictures is still lost.
            self._connected = True
            self.due = time.monotonic() + self.stall_seconds
            return True
        self._set_lost(f"Cannot open {self.source.description}")
        return False

    def _set_lost(self, message: str) -> None:
        try:
            self.source.close()
        except Exception as error:  # a source that fails to close is still lost
            log.warning("Closing the camera failed: %s", type(error).__name__)
        if not self._lost_reported:  # once per loss
            self._lost_reported = True
            emit(self.camera_lost, message)
        self._connected, self._found = False, False

    def _step(self) -> bool:
        started = time.perf_counter()
        frame = self.source.read()
        captured = time.perf_counter()
        if frame is None:
            self._set_lost(f"Lost {self.source.description}")
            return False
        self.due = time.monotonic() + self.stall_seconds
        if not self._found:
            self._found, self._lost_reported = True, False
            emit(self.camera_found)
        self._process(frame, captured)
        if self.source.interval > 0:
            spent = time.perf_counter() - started
            self._stopping.wait(max(0.0, self.source.interval - spent))
        return True

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
        self._stuck: list[QThread] = []  # threads of replaced workers, still in a read
        self._wanted = False
        self.watchdog = CaptureWatchdog(self, self._replace_stuck)
        app = QCoreApplication.instance()
        if app is not None:
            # A QThread destroyed while running aborts the process; never leave one behind.
            app.aboutToQuit.connect(self._stop_for_exit)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def start(self) -> None:
        if self.running or self._waiting_for_stuck():
            return
        worker = CameraWorker(self.source, **self.worker_options)
        thread = QThread()
        thread.setObjectName("camera")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.finished.connect(thread.quit)
        for name in _RELAYED:
            getattr(worker, name).connect(getattr(self, name))
        self.worker, self._thread = worker, thread
        self._wanted = True
        self.watchdog.watch(worker)
        thread.start()

    def stop(self, timeout_ms: int = 3000) -> bool:
        """Stop the worker and wait for its thread. True if it ended within the timeout.

        It normally ends within one frame. A live camera that hangs mid-frame can block
        its ``read()`` until OpenCV's own timeout (10 s for V4L2); then this returns
        False, and the thread ends by itself when the read gives up."""
        self._wanted = False
        self.watchdog.watch(None)
        if self.worker is None or self._thread is None:
            return True
        self.worker.stop()
        self._thread.quit()
        ended = self._thread.wait(timeout_ms)
        if ended:
            self.worker = self._thread = None
        return bool(ended)

    # -- a worker stuck in a blocking read

    def _replace_stuck(self) -> None:
        """The worker gave no frame for ``STALL_SECONDS``: say the camera is lost, leave
        the stuck thread to end when its read returns, and start afresh (opening is then
        retried as usual until the camera answers again)."""
        worker, thread = self.worker, self._thread
        if worker is None or thread is None:
            return
        worker.stop()
        thread.quit()  # its event loop ends as soon as the stuck read returns
        for name in _RELAYED:
            getattr(worker, name).disconnect(getattr(self, name))
        was_lost = worker.lost
        self._stuck.append(thread)
        thread.finished.connect(lambda: self._forget(thread))
        self.worker = self._thread = None
        self.watchdog.watch(None)
        if not was_lost:
            self.camera_lost.emit(f"No picture from the camera for {STALL_SECONDS:.0f} s")
        self.start()

    def _waiting_for_stuck(self) -> bool:
        # Stuck threads hold the device; a few at most are left waiting at once.
        return len(self._stuck) >= MAX_STUCK_THREADS

    def _forget(self, thread: QThread) -> None:
        if thread in self._stuck:
            self._stuck.remove(thread)
        if self._wanted and self.worker is None:
            self.start()

    def _stop_for_exit(self) -> None:
        # Outwait even a hung camera's read: quitting slowly beats aborting.
        self.stop(timeout_ms=15_000)
        for thread in list(self._stuck):
            thread.wait(15_000)


_RELAYED = ("frame_ready", "code_scanned", "code_scanned_at", "camera_lost", "camera_found")
MAX_STUCK_THREADS = 2
