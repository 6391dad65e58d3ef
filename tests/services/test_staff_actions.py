import datetime as dt

import pytest
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)
from sqlalchemy import select

from kiosk.errors import (
    AlreadyHeld,
    ConfiscatedNeedsParent,
    InvalidInput,
    NotAuthorised,
    NotHeld,
    SlotUnavailable,
)
from kiosk.services import chain_of_custody, confiscation, custody, slots
from kiosk.services.audit import KIOSK_ACTOR
from kiosk.tables import AuditEvent, Custody

T0 = dt.datetime(2026, 11, 20, 8, 0)


def last_event(sessions) -> AuditEvent:
    with sessions() as s:
        return s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()


def confiscated(school, sessions, **kwargs):
    return confiscation.confiscate(
        sessions,
        school.actors["office"],
        school.pupil_ids[0],
        "used in lesson",
        "Filming in science",
        now=T0,
        **kwargs,
    )


def test_collecting_releases_the_device_to_the_pupil_and_frees_the_slot(school, sessions):
    office = school.actors["office"]
    handed = custody.hand_in(sessions, school.pupil_ids[0], now=T0)
    info = custody.collect(sessions, handed.custody_id, office, now=T0 + dt.timedelta(hours=7))
    assert (info.state, info.slot_number) == ("released", 1)
    event = last_event(sessions)
    assert (event.kind, event.actor_name, event.slot_number) == ("collected", office.name, 1)
    with pytest.raises(NotHeld):
        custody.collect(sessions, handed.custody_id, office)
    assert custody.hand_in(sessions, school.pupil_ids[1], now=T0).slot_number == 1


def test_the_kiosk_itself_cannot_release_a_device(school, sessions):
    handed = custody.hand_in(sessions, school.pupil_ids[0], now=T0)
    with pytest.raises(NotAuthorised):
        custody.collect(sessions, handed.custody_id, KIOSK_ACTOR)


def test_a_confiscation_goes_to_a_reserved_slot_and_is_recorded_with_the_reason(school, sessions):
    info = confiscated(school, sessions, description="Black iPhone, cracked case")
    assert info.kind == "confiscation" and info.slot_number in (19, 20)
    event = last_event(sessions)
    assert event.kind == "confiscated" and "Filming in science" in event.details


def test_a_confiscated_device_is_never_given_to_the_pupil(school, sessions):
    info = confiscated(school, sessions)
    with pytest.raises(ConfiscatedNeedsParent):
        custody.collect(sessions, info.id, school.actors["office"])
    check = custody.check_collection(sessions, school.card_texts[school.pupil_ids[0]])
    assert check.daily is None and [c.id for c in check.confiscations] == [info.id]


def test_release_to_a_parent_needs_name_relationship_and_id_seen(school, sessions):
    office = school.actors["office"]
    info = confiscated(school, sessions)
    with pytest.raises(InvalidInput):
        confiscation.release_to_parent(sessions, office, info.id, " ", "mother", True)
    with pytest.raises(InvalidInput):
        confiscation.release_to_parent(sessions, office, info.id, "Ann Smith", "mother", False)
    released = confiscation.release_to_parent(
        sessions, office, info.id, "Ann  Smith", "Mother", True
    )
    assert released.state == "released"
    with sessions() as s:
        row = s.get(Custody, info.id)
        assert (row.released_to, row.released_to_name, row.id_seen) == ("parent", "Ann Smith", True)


def test_a_device_referred_to_the_dsl_can_only_be_released_by_senior_staff(school, sessions):
    office, senior = school.actors["office"], school.actors["senior"]
    info = confiscated(school, sessions)
    confiscation.refer_to_dsl(sessions, office, info.id, "Possible indecent image")
    with pytest.raises(NotAuthorised):
        confiscation.release_to_parent(sessions, office, info.id, "Ann Smith", "mother", True)
    confiscation.release_to_parent(sessions, senior, info.id, "Ann Smith", "mother", True)


def test_do_not_examine_flags_the_device_for_the_dsl_at_once(school, sessions):
    info = confiscated(school, sessions, do_not_examine=True)
    assert info.dsl_referred


def test_only_senior_staff_hand_a_device_to_the_police(school, sessions):
    office, senior = school.actors["office"], school.actors["senior"]
    info = confiscated(school, sessions)
    with pytest.raises(NotAuthorised):
        confiscation.hand_to_police(sessions, office, info.id, "PC Jane Doe", "4411", "CR/123/26")
    with pytest.raises(InvalidInput):
        confiscation.hand_to_police(sessions, senior, info.id, "PC Jane Doe", "", "CR/123/26")
    confiscation.hand_to_police(sessions, senior, info.id, "PC Jane Doe", "4411", "CR/123/26")
    assert chain_of_custody.chain_of_custody(sessions, info.id).custody.state == "handed_to_police"
    assert "CR/123/26" in last_event(sessions).details


def test_moving_a_device_checks_the_target_slot(school, sessions):
    office = school.actors["office"]
    a = custody.hand_in(sessions, school.pupil_ids[0], now=T0)
    b = custody.hand_in(sessions, school.pupil_ids[1], now=T0)
    with pytest.raises(AlreadyHeld):
        custody.move(sessions, office, a.custody_id, b.slot_number)
    with pytest.raises(SlotUnavailable):
        custody.move(sessions, office, a.custody_id, 999)
    moved = custody.move(sessions, office, a.custody_id, 7)
    assert moved.slot_number == 7
    assert '"from_slot":1' in last_event(sessions).details


def test_a_slot_holding_a_device_cannot_go_out_of_service_until_it_is_moved(school, sessions):
    office, admin = school.actors["office"], school.actors["admin"]
    a = custody.hand_in(sessions, school.pupil_ids[0], now=T0)
    with pytest.raises(AlreadyHeld, match="move it"):
        slots.set_in_service(sessions, office, 1, False, "lock broken")
    custody.move(sessions, office, a.custody_id, 5)
    slots.set_in_service(sessions, office, 1, False, "lock broken")
    assert custody.hand_in(sessions, school.pupil_ids[1], now=T0).slot_number == 2
    with pytest.raises(NotAuthorised):
        slots.set_in_service(sessions, office, 1, True)
    slots.set_in_service(sessions, admin, 1, True)


def test_keeping_a_device_overnight_is_recorded_with_the_reason(school, sessions):
    a = custody.hand_in(sessions, school.pupil_ids[0], now=T0)
    custody.keep_overnight(
        sessions,
        school.actors["office"],
        a.custody_id,
        "Pupil went home ill",
        now=T0 + dt.timedelta(hours=8),
    )
    with sessions() as s:
        assert s.get(Custody, a.custody_id).keep_overnight_on == dt.date(2026, 11, 20)
    assert "went home ill" in last_event(sessions).details
