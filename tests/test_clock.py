"""LocalClock's cached conversion equals a direct conversion for every minute across both
of the year's clock changes, for stored text and for datetime values alike."""

from __future__ import annotations

import datetime as dt

import pytest
from fixtures.reports import *  # noqa: F403 (the reports tests' fixtures)

from kiosk.clock import LocalClock, to_local


def minutes_around(start: dt.datetime, hours: int) -> list[dt.datetime]:
    return [start + dt.timedelta(minutes=step, seconds=step % 60) for step in range(hours * 60)]


@pytest.mark.parametrize(
    "start",
    [dt.datetime(2026, 3, 28, 22, 0), dt.datetime(2026, 10, 24, 22, 0)],
    ids=["spring-forward", "fall-back"],
)
def test_cached_text_equals_direct_conversion(start: dt.datetime) -> None:
    clock = LocalClock()
    for moment in minutes_around(start, 6) * 2:  # the second pass reads the caches
        expected = to_local(moment).strftime("%Y-%m-%d %H:%M:%S")
        stored = moment.strftime("%Y-%m-%d %H:%M:%S.%f")
        assert clock.text(stored) == expected, stored
        assert clock.text(moment) == expected, moment


def test_nothing_stays_nothing() -> None:
    assert LocalClock().text(None) is None


@pytest.mark.parametrize(
    "start",
    [dt.datetime(2026, 3, 28, 22, 0), dt.datetime(2026, 10, 24, 22, 0)],
    ids=["spring-forward", "fall-back"],
)
def test_an_hour_moves_whole_or_not_at_all(start: dt.datetime) -> None:
    """LocalClock.hour gives the local hour only when every minute of the UTC hour is that
    hour plus the same minutes (Europe/London changes on the hour, so always here)."""
    clock = LocalClock()
    for n in range(6):
        hour = start + dt.timedelta(hours=n)
        local = clock.hour(hour.strftime("%Y-%m-%d %H"))
        for moment in minutes_around(hour, 1):
            assert f"{local}:{moment:%M:%S}" == to_local(moment).strftime("%Y-%m-%d %H:%M:%S")
    assert clock.hour("not an hour") is None
