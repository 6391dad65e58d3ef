"""The screen's pure bookkeeping (no Qt, no database): cards in view, whose turn it is,
the staff presence window at home time, and probing counted per minute."""

from __future__ import annotations

import datetime as dt

from kiosk.event_kinds import EventKind
from kiosk.services.probes import ProbeTally
from kiosk.services.staff import StaffMember
from kiosk.ui.kiosk_screen.home_time import StaffPresence
from kiosk.ui.kiosk_screen.turns import MIN_READ_SECONDS, Presence, Turns

OLIVIA = StaffMember(2, "Olivia Office", "office", True, False)


def test_a_card_in_view_is_one_presentation_until_it_has_been_away_for_the_gap() -> None:
    cards = Presence(gap=6)
    assert cards.sighted("A", 0)
    assert not any(cards.sighted("A", t) for t in range(4, 64, 4))  # read every 4 s
    assert cards.sighted("B", 64)  # another card is new at once
    assert cards.sighted("A", 64 + 7)  # away 7 s: a new presentation
    assert all(Presence(gap=0).sighted("A", 1) for _ in range(3))


def test_the_newest_scan_is_current_and_a_scan_that_waited_too_long_is_dropped() -> None:
    turns = Turns(late_seconds=5)
    a = turns.new_scan("A", 0)
    turns.in_flight = 1
    b = turns.new_scan("B", 1)
    turns.waiting = b
    assert not turns.is_current(a.seq) and turns.is_current(b.seq)
    assert not turns.may_start(2)  # A still in flight
    turns.in_flight, turns.shown_at = 0, 2
    assert turns.hold_left(3) == MIN_READ_SECONDS - 1 and not turns.may_start(3)
    assert turns.take_waiting(3) == b and turns.waiting is None
    turns.waiting = turns.new_scan("C", 10)
    assert turns.take_waiting(16) is None  # waited past its deadline: not run
    assert turns.new_scan("D", 20).too_late_to_show(20 + 5 + 1.5)


def test_only_renewals_keep_staff_present_and_never_past_the_pin_limit() -> None:
    presence = StaffPresence(seconds=60, longest=900)
    assert presence.member(0) is None
    presence.open(OLIVIA, 0)
    assert presence.member(59) == OLIVIA and presence.seconds_left(30) == 30
    assert presence.member(61) is None
    presence.open(OLIVIA, 100)
    for now in range(150, 1000, 50):  # a give-back every 50 s
        presence.renew(now)
    assert presence.member(999) == OLIVIA and presence.member(1001) is None
    presence.open(OLIVIA, 2000)
    presence.close()
    assert presence.member(2001) is None


def test_probing_is_counted_per_kind_and_minute_and_handed_over_when_the_minute_ends() -> None:
    tally = ProbeTally()
    at = dt.datetime(2026, 12, 7, 8, 12, 5)
    for second, reason in ((5, "forged"), (30, "not_a_card"), (59, "forged")):
        tally.note(EventKind.CARDS_REFUSED, reason, at.replace(second=second))
    tally.note(EventKind.HOME_TIME_LOOKUPS, "looked_up", at, pupil_id=7)
    assert tally.due(at.replace(second=59)) == [] and len(tally) == 4
    [refused, lookups] = sorted(tally.due(at + dt.timedelta(minutes=1)), key=lambda b: b.kind)
    assert refused.count == 3 and refused.reasons == {"forged": 2, "not_a_card": 1}
    assert refused.details("kiosk 1")["minute"] == "2026-12-07T08:12"
    assert lookups.pupil_ids == {7} and len(tally) == 0
    tally.put_back([refused])  # writing failed: counted again with the next
    assert len(tally.drain()) == 1
