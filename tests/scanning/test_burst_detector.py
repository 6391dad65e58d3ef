"""The timing rules of keyboard-wedge scanning, with the clock in the test's hands (ms)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kiosk.scanning.wedge import BurstDetector

SCAN = "HK1.DEMO.3F.4.QI5OOWRN7BQUQ"


def type_keys(
    detector: BurstDetector[int], text: str, start: float, gap: float
) -> tuple[list[int], float]:
    """Push ``text`` a key every ``gap`` ms; returns the released items and the time of
    the last key."""
    released: list[int] = []
    now = start
    for index, char in enumerate(text):
        now = start + index * gap
        released += detector.push(char, now, index)
    return released, now


def test_a_fast_burst_ending_in_enter_is_a_scan() -> None:
    detector: BurstDetector[int] = BurstDetector(max_gap_ms=40, min_length=6)
    released, last = type_keys(detector, SCAN, start=1000, gap=8)
    assert released == []
    assert detector.finish(last + 8) == SCAN
    assert not detector.holding


def test_slow_typing_is_released_key_by_key() -> None:
    detector: BurstDetector[int] = BurstDetector(max_gap_ms=40, min_length=6)
    released, last = type_keys(detector, "hello123", start=0, gap=120)
    assert released == list(range(7))
    assert detector.finish(last + 150) is None
    assert detector.release() == [7]


def test_a_short_fast_burst_is_typing() -> None:
    detector: BurstDetector[int] = BurstDetector(max_gap_ms=40, min_length=6)
    _, last = type_keys(detector, "abcde", start=0, gap=5)
    assert detector.finish(last + 5) is None
    assert detector.release() == [0, 1, 2, 3, 4]


def test_enter_long_after_a_fast_burst_is_typing() -> None:
    detector: BurstDetector[int] = BurstDetector(max_gap_ms=40, min_length=6)
    _, last = type_keys(detector, SCAN, start=0, gap=5)
    assert detector.finish(last + 300) is None
    assert detector.release() == list(range(len(SCAN)))


def test_a_gap_of_exactly_the_limit_still_counts_as_a_burst() -> None:
    detector: BurstDetector[int] = BurstDetector(max_gap_ms=40, min_length=6)
    released, last = type_keys(detector, SCAN, start=0, gap=40)
    assert released == []
    assert detector.finish(last + 40) == SCAN


def test_typed_keys_before_a_scan_are_released_and_not_part_of_it() -> None:
    detector: BurstDetector[int] = BurstDetector(max_gap_ms=40, min_length=6)
    typed, last = type_keys(detector, "ab", start=0, gap=200)
    assert typed == [0]
    released = detector.push("H", last + 500, 100)
    assert released == [1]
    for offset, char in enumerate(SCAN[1:], start=1):
        assert detector.push(char, last + 500 + offset * 5, 100 + offset) == []
    assert detector.finish(last + 500 + len(SCAN) * 5) == SCAN


def test_a_pause_in_the_middle_splits_the_burst() -> None:
    detector: BurstDetector[int] = BurstDetector(max_gap_ms=40, min_length=6)
    type_keys(detector, SCAN[:10], start=0, gap=5)
    released = detector.push(SCAN[10], 500, 10)
    assert released == list(range(10))


@given(st.lists(st.floats(41, 2000), min_size=6, max_size=40))
def test_nobody_leaving_more_than_the_limit_between_keys_makes_a_scan(gaps: list[float]) -> None:
    detector: BurstDetector[int] = BurstDetector(max_gap_ms=40, min_length=6)
    now = 0.0
    for index, gap in enumerate(gaps):
        now += gap
        detector.push("x", now, index)
    assert detector.finish(now + 10) is None


@given(st.lists(st.integers(0, 40), min_size=6, max_size=64), st.integers(0, 40))
def test_any_burst_within_the_limit_is_a_scan(gaps: list[int], enter_gap: int) -> None:
    detector: BurstDetector[int] = BurstDetector(max_gap_ms=40, min_length=6)
    now = 0
    for index, gap in enumerate(gaps):
        now += gap
        assert detector.push("x", now, index) == []
    assert detector.finish(now + enter_gap) == "x" * len(gaps)
