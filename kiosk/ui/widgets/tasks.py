"""Run database work off the GUI thread, one job at a time, in submission order.

A ``TaskRunner`` owns one worker ``QObject`` in its own ``QThread``. ``submit(job, done)``
queues a plain callable; the worker runs it and ``done(result, error)`` is then called back
on the GUI thread. Jobs open their own sessions (a ``sessionmaker`` is safe to share; a
session is not), and never touch widgets. Running jobs in order matters for the kiosk: two
scans are answered in the order they were made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from itertools import count
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

log = logging.getLogger(__name__)

Job = Callable[[], Any]
Done = Callable[[Any, BaseException | None], None]


class _Worker(QObject):
    finished = Signal(int, object, object)  # job id, result, error

    @Slot(int, object)
    def run(self, job_id: int, job: Job) -> None:
        try:
            result = job()
        except Exception as error:  # handed to the caller, who decides what to show
            self.finished.emit(job_id, None, error)
            return
        self.finished.emit(job_id, result, None)


class TaskRunner(QObject):
    _requested = Signal(int, object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = count(1)
        self._callbacks: dict[int, Done] = {}
        self._thread = QThread()
        self._thread.setObjectName(name)
        self._worker = _Worker()
        self._worker.moveToThread(self._thread)
        self._requested.connect(self._worker.run)
        self._worker.finished.connect(self._on_finished)
        self._thread.start()
        # Owned by a window that is deleted without being closed: still end the thread
        # first, as a running QThread being destroyed aborts the process.
        self.destroyed.connect(partial(_finish, self._thread))
        app = QCoreApplication.instance()
        if app is not None:
            # A QThread destroyed while running aborts the process; never leave one behind.
            app.aboutToQuit.connect(self.stop)

    @property
    def pending(self) -> int:
        """Jobs submitted whose ``done`` has not been called yet."""
        return len(self._callbacks)

    @property
    def running(self) -> bool:
        return self._thread.isRunning()

    def submit(self, job: Job, done: Done | None = None) -> int:
        job_id = next(self._ids)
        self._callbacks[job_id] = done or _log_failure
        self._requested.emit(job_id, job)
        return job_id

    def stop(self, timeout_ms: int = 5000) -> bool:
        """Finish the job in hand (up to ``timeout_ms``), drop the rest, end the thread."""
        if not self._thread.isRunning():
            return True
        self._callbacks.clear()
        self._thread.quit()
        ended = bool(self._thread.wait(timeout_ms))
        if not ended:
            log.warning("Background thread %s did not stop in time", self._thread.objectName())
        return ended

    @Slot(int, object, object)
    def _on_finished(self, job_id: int, result: object, error: object) -> None:
        callback = self._callbacks.pop(job_id, None)
        if callback is None:
            return
        callback(result, error if isinstance(error, BaseException) else None)


def _finish(thread: QThread, *_args: object) -> None:
    if shiboken6.isValid(thread) and thread.isRunning():
        thread.quit()
        thread.wait(5000)


def _log_failure(_result: object, error: BaseException | None) -> None:
    if error is not None:
        log.warning("Background job failed: %s", type(error).__name__)
