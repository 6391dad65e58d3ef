"""A log file that goes quiet when its disk fails, instead of flooding.

Python's logging handlers report every failed write with a traceback on stderr ("---
Logging error ---"); on a disk that turned read-only or full that is thousands of lines a
minute, on the very disk that is failing or on a console nobody reads. ``QuietFileHandler``
says once that the log cannot be written, drops records for ``PAUSE_SECONDS``, then tries
again; when a write works again it notes how many records were dropped.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from logging.handlers import RotatingFileHandler

PAUSE_SECONDS = 60.0


class QuietFileHandler(RotatingFileHandler):
    def __init__(self, *args: object, pause_s: float = PAUSE_SECONDS, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.pause_s = pause_s
        self.failing_until = 0.0
        self.dropped = 0
        self.failures = 0

    def emit(self, record: logging.LogRecord) -> None:
        if time.monotonic() < self.failing_until:
            self.dropped += 1
            return
        dropped, self.dropped = self.dropped, 0
        if dropped:
            note = f"The log could not be written for a while; {dropped} records were dropped"
            super().emit(logging.makeLogRecord({"msg": note, "levelname": "WARNING"}))
        super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        """One line on stderr per pause, never a traceback per record."""
        self.failures += 1
        self.dropped += 1
        self.failing_until = time.monotonic() + self.pause_s
        error = sys.exc_info()[1]
        reason = getattr(error, "strerror", None) or type(error).__name__
        if self.stream is not None:  # reopened at the next try
            with contextlib.suppress(OSError):
                self.stream.close()
            self.stream = None
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(
                f"kiosk: the log {self.baseFilename} cannot be written ({reason}); "
                f"logging paused for {self.pause_s:.0f} s\n"
            )
