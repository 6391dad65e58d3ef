"""Short fuzz runs through the real entry points (the 100,000-input runs are
benchmarks/fuzz.py): no crash, plain-words refusals, and nothing written by a refusal."""

from __future__ import annotations

from reliability.fuzz import (
    card_world,
    chain_problem,
    fuzz_cards,
    fuzz_roster,
)


def test_two_thousand_scanner_payloads_are_read_or_refused_in_plain_words(school, sessions):
    world = card_world(sessions, school)
    report = fuzz_cards(sessions, school, world, count=2000, seed=8)
    assert report.crashes == []
    assert report.accepted > 50  # valid cards (and their harmless variants) still work
    assert {"UnknownCard", "CardRevoked"} <= set(report.refusals)
    assert chain_problem(sessions) is None


def test_mutated_roster_files_import_whole_or_not_at_all(school, sessions):
    report = fuzz_roster(sessions, school, count=300, seed=5)
    assert report.crashes == []
    assert report.accepted > 0 and sum(report.refusals.values()) > 0
    assert chain_problem(sessions) is None


def test_the_fuzz_checks_themselves_notice_a_wrong_answer(school, sessions, monkeypatch):
    """The checks are not vacuous: a card reader that ignores the card is caught."""
    from kiosk.services import cards
    from kiosk.tables import Pupil

    world = card_world(sessions, school)
    anyone = school.pupil_ids[-1]
    monkeypatch.setattr(cards, "pupil_for_card", lambda session, _text: session.get(Pupil, anyone))
    report = fuzz_cards(sessions, school, world, count=30, seed=1)
    assert report.crash_count > 0
