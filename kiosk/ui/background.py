"""The one way the UI runs work off the GUI thread (after Anki's ``QueryOp``).

    Op(self, "Loading the staff list", partial(staff.list_staff, sessions))
        .success(self._show_names)        # on the GUI thread, with the job's result
        .failure(self._say)               # optional, with a ``Failure`` (words ready to show)
        .run()                            # or .run(lane): jobs one at a time, in order

A job is a plain callable run on a worker thread: it opens its own sessions (a sessionmaker
is safe to share; a session is not) and never touches a widget. ``Op.tracked`` takes a job
that reports progress and looks for a cancel request through a ``Progress``; ``run`` returns
a ``Ticket`` whose ``cancel()`` asks for that. Callbacks run on the GUI thread, and only
while ``owner`` (the widget that asked) still exists. A failure becomes words in one place,
``failure_words``: a named error's own message, a file problem, or a plain apology with the
kind of error logged (never a traceback to a user, never pupil data in the log).

Jobs run on Python threads (``ThreadPoolExecutor``), not ``QThread``: a Python thread can
outlive the widget that started it without taking the process down.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures
from dataclasses import dataclass
from functools import partial
from typing import Generic, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

from kiosk.errors import DatabaseUnavailable, KioskError
from kiosk.qtfix import emit  # PySide6 6.12 on Python 3.11: see there

log = logging.getLogger("kiosk.ui")
T = TypeVar("T")

RECORDS_DOWN = "Cannot reach the records just now. Nothing was changed. Please try again."
UNEXPECTED = "That did not work, and nothing was changed. The problem has been logged."
SHARED_WORKERS = 2


# -- failures in words ---------------------------------------------------------------------


def describe_failure(error: BaseException) -> str:
    """For the log: the kind of error and, for a database error, the driver's own first
    line ("database is locked"), never a statement's parameters."""
    if not records_down(error):
        return type(error).__name__
    if isinstance(error, DatabaseUnavailable) and error.detail:
        return f"{type(error).__name__}: {error.detail}"
    driver = error
    for _ in range(3):  # DatabaseUnavailable -> SQLAlchemy's error -> the driver's
        inner = getattr(driver, "orig", None) or driver.__cause__
        if not isinstance(inner, BaseException):
            break
        driver = inner
    if driver is error:
        return type(error).__name__
    first_line = (str(driver).splitlines() or [""])[0]
    return f"{type(error).__name__} ({type(driver).__name__}: {first_line})"


def log_failure(what: str, error: BaseException) -> None:
    stack = "".join(traceback.format_tb(error.__traceback__))
    log.error("%s failed: %s\n%s", what, describe_failure(error), stack)


def records_down(error: BaseException) -> bool:
    """A database that is gone, locked or full (``kiosk.db`` names it DatabaseUnavailable),
    or any other database error that reached the screen (a damaged file, a bug): either
    way nothing was written. Told by the error's module, so the UI imports no SQLAlchemy."""
    if isinstance(error, DatabaseUnavailable):
        return True
    module = type(error).__module__
    return module.startswith("sqlalchemy") or module.startswith("sqlite3")


def failure_words(error: BaseException, what: str) -> str:
    """What to show for a failed action: a named error's own words, a file that could not
    be written, or a plain apology; the kind of error is logged."""
    if records_down(error):
        log.error("%s failed: %s", what, describe_failure(error))
        return RECORDS_DOWN
    if isinstance(error, KioskError):
        return error.message
    if isinstance(error, OSError):
        log.warning("%s failed: %s", what, describe_failure(error))
        return f"The file could not be written or read ({error.strerror or 'system error'})."
    log_failure(what, error)
    return UNEXPECTED


@dataclass(frozen=True)
class Failure:
    """A job that raised: the error (for screens that choose by its kind) and the words."""

    error: BaseException
    words: str


# -- progress and cancelling ---------------------------------------------------------------


class Progress:
    """Handed to a tracked job: ``report(done, total)`` and ``cancelled()``."""

    def __init__(self, on_report: Callable[[int, int], None]) -> None:
        self._on_report = on_report
        self._cancel = threading.Event()
        self._percent = -1

    def report(self, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if percent != self._percent:  # at most about a hundred reports a job
            self._percent = percent
            self._on_report(done, total)

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()


class Ticket:
    """A started job: ``cancel()`` asks it to stop at its next look (a tracked job only)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self.finished = False

    def cancel(self) -> None:
        self._progress.cancel()

    @property
    def cancel_requested(self) -> bool:
        return self._progress.cancelled()


# -- where jobs run ------------------------------------------------------------------------


class _Relay(QObject):
    """Lives on the GUI thread; a worker thread emits here to have a call made there."""

    call = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.call.connect(self._run)

    @Slot(object)
    def _run(self, callback: object) -> None:
        if callable(callback):
            callback()


class Lane:
    """Worker threads for jobs. ``Lane(name)`` has one: its jobs run one at a time in the
    order they were started (two scans are answered in the order they were made)."""

    def __init__(self, name: str, workers: int = 1, *, owner: QObject | None = None) -> None:
        """With an ``owner``, the lane stops (cancelling its jobs) when the owner goes."""
        self.name = name
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix=name)
        self._futures: set[Future[None]] = set()
        self._tickets: set[Ticket] = set()
        self.pending = 0  # jobs started whose callbacks have not run yet
        self.closed = False
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)
        if owner is not None:
            owner.destroyed.connect(lambda *_args: self.stop())

    def _submit(self, work: Callable[[], None], ticket: Ticket) -> None:
        if self.closed:  # its screen is closing: nothing more is started, nor answered
            log.info("Not started on the stopped %s lane", self.name)
            ticket.finished = True
            return
        self.pending += 1
        self._tickets.add(ticket)
        future = self._executor.submit(work)
        self._futures.add(future)
        future.add_done_callback(self._futures.discard)

    def _delivered(self, ticket: Ticket) -> None:
        self.pending -= 1
        self._tickets.discard(ticket)

    def stop(self, timeout_s: float = 5.0) -> bool:
        """Cancel the jobs in hand, drop those not begun, wait up to ``timeout_s`` for the
        rest; no callback runs after this."""
        if self.closed:
            return True
        self.closed = True
        for ticket in list(self._tickets):
            ticket.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
        _done, left = wait_for_futures(list(self._futures), timeout=timeout_s)
        if left:
            log.warning("Background work on %s did not stop in time", self.name)
        self.pending = 0
        return not left


_relay: _Relay | None = None
_shared: Lane | None = None


def _the_relay() -> _Relay:
    global _relay
    if _relay is None or not shiboken6.isValid(_relay):
        _relay = _Relay()
    return _relay


def shared_lane() -> Lane:
    """The application's lane for work whose order does not matter (staff log-in, admin
    jobs). It belongs to the application, not to a screen: locking the console in the
    middle of an import lets the import finish."""
    global _shared
    if _shared is None or _shared.closed:
        _shared = Lane("kiosk-ui", SHARED_WORKERS)
    return _shared


# -- the operation -------------------------------------------------------------------------


class Op(Generic[T]):
    def __init__(self, owner: QObject, what: str, job: Callable[[], T]) -> None:
        self._owner, self._what = owner, what
        self._job: Callable[[Progress], T] = lambda _progress: job()
        self._on_success: Callable[[T], None] = _ignore
        self._on_failure: Callable[[Failure], None] | None = None
        self._on_progress: Callable[[int, int], None] | None = None
        self._on_cancelled: Callable[[], None] | None = None

    @classmethod
    def tracked(cls, owner: QObject, what: str, job: Callable[[Progress], T]) -> Op[T]:
        """A job that reports progress and may be cancelled through its ``Progress``."""
        op: Op[T] = cls(owner, what, _ignore)  # type: ignore[arg-type]
        op._job = job
        return op

    def success(self, on_success: Callable[[T], None]) -> Op[T]:
        self._on_success = on_success
        return self

    def failure(self, on_failure: Callable[[Failure], None]) -> Op[T]:
        """Without one, a failure is only logged."""
        self._on_failure = on_failure
        return self

    def with_progress(self, on_progress: Callable[[int, int], None]) -> Op[T]:
        self._on_progress = on_progress
        return self

    def cancelled(self, on_cancelled: Callable[[], None]) -> Op[T]:
        """Called instead of ``failure`` when a cancelled job gives up by raising."""
        self._on_cancelled = on_cancelled
        return self

    def run(self, lane: Lane | None = None) -> Ticket:
        lane = lane or shared_lane()
        relay = _the_relay()
        progress = Progress(
            lambda done, total: emit(relay.call, partial(self._progressed, done, total))
        )
        ticket = Ticket(progress)

        def work() -> None:
            try:
                result = self._job(progress)
            except Exception as error:  # shown as words on the GUI thread
                emit(relay.call, partial(self._finish, lane, ticket, None, error))
            else:
                emit(relay.call, partial(self._finish, lane, ticket, result, None))

        lane._submit(work, ticket)
        return ticket

    def _alive(self) -> bool:
        return shiboken6.isValid(self._owner)

    def _progressed(self, done: int, total: int) -> None:
        if self._on_progress is not None and self._alive():
            self._on_progress(done, total)

    def _finish(
        self, lane: Lane, ticket: Ticket, result: T | None, error: BaseException | None
    ) -> None:
        if lane.closed:
            return
        lane._delivered(ticket)
        ticket.finished = True
        if not self._alive():
            if error is not None:  # the screen closed meanwhile: still keep a trace
                log.error("%s failed after its screen closed: %s", self._what, type(error).__name__)
            return
        if error is None:
            self._on_success(result)  # type: ignore[arg-type]
        elif ticket.cancel_requested and self._on_cancelled is not None:
            self._on_cancelled()
        elif self._on_failure is not None:
            self._on_failure(Failure(error, failure_words(error, self._what)))
        elif isinstance(error, KioskError) and not records_down(error):
            log.warning("%s failed: %s", self._what, error.message)
        else:
            failure_words(error, self._what)  # logs the kind of error


def _ignore(*_args: object) -> None:
    return None
