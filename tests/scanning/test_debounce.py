from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.scanning.debounce import ScanDebouncer

CARD_A = "HK1.DEMO.3F.4.QI5OOWRN7BQUQ"
CARD_B = "HK1.DEMO.3G.1.ABCDEFGHIJKLM"


def test_the_first_scan_counts() -> None:
    assert ScanDebouncer().accept(CARD_A, 100.0)


def test_the_same_card_within_the_window_counts_once() -> None:
    debouncer = ScanDebouncer(window_seconds=4.0)
    results = [debouncer.accept(CARD_A, t) for t in (0.0, 0.03, 1.0, 3.99)]
    assert results == [True, False, False, False]


def test_the_same_card_after_the_window_counts_again() -> None:
    debouncer = ScanDebouncer(window_seconds=4.0)
    assert debouncer.accept(CARD_A, 0.0)
    assert debouncer.accept(CARD_A, 4.0)


def test_the_window_runs_from_the_last_accepted_scan_not_the_last_sighting() -> None:
    debouncer = ScanDebouncer(window_seconds=4.0)
    held_in_view = [debouncer.accept(CARD_A, t / 10) for t in range(0, 90)]
    accepted_at = [t / 10 for t, ok in zip(range(0, 90), held_in_view, strict=True) if ok]
    assert accepted_at == [0.0, 4.0, 8.0]


def test_a_different_card_counts_at_once() -> None:
    debouncer = ScanDebouncer()
    assert debouncer.accept(CARD_A, 0.0)
    assert debouncer.accept(CARD_B, 0.01)


def test_two_cards_in_view_together_do_not_retrigger_each_other() -> None:
    debouncer = ScanDebouncer(window_seconds=4.0)
    seen = [
        (text, debouncer.accept(text, t * 0.033)) for t in range(20) for text in (CARD_A, CARD_B)
    ]
    assert [text for text, ok in seen if ok] == [CARD_A, CARD_B]


def test_reset_forgets_every_card() -> None:
    debouncer = ScanDebouncer()
    debouncer.accept(CARD_A, 0.0)
    debouncer.reset()
    assert debouncer.accept(CARD_A, 0.1)


def test_a_zero_window_accepts_everything() -> None:
    debouncer = ScanDebouncer(window_seconds=0.0)
    assert all(debouncer.accept(CARD_A, 1.0) for _ in range(3))


def test_a_negative_window_is_refused() -> None:
    with pytest.raises(ValueError):
        ScanDebouncer(window_seconds=-1.0)


@given(st.lists(st.tuples(st.sampled_from("ABC"), st.floats(0, 0.5)), max_size=60))
def test_accepted_scans_of_one_text_are_at_least_a_window_apart(
    steps: list[tuple[str, float]],
) -> None:
    debouncer = ScanDebouncer(window_seconds=1.0)
    now, accepted = 0.0, dict[str, float]()
    for text, gap in steps:
        now += gap
        if debouncer.accept(text, now):
            assert now - accepted.get(text, -1.0) >= 1.0
            accepted[text] = now
