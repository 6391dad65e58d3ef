"""A fixed school day for console tests: Wednesday 11 March 2026 (GMT, before the clocks
change), and school-local times on it as naive UTC."""

from __future__ import annotations

import datetime as dt

from kiosk.clock import start_of_local_day

TODAY = dt.date(2026, 3, 11)
YESTERDAY = dt.date(2026, 3, 10)
LAST_WEEK = dt.date(2026, 3, 4)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A naive-UTC instant at a school-local time of day."""
    return start_of_local_day(day) + dt.timedelta(hours=hour, minutes=minute)
