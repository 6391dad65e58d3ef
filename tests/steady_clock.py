"""The kiosk screen's own clock for tests (its ``monotonic`` argument), so that a test can
be later without waiting: every hold and window on the screen runs on it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.ui.kiosk_screen.screen import KioskScreen


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
