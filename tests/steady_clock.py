"""The kiosk screen's clocks for tests: its ``monotonic`` argument, so that a test can be
later without waiting (every hold and window on the screen runs on it), and its ``clock``
fixed at a time of the school day (after ``collection_opens`` the kiosk is in home time, so
a test of the morning must not read the real time of day)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk.clock import SCHOOL_ZONE

if TYPE_CHECKING:
    from kiosk.ui.kiosk_screen.screen import KioskScreen


def local(hour: int, minute: int = 0) -> Callable[[], dt.datetime]:
    """A clock fixed at ``hour:minute`` school time today, as naive UTC like utcnow()."""
    today = dt.datetime.now(SCHOOL_ZONE).date()
    at = dt.datetime.combine(today, dt.time(hour, minute), tzinfo=SCHOOL_ZONE)
    value = at.astimezone(dt.UTC).replace(tzinfo=None)
    return lambda: value


MORNING = local(8, 15)
HOME_TIME = local(15, 30)


class SteadyClock:
    """``time.monotonic()`` plus whatever a test has skipped ahead: the screen's holds and
    windows run on it, so a test can be a minute later without waiting a minute."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.skipped

    def advance(self, seconds: float) -> None:
        self.skipped += seconds


def read_the_result_up(screen: KioskScreen) -> None:
    """The pupil in front has read their result: skip the rest of the time a result must
    stay up before the next pupil's scan may replace it (``turns.MIN_READ_SECONDS``),
    rather than wait it out (a scan that comes sooner waits for it: the screen proves
    that in tests/ui/kiosk_screen)."""
    clock = screen.monotonic
    assert isinstance(clock, SteadyClock), "the screen must run on a SteadyClock"
    clock.advance(screen.turns.hold_left(clock()))
