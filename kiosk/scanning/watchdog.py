"""Noticing a camera that has stopped giving pictures.

A camera's ``read()`` (or ``open()``) can block: a webcam pulled half out, a driver that
hangs, a stream that went quiet. The capture thread cannot notice that itself, so the
``CaptureWatchdog`` looks at it from the GUI thread: when the worker has shown no progress
(a frame, or the end of an attempt to open) for ``STALL_SECONDS``, ``stalled`` fires and
``CameraService`` reports the camera lost and starts a fresh worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, QTimer

STALL_SECONDS = 2.0  # no frame for this long: the camera counts as lost
CHECK_MS = 250


class Watched(Protocol):
    def stalled(self, now: float) -> bool: ...


class CaptureWatchdog(QObject):
    """Calls ``on_stall`` when the watched worker stops making progress."""

    def __init__(self, parent: QObject, on_stall: Callable[[], None]) -> None:
        super().__init__(parent)
        self.watched: Watched | None = None
        self._on_stall = on_stall
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_MS)
        self._timer.timeout.connect(self._check)

    def watch(self, worker: Watched | None) -> None:
        self.watched = worker
        if worker is None:
            self._timer.stop()
        else:
            self._timer.start()

    def _check(self) -> None:
        if self.watched is not None and self.watched.stalled(time.monotonic()):
            self._on_stall()
