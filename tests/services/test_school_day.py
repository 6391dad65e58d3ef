"""Issue 17: a hand-in without a card (staff vouch by name), a late hand-in, a lost card
replaced, and exam sessions with the kiosk's reminder and the list of who is missing."""

import datetime as dt
import json

import pytest
from sqlalchemy import select

from kiosk.errors import CardRevoked, InvalidInput, NotAuthorised
from kiosk.printing.cards import check_code_fits
from kiosk.services import card_runs, chain_check, custody, exams, school_day
from kiosk.tables import AuditEvent, Custody

MORNING = dt.datetime(2026, 11, 20, 8, 0)  # a Friday, 08:00 in London (GMT)
LATE = dt.datetime(2026, 11, 20, 10, 5)  # hand-in closes at 10:00 by default


def last_event(sessions) -> AuditEvent:
    with sessions() as s:
        return s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()


def stored(sessions, custody_id: int) -> Custody:
    with sessions() as s:
        found = s.get(Custody, custody_id)
        assert found is not None
        return found


def test_a_hand_in_without_a_card_names_the_member_of_staff(school, sessions):
    office = school.actors["office"]
    result = custody.hand_in_without_card(sessions, school.pupil_ids[0], office, now=MORNING)
    assert result.slot_number == 1 and not result.late
    row = stored(sessions, result.custody_id)
    assert row.card_less and row.received_by_id == office.id and not row.late
    event = last_event(sessions)
    assert (event.kind, event.actor_name) == ("hand_in_without_card", office.name)
    assert chain_check.verify(sessions).intact


def test_only_staff_may_vouch_for_a_pupil_without_a_card(school, sessions):
    from kiosk.services.audit import KIOSK_ACTOR

    with pytest.raises(NotAuthorised):
        custody.hand_in_without_card(sessions, school.pupil_ids[0], KIOSK_ACTOR, now=MORNING)


def test_a_hand_in_after_the_window_closes_is_late_and_listed(school, sessions):
    on_time = custody.hand_in(sessions, school.pupil_ids[0], now=MORNING)
    late = custody.hand_in_by_card(sessions, school.card_texts[school.pupil_ids[1]], now=LATE)
    assert late.late and not on_time.late
    assert stored(sessions, late.custody_id).late
    assert json.loads(last_event(sessions).details) == {"late": True}
    listed = school_day.late_today(sessions, now=LATE)
    assert [x.pupil.id for x in listed] == [school.pupil_ids[1]]
    assert listed[0].slot_number == late.slot_number and not listed[0].card_less


def test_a_lost_card_is_replaced_and_the_old_one_refused(school, sessions):
    pupil_id = school.pupil_ids[2]
    old_card = school.card_texts[pupil_id]
    batch = card_runs.replace_lost_card(
        sessions, school.actors["admin"], pupil_id, fits_on_card=check_code_fits
    )
    assert [face.pupil_id for face in batch.faces] == [pupil_id] and batch.reissued == 1
    with pytest.raises(CardRevoked):
        custody.hand_in_by_card(sessions, old_card, now=MORNING)
    assert custody.hand_in_by_card(sessions, batch.faces[0].text, now=MORNING).slot_number == 1
    with sessions() as s:
        lost = s.scalars(select(AuditEvent.kind).order_by(AuditEvent.seq)).all()
    assert "card_reported_lost" in lost and "card_reissued" in lost


def test_an_exam_reminds_its_candidates_and_lists_those_not_handed_in(school, sessions):
    senior = school.actors["senior"]
    first, second, outsider = school.pupil_ids[0], school.pupil_ids[1], school.pupil_ids[2]
    info = exams.set_exam(
        sessions,
        senior,
        MORNING.date(),
        dt.time(9, 30),
        "GCSE Maths paper 1",
        exams.Candidates(pupil_ids=(first, second)),
        now=MORNING,
    )
    assert info.candidates == 2 and exams.exams_on(sessions, MORNING.date()) == [info]
    assert custody.hand_in(sessions, first, now=MORNING).exam_today
    assert not custody.hand_in(sessions, outsider, now=MORNING).exam_today
    missing = exams.candidates_not_handed_in(sessions, now=MORNING)
    assert [(m.pupil.id, m.exam_title) for m in missing] == [(second, "GCSE Maths paper 1")]
    tomorrow = MORNING + dt.timedelta(days=1)
    assert not custody.hand_in(sessions, school.pupil_ids[3], now=tomorrow).exam_today
    assert last_event(sessions).kind == "hand_in"


def test_an_exam_needs_a_title_candidates_and_a_senior_member(school, sessions):
    day, start = MORNING.date(), dt.time(9)
    with pytest.raises(InvalidInput):
        exams.set_exam(sessions, school.actors["senior"], day, start, " ", exams.Candidates())
    with pytest.raises(InvalidInput):
        exams.set_exam(
            sessions, school.actors["senior"], day, start, "Maths", exams.Candidates(), now=MORNING
        )
    with pytest.raises(NotAuthorised):
        exams.set_exam(
            sessions,
            school.actors["office"],
            day,
            start,
            "Maths",
            exams.Candidates(years=(7,)),
            now=MORNING,
        )
