"""Long report jobs (exports, backups, restores) off the GUI thread.

``JobRunner`` owns one ``JobWorker`` on its own ``QThread`` for one job. The job is a plain
callable ``job(progress, cancelled)`` that opens its own sessions; the worker reports by
signals only (``progress``, ``finished``, ``failed``, ``cancelled``) and never touches a
widget. ``cancel()`` asks the job to stop at its next progress report.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot
from sqlalchemy.exc import SQLAlchemyError

from kiosk.errors import KioskError
from kiosk.exports import ExportCancelled
from kiosk.qtfix import emit  # PySide6 6.12 on Python 3.11: see there

log = logging.getLogger("kiosk.ui.reports")

ProgressFn = Callable[[int, int], None]
CancelledFn = Callable[[], bool]
Job = Callable[[ProgressFn, CancelledFn], Any]
RECORDS_DOWN = "Cannot reach the records just now. Nothing was written. Please try again."
UNEXPECTED = "That did not work, and nothing was written. The problem has been logged."


class JobWorker(QObject):
    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    done = Signal()  # after any of the three above

    def __init__(self, job: Job, what: str) -> None:
        super().__init__()
        self._job, self._what = job, what
        self._cancel = threading.Event()
        self._percent = -1

    def cancel(self) -> None:
        self._cancel.set()

    def _progress(self, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if percent != self._percent:  # at most about a hundred signals a job
            self._percent = percent
            emit(self.progress, done, total)

    @Slot()
    def run(self) -> None:
        try:
            result = self._job(self._progress, self._cancel.is_set)
        except ExportCancelled:
            emit(self.cancelled)
        except KioskError as error:
            emit(self.failed, error.message)
        except SQLAlchemyError as error:
            log.error("%s failed: %s", self._what, type(error).__name__)
            emit(self.failed, RECORDS_DOWN)
        except Exception as error:  # shown as words; the kind and place go to the log
            stack = "".join(traceback.format_tb(error.__traceback__))
            log.error("%s failed: %s\n%s", self._what, type(error).__name__, stack)
            emit(self.failed, UNEXPECTED)
        else:
            emit(self.finished, result)
        finally:
            emit(self.done)


class _Current:
    """The job in hand, kept outside the Qt object so it can still be stopped while the
    runner itself is being destroyed."""

    def __init__(self) -> None:
        self.thread: QThread | None = None
        self.worker: JobWorker | None = None

    def stop(self, timeout_ms: int = 10000) -> None:
        if self.worker is not None:
            self.worker.cancel()
        if self.thread is not None and self.thread.isRunning():
            self.thread.quit()
            if not self.thread.wait(timeout_ms):
                log.warning("A report job did not stop in time")


class JobRunner(QObject):
    """Runs one job at a time on its own thread; the thread ends with the job."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._current = _Current()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._current.stop)
        self.destroyed.connect(partial(_stop, self._current))

    @property
    def busy(self) -> bool:
        thread = self._current.thread
        return thread is not None and thread.isRunning()

    def start(self, job: Job, what: str) -> JobWorker:
        if self.busy:
            raise RuntimeError("a job is already running")
        thread, worker = QThread(), JobWorker(job, what)
        thread.setObjectName(f"reports: {what}")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.done.connect(thread.quit)
        thread.finished.connect(partial(self._ended, thread, worker))
        self._current.thread, self._current.worker = thread, worker
        thread.start()
        return worker

    def cancel(self) -> None:
        if self._current.worker is not None:
            self._current.worker.cancel()

    def stop(self, timeout_ms: int = 10000) -> None:
        """Cancel the job in hand and wait for its thread (a running QThread must never be
        destroyed)."""
        self._current.stop(timeout_ms)

    def _ended(self, thread: QThread, worker: JobWorker) -> None:
        if self._current.thread is thread:
            self._current.thread, self._current.worker = None, None
        worker.deleteLater()
        thread.deleteLater()


def _stop(current: _Current, *_args: object) -> None:
    current.stop()
