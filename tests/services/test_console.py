from __future__ import annotations

import datetime as dt

import pytest
from fixtures.console import *  # noqa: F403 (the console tests' fixtures)
from fixtures.console_days import LAST_WEEK, TODAY, YESTERDAY, at
from new_cards import new_card
from sqlalchemy import event, select, update

from kiosk.errors import CardRevoked, InvalidInput, NotAuthorised, UnknownCard
from kiosk.services import (
    chain_of_custody,
    confiscation,
    console,
    custody,
    exemptions,
    held_devices,
    pupils,
    settings,
    slots,
    staff,
)
from kiosk.services.audit import KIOSK_ACTOR
from kiosk.tables import AuditEvent, Pupil

# The dashboard's counts are one SQL statement of scalar subqueries: checked on both.
BOTH = pytest.mark.parametrize(
    "database_url",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)


def set_device_owners(sessions, pupil_ids, owners):
    with sessions.begin() as session:
        session.execute(update(Pupil).values(brings_device=False))
        session.execute(update(Pupil).where(Pupil.id.in_(owners)).values(brings_device=True))


@pytest.fixture
def day(sessions, school):
    """Today: two pupils handed in this morning, one device left from yesterday, one
    confiscation from last week referred to the DSL, one slot out of service."""
    office = school.actors["office"]
    p = school.pupil_ids
    yesterday = custody.hand_in(sessions, p[0], now=at(YESTERDAY, 7, 40))
    first = custody.hand_in(sessions, p[1], now=at(TODAY, 7, 45))
    second = custody.hand_in(sessions, p[2], now=at(TODAY, 7, 50))
    confiscated = confiscation.confiscate(
        sessions, office, p[3], "used in lesson", "In maths", now=at(LAST_WEEK, 11, 0)
    )
    confiscation.refer_to_dsl(
        sessions, office, confiscated.id, "Content concern", now=at(LAST_WEEK, 12)
    )
    slots.set_in_service(sessions, office, 5, False, "Lock broken")
    return {
        "yesterday": yesterday.custody_id,
        "first": first.custody_id,
        "second": second.custody_id,
        "confiscated": confiscated.id,
        "confiscated_slot": confiscated.slot_number,
    }


def test_slot_map_colours_each_slot_and_names_who_is_in_it(sessions, school, day):
    states = {s.number: s for s in console.slot_map(sessions)}
    assert len(states) == 20
    assert states[1].state == "daily" and states[1].since == at(YESTERDAY, 7, 40)
    assert states[2].state == "daily" and states[2].custody_id == day["first"]
    assert states[day["confiscated_slot"]].state == "confiscation"
    assert states[day["confiscated_slot"]].reserved_for_confiscation
    assert states[5].state == "out_of_service"
    assert states[4].state == "free" and states[4].pupil_name is None
    with sessions() as session:
        pupil = session.get(Pupil, school.pupil_ids[1])
        assert states[2].pupil_name == pupil.display_name
        assert states[2].reg_group == pupil.reg_group


def test_held_today_and_overnight_split_at_the_start_of_the_school_day(sessions, day, now):
    today = console.held_today(sessions, now)
    overnight = console.held_overnight(sessions, now)
    assert [d.custody_id for d in today] == [day["first"], day["second"]]
    assert [d.custody_id for d in overnight] == [day["yesterday"]]
    assert all(d.kind == "daily" for d in today + overnight)
    assert today[0].received_by is None  # handed in at the kiosk


def test_confiscations_awaiting_parent_have_their_age_in_days(sessions, school, day, now):
    rows = console.confiscations_awaiting_parent(sessions)
    assert [r.custody_id for r in rows] == [day["confiscated"]]
    row = rows[0]
    assert row.age_days(TODAY) == 7
    assert row.reason_category == "used in lesson"
    assert row.dsl_referred and not row.do_not_examine
    assert row.received_by == "Olivia Office"


def test_a_released_confiscation_leaves_the_list(sessions, school, day):
    confiscation.release_to_parent(
        sessions, school.actors["senior"], day["confiscated"], "Ann Parent", "mother", True
    )
    assert console.confiscations_awaiting_parent(sessions) == []


def test_expected_not_handed_in_leaves_out_who_handed_in_is_held_or_exempt(
    sessions, school, day, now
):
    p = school.pupil_ids
    set_device_owners(sessions, p, owners=p[:10])
    senior = school.actors["senior"]
    # p4 handed in and collected at lunch; p5 handed in by mistake and undone;
    # p6 exempt today; p7 exempt only from tomorrow; p8 has left.
    collected = custody.hand_in(sessions, p[4], now=at(TODAY, 8))
    custody.collect(sessions, collected.custody_id, school.actors["office"], now=at(TODAY, 12))
    undone = custody.hand_in(sessions, p[5], now=at(TODAY, 8, 1))
    card = school.card_texts[p[5]]
    custody.undo_hand_in(sessions, undone.custody_id, card_text=card, now=at(TODAY, 8, 2))
    exemptions.grant(sessions, senior, p[6], "medical", "Insulin pump app", starts_on=TODAY)
    exemptions.grant(
        sessions, senior, p[7], "other", "From tomorrow", starts_on=TODAY + dt.timedelta(days=1)
    )
    with sessions.begin() as session:
        session.get(Pupil, p[8]).active = False

    expected = {s.id for s in console.expected_not_handed_in(sessions, now)}

    # p0 overnight, p1/p2 handed in, p3 confiscated device held, p4 handed in today.
    assert expected == {p[5], p[7], p[9]}


def test_expected_not_handed_in_looks_at_today_only(sessions, school, now):
    p = school.pupil_ids
    set_device_owners(sessions, p, owners=[p[0]])
    handed = custody.hand_in(sessions, p[0], now=at(YESTERDAY, 8))
    custody.collect(sessions, handed.custody_id, school.actors["office"], now=at(YESTERDAY, 15))
    assert [s.id for s in console.expected_not_handed_in(sessions, now)] == [p[0]]


def test_exemption_list_shows_only_exemptions_that_apply_today(sessions, school, now):
    senior = school.actors["senior"]
    p = school.pupil_ids
    current = exemptions.grant(sessions, senior, p[1], "medical", "Glucose", starts_on=YESTERDAY)
    ended = exemptions.grant(sessions, senior, p[2], "young_carer", "Carer", starts_on=YESTERDAY)
    exemptions.end(sessions, senior, ended.id)
    exemptions.grant(
        sessions, senior, p[3], "other", "Trip", starts_on=LAST_WEEK, ends_on=YESTERDAY
    )
    rows = exemptions.applying_today(sessions, now)
    assert [r.id for r in rows] == [current.id]
    assert rows[0].approved_by == "Sam Senior (DSL)"
    assert rows[0].category_words == "medical"
    assert rows[0].pupil.id == p[1]


@BOTH
def test_dashboard_counts_agree_with_the_lists(sessions, school, day, now):
    board = console.dashboard(sessions, now)
    assert board.today == TODAY
    assert board.held_today == len(console.held_today(sessions, now)) == 2
    assert board.held_overnight == 1
    assert board.confiscations == 1
    assert board.expected_not_in == len(console.expected_not_handed_in(sessions, now))
    assert board.exemptions == len(exemptions.applying_today(sessions, now))
    assert [s.number for s in board.slots if s.state == console.OUT_OF_SERVICE] == [5]
    assert board.free_slots == 20 - 4 - 1


@BOTH
def test_dashboard_reads_in_a_fixed_number_of_queries_however_much_is_held(
    sessions, school, engine, now
):
    def count_queries():
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            console.dashboard(sessions, now)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    few = count_queries()
    for pupil_id in school.pupil_ids[:15]:
        custody.hand_in(sessions, pupil_id, now=at(TODAY, 8))
    assert count_queries() == few


def test_end_of_day_lists_everything_held_and_what_stays_overnight(sessions, school, day, now):
    office = school.actors["office"]
    held_devices.keep_overnight(
        sessions, office, day["second"], "Parent collecting tomorrow", now=now
    )
    report = console.end_of_day(sessions, now)
    assert {d.custody_id for d in report.devices} == {
        day["yesterday"],
        day["first"],
        day["second"],
        day["confiscated"],
    }
    assert report.kept == 1
    assert day["second"] not in {d.custody_id for d in report.undecided}


def test_free_slots_offer_reserved_slots_first_and_skip_used_or_broken_ones(sessions, day):
    free = console.free_slots(sessions)
    numbers = [s.number for s in free]
    reserved_left = [n for n in (19, 20) if n != day["confiscated_slot"]]
    assert numbers[: len(reserved_left)] == reserved_left
    assert not {1, 2, 3, 5, day["confiscated_slot"]} & set(numbers)
    assert numbers[len(reserved_left) :] == sorted(numbers[len(reserved_left) :])


def test_chain_of_custody_lists_every_event_for_the_device_with_its_hash(sessions, school, day):
    senior = school.actors["senior"]
    held_devices.move(sessions, senior, day["confiscated"], 18, now=at(TODAY, 9))
    confiscation.hand_to_police(
        sessions, senior, day["confiscated"], "PC Jo Bloggs", "4711", "CR/22"
    )

    chain = chain_of_custody.chain_of_custody(sessions, day["confiscated"])

    assert [e.kind for e in chain.events] == [
        "confiscated",
        "referred_to_dsl",
        "moved",
        "handed_to_police",
    ]
    with sessions() as session:
        stored = session.scalars(
            select(AuditEvent.hash).where(AuditEvent.custody_id == day["confiscated"])
        ).all()
    assert [e.hash for e in chain.events] == list(stored)
    assert chain.custody.state == "handed_to_police"
    assert chain.custody.police_reference == "CR/22"
    assert chain.events[2].words == f"Moved: slot {day['confiscated_slot']} to slot 18"
    assert "PC Jo Bloggs (4711)" in chain.events[3].words
    assert chain.events[0].words == "Confiscated: used in lesson; In maths"


def test_chain_of_custody_of_an_unknown_device_is_a_clear_error(sessions, school):
    with pytest.raises(Exception, match="No such device record"):
        chain_of_custody.chain_of_custody(sessions, 9999)


def test_a_scanned_card_finds_its_pupil(sessions, school):
    pupil_id = school.pupil_ids[4]
    found = pupils.find_by_card(sessions, school.card_texts[pupil_id])
    assert found.id == pupil_id
    assert not found.has_photo


def test_a_forged_or_replaced_card_is_refused(sessions, school):
    text = school.card_texts[school.pupil_ids[4]]
    with pytest.raises(UnknownCard):
        pupils.find_by_card(sessions, text[:-2] + ("AA" if text[-2:] != "AA" else "BB"))
    new_card(sessions, school.actors["admin"], school.pupil_ids[4])
    with pytest.raises(CardRevoked):
        pupils.find_by_card(sessions, text)


def test_typed_admission_number_or_name_finds_pupils(sessions, school):
    with sessions() as session:
        pupil = session.get(Pupil, school.pupil_ids[7])
        number, surname = pupil.admission_number, pupil.surname
    assert [p.id for p in pupils.find(sessions, number)] == [pupil.id]
    assert pupil.id in {p.id for p in pupils.find(sessions, surname)}
    assert pupils.find(sessions, "   ") == []


def test_printing_a_receipt_is_recorded_against_the_device(sessions, school, day):
    office = school.actors["office"]
    chain_of_custody.record_receipt(sessions, office, day["confiscated"], "chain_of_custody")
    chain = chain_of_custody.chain_of_custody(sessions, day["confiscated"])
    last = chain.events[-1]
    assert (last.kind, last.actor_name) == ("receipt_printed", "Olivia Office")
    assert last.words == "Receipt printed: chain of custody"


def test_receipts_are_only_recorded_for_staff_and_known_kinds(sessions, school, day):
    with pytest.raises(NotAuthorised):
        chain_of_custody.record_receipt(sessions, KIOSK_ACTOR, day["confiscated"], "release")
    with pytest.raises(InvalidInput):
        chain_of_custody.record_receipt(
            sessions, school.actors["office"], day["confiscated"], "other"
        )


def test_describing_a_redacted_event_says_the_details_were_removed():
    words = chain_of_custody.describe_event("released_to_parent", {"redacted": True}, redacted=True)
    assert words == "Released to parent/carer (details removed under the retention policy)"


def test_a_console_lock_is_recorded_for_staff_only(sessions, school):
    staff.record_console_locked(sessions, school.actors["office"], "idle")
    with sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == "staff_console_locked")
        ).one()
    assert (event.actor_name, event.details) == ("Olivia Office", '{"reason":"idle"}')
    with pytest.raises(NotAuthorised):
        staff.record_console_locked(sessions, KIOSK_ACTOR, "idle")
    with pytest.raises(InvalidInput):
        staff.record_console_locked(sessions, school.actors["office"], "bored")


@BOTH
def test_before_hand_in_opens_the_dashboard_says_when_it_opens(sessions, school):
    early = console.dashboard(sessions, at(TODAY, 6, 30))
    assert early.handin_opens_later == dt.time(7, 0)
    assert console.dashboard(sessions, at(TODAY, 8, 0)).handin_opens_later is None


def test_an_unknown_setting_lists_the_settings_there_are(sessions, school):
    with pytest.raises(InvalidInput, match=r"The settings are: .*handin_opens"):
        settings.update(sessions, school.actors["admin"], {"colour": "blue"})
