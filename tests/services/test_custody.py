import datetime as dt
import time

import pytest
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)
from new_cards import new_card
from sqlalchemy import select

from kiosk import card_codec
from kiosk.errors import (
    CardRevoked,
    InvalidInput,
    NoFreeSlot,
    NotAuthorised,
    PupilNotActive,
    SlotUnavailable,
    TooLate,
    UndoWindowPassed,
    UnknownCard,
)
from kiosk.services import (
    chain_check,
    custody,
    exemptions,
    held_devices,
    settings,
    slot_checks,
)
from kiosk.tables import AuditEvent, Pupil

T0 = dt.datetime(2026, 11, 20, 8, 0)  # a Friday morning, UTC


def kinds(sessions) -> list[str]:
    with sessions() as s:
        return list(s.scalars(select(AuditEvent.kind).order_by(AuditEvent.seq)))


def test_a_card_scan_gives_the_lowest_free_slot_and_records_it(school, sessions):
    card = school.card_texts[school.pupil_ids[0]]
    result = custody.hand_in_by_card(sessions, card, now=T0)
    assert (result.slot_number, result.already_held, result.exemption) == (1, False, None)
    assert result.pupil.id == school.pupil_ids[0]
    assert kinds(sessions)[-1] == "hand_in"
    second = custody.hand_in_by_card(sessions, school.card_texts[school.pupil_ids[1]], now=T0)
    assert second.slot_number == 2


def test_scanning_again_shows_the_same_slot_not_a_new_one(school, sessions):
    card = school.card_texts[school.pupil_ids[0]]
    first = custody.hand_in_by_card(sessions, card, now=T0)
    again = custody.hand_in_by_card(sessions, card, now=T0 + dt.timedelta(seconds=30))
    assert again.already_held and again.slot_number == first.slot_number
    assert again.custody_id == first.custody_id
    assert kinds(sessions)[-2:] == ["hand_in", "hand_in_repeat_scan"]


def test_a_freed_slot_is_reused_lowest_first(school, sessions):
    office = school.actors["office"]
    a, b, c = (custody.hand_in(sessions, p, now=T0) for p in school.pupil_ids[:3])
    custody.collect(sessions, a.custody_id, office)
    d = custody.hand_in(sessions, school.pupil_ids[3], now=T0)
    assert (b.slot_number, c.slot_number, d.slot_number) == (2, 3, 1)


def test_when_every_ordinary_slot_is_full_the_pupil_is_told_and_nothing_is_written(
    school, sessions
):
    for pupil_id in school.pupil_ids[:18]:  # 18 ordinary slots; 2 are for confiscations
        custody.hand_in(sessions, pupil_id, now=T0)
    before = chain_check.verify(sessions).events
    with pytest.raises(NoFreeSlot) as error:
        custody.hand_in(sessions, school.pupil_ids[18], now=T0)
    assert "office" in str(error.value)
    assert chain_check.verify(sessions).events == before


def test_an_exempt_pupil_keeps_the_device_and_the_scan_is_recorded(school, sessions):
    pupil_id = school.pupil_ids[4]
    exemptions.grant(
        sessions,
        school.actors["senior"],
        pupil_id,
        "medical",
        "Glucose monitor",
        starts_on=dt.date(2026, 11, 1),
    )
    result = custody.hand_in(sessions, pupil_id, now=T0)
    assert result.slot_number is None and result.exemption is not None
    assert result.exemption.category_words == "medical"
    assert kinds(sessions)[-1] == "exemption_shown"


def test_an_ended_exemption_no_longer_applies(school, sessions):
    senior = school.actors["senior"]
    info = exemptions.grant(
        sessions, senior, school.pupil_ids[4], "other", "Trip", starts_on=dt.date(2026, 11, 1)
    )
    exemptions.end(sessions, senior, info.id)
    assert custody.hand_in(sessions, school.pupil_ids[4], now=T0).slot_number == 1


@pytest.mark.parametrize(
    ("starts", "ends", "applies"),
    [
        (dt.date(2026, 11, 20), dt.date(2026, 11, 20), True),  # that day only
        (dt.date(2026, 11, 1), None, True),  # open-ended
        (dt.date(2026, 11, 21), None, False),  # from tomorrow
        (dt.date(2026, 11, 1), dt.date(2026, 11, 19), False),  # ended yesterday
    ],
)
def test_an_exemption_applies_at_the_hand_in_between_its_dates(
    school, sessions, starts, ends, applies
):
    pupil_id = school.pupil_ids[4]
    exemptions.grant(
        sessions, school.actors["senior"], pupil_id, "medical", "Monitor", starts, ends
    )
    result = custody.hand_in(sessions, pupil_id, now=T0)
    assert (result.exemption is not None) is applies
    assert (result.slot_number is None) is applies


@pytest.mark.parametrize(
    "text",
    ["", "hello", "HK1.KMA.1.2", "'; DROP TABLE pupils; --", "x" * 5000, b"\xff\xfe", None],
)
def test_garbage_is_refused_with_words_not_a_traceback(school, sessions, text):
    with pytest.raises(UnknownCard) as error:
        custody.hand_in_by_card(sessions, text, now=T0)
    assert str(error.value)


def test_a_forged_card_is_refused(school, sessions):
    forged = card_codec.encode(b"not the school secret", "KMA", school.pupil_ids[0], 1001)
    with pytest.raises(UnknownCard, match="not recognised"):
        custody.hand_in_by_card(sessions, forged, now=T0)


def test_another_schools_card_is_refused(school, sessions):
    with sessions() as s:
        secret = settings.card_secret(s)
    other = card_codec.encode(secret, "OTHER", school.pupil_ids[0], 1001)
    with pytest.raises(UnknownCard, match="another school"):
        custody.hand_in_by_card(sessions, other, now=T0)


def test_a_revoked_card_is_refused_and_the_new_one_works(school, sessions):
    pupil_id = school.pupil_ids[0]
    new = new_card(sessions, school.actors["admin"], pupil_id)
    with pytest.raises(CardRevoked):
        custody.hand_in_by_card(sessions, school.card_texts[pupil_id], now=T0)
    assert custody.hand_in_by_card(sessions, new, now=T0).slot_number == 1


def test_a_pupil_who_has_left_cannot_hand_in(school, sessions):
    with sessions.begin() as s:
        s.get(Pupil, school.pupil_ids[0]).active = False
    with pytest.raises(PupilNotActive):
        custody.hand_in_by_card(sessions, school.card_texts[school.pupil_ids[0]], now=T0)


def test_a_hand_in_can_be_undone_at_the_kiosk_only_within_the_window(school, sessions):
    card = school.card_texts[school.pupil_ids[0]]
    first = custody.hand_in(sessions, school.pupil_ids[0], now=T0)
    custody.undo_hand_in(
        sessions, first.custody_id, card_text=card, now=T0 + dt.timedelta(seconds=20)
    )
    again = custody.hand_in(sessions, school.pupil_ids[0], now=T0 + dt.timedelta(seconds=30))
    assert again.slot_number == 2 and not again.already_held  # slot 1 waits for a check
    with pytest.raises(UndoWindowPassed):
        custody.undo_hand_in(
            sessions, again.custody_id, card_text=card, now=T0 + dt.timedelta(minutes=10)
        )
    custody.undo_hand_in(
        sessions, again.custody_id, actor=school.actors["office"], now=T0 + dt.timedelta(minutes=10)
    )
    assert "hand_in_undone" in kinds(sessions)


def test_at_the_kiosk_only_the_card_that_handed_it_in_can_undo_it(school, sessions):
    owner, other = school.pupil_ids[0], school.pupil_ids[1]
    held = custody.hand_in(sessions, owner, now=T0)
    later = T0 + dt.timedelta(seconds=10)
    for card in (None, "not a card", school.card_texts[other]):
        with pytest.raises((NotAuthorised, UnknownCard)):
            custody.undo_hand_in(sessions, held.custody_id, card_text=card, now=later)
    assert custody.hand_in(sessions, owner, now=later).already_held  # still held
    custody.undo_hand_in(sessions, held.custody_id, card_text=school.card_texts[owner], now=later)
    assert [s.number for s in slot_checks.slots_to_check(sessions)] == [1]
    with pytest.raises(SlotUnavailable):  # not even staff may put a device there unchecked
        held_devices.move(sessions, school.actors["office"], _held_id(sessions, other, T0), 1)
    slot_checks.mark_checked_empty(sessions, school.actors["office"], 1)
    assert slot_checks.slots_to_check(sessions) == []
    with pytest.raises(InvalidInput):
        slot_checks.mark_checked_empty(sessions, school.actors["office"], 1)
    assert custody.hand_in(sessions, school.pupil_ids[2], now=later).slot_number == 1


def _held_id(sessions, pupil_id, now):
    return custody.hand_in(sessions, pupil_id, now=now).custody_id


def test_a_scan_that_reaches_the_database_after_its_deadline_writes_nothing(school, sessions):
    before = kinds(sessions)
    card = school.card_texts[school.pupil_ids[0]]
    with pytest.raises(TooLate):
        custody.hand_in_by_card(sessions, card, now=T0, deadline=time.monotonic() - 0.1)
    assert kinds(sessions) == before
    in_time = custody.hand_in_by_card(sessions, card, now=T0, deadline=time.monotonic() + 5)
    assert in_time.slot_number == 1
