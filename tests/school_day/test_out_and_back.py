"""Out and back during the day, and emergencies, through the real services: an early leaver
gets their slot back, a trip of 30 comes back 29 strong and the one still out is listed, an
emergency release of 280 devices shows the day after as what was never given back."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from kiosk.errors import InvalidInput, NotAuthorised
from kiosk.services import console, custody, day_outs, emergency
from kiosk.tables import AuditEvent, Custody, DayOut

from .conftest import database_on_both as database_url  # noqa: F401 (SQLite and PostgreSQL)

T0 = dt.datetime(2026, 11, 20, 8, 0)  # a Friday, 08:00 UTC (school-local too)
NOON = T0 + dt.timedelta(hours=4)
TWO = T0 + dt.timedelta(hours=6)


def count(sessions, kind: str) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).where(AuditEvent.kind == kind)) or 0


def test_an_early_leaver_who_comes_back_gets_the_same_slot(school, sessions):
    office = school.actors["office"]
    pupil, card = school.pupil_ids[0], school.card_texts[school.pupil_ids[0]]
    morning = custody.hand_in_by_card(sessions, card, now=T0)
    custody.hand_in_by_card(sessions, school.card_texts[school.pupil_ids[1]], now=T0)
    out = day_outs.release_for_day_out(
        sessions, office, [pupil], "appointment", "dentist", now=NOON
    )
    assert [(o.pupil.id, o.slot_number, o.devices) for o in out.out] == [
        (pupil, morning.slot_number, 1)
    ]
    assert [o.pupil.id for o in day_outs.still_out(sessions, now=NOON)] == [pupil]
    back = custody.hand_in_by_card(sessions, card, now=TWO)
    assert not back.already_held and back.slot_number == morning.slot_number
    assert day_outs.still_out(sessions, now=TWO) == []
    with sessions() as s:
        (row,) = s.scalars(select(DayOut))
        assert row.back_at == TWO and row.back_custody_id == back.custody_id
        first = s.get(Custody, morning.custody_id)
        assert first is not None and (first.state, first.release_reason) == (
            "released",
            "appointment",
        )
    assert count(sessions, "released_for_day_out") == 1


def test_a_leaver_whose_slot_was_taken_gets_another(school, sessions):
    office = school.actors["office"]
    pupil, card = school.pupil_ids[0], school.card_texts[school.pupil_ids[0]]
    morning = custody.hand_in_by_card(sessions, card, now=T0)
    day_outs.release_for_day_out(sessions, office, [pupil], "illness", now=NOON)
    late = custody.hand_in(sessions, school.pupil_ids[1], now=NOON)
    assert late.slot_number == morning.slot_number  # the lowest free slot
    back = custody.hand_in_by_card(sessions, card, now=TWO)
    assert back.slot_number != morning.slot_number and not back.already_held


def test_a_trip_of_30_released_in_one_action_and_29_back(school, sessions):
    office = school.actors["office"]
    trip = school.pupil_ids[:30]
    for pupil in trip:
        custody.hand_in(sessions, pupil, now=T0)
    out = day_outs.release_for_day_out(
        sessions, office, trip, "trip", group_name="Year 9 museum", now=NOON
    )
    assert len(out.out) == 30 and out.devices == 30
    assert count(sessions, "group_out") == 1
    assert console.dashboard(sessions, now=NOON).held_today == 0
    for pupil in trip[:29]:
        custody.hand_in_by_card(sessions, school.card_texts[pupil], now=TWO)
    still = day_outs.still_out(sessions, now=TWO)
    assert [(o.pupil.id, o.group_name, o.reason_words) for o in still] == [
        (trip[29], "Year 9 museum", "Trip")
    ]
    assert console.dashboard(sessions, now=TWO).held_today == 29
    # releasing again someone already out changes nothing for them
    again = day_outs.release_for_day_out(sessions, office, [trip[29]], "trip", now=TWO)
    assert again.out == () and [p.id for p in again.already_out] == [trip[29]]
    day_outs.mark_back(sessions, office, still[0].id, now=TWO)
    assert day_outs.still_out(sessions, now=TWO) == []


def test_a_group_is_picked_by_form_or_year(school, sessions):
    form = day_outs.pupils_of(sessions, form="9A")
    year = day_outs.pupils_of(sessions, year=9)
    assert form and all(p.reg_group == "9A" for p in form)
    assert {p.id for p in form} <= {p.id for p in year}
    with pytest.raises(InvalidInput):
        day_outs.pupils_of(sessions)


def test_a_day_out_needs_a_known_reason_and_a_note_for_other(school, sessions):
    office = school.actors["office"]
    with pytest.raises(InvalidInput):
        day_outs.release_for_day_out(sessions, office, [school.pupil_ids[0]], "shopping")
    with pytest.raises(InvalidInput):
        day_outs.release_for_day_out(sessions, office, [school.pupil_ids[0]], "other")


def test_an_emergency_release_of_280_devices_and_the_reconciliation_next_day(school, sessions):
    senior, office = school.actors["senior"], school.actors["office"]
    for pupil in school.pupil_ids[:280]:
        custody.hand_in(sessions, pupil, now=T0)
    with pytest.raises(NotAuthorised):
        emergency.held_list(sessions, office, now=NOON)
    listing = emergency.held_list(sessions, senior, now=NOON)
    assert len(listing.devices) == 280 and listing.pupils == 280
    forms = [(d.pupil.year_group, d.pupil.reg_group) for d in listing.devices]
    assert forms == sorted(forms)  # by year, then form: 7A before 10A
    assert emergency.release_all(sessions, senior, "Fire alarm: evacuation", now=NOON) == 280
    assert console.all_held(sessions) == []
    assert count(sessions, "released_in_emergency") == 280
    assert count(sessions, "emergency_release") == 1
    # 200 confirmed back at the muster point; the rest shows the day after
    given = [d.custody_id for d in listing.devices[:200]]
    assert emergency.confirm_given_back(sessions, office, given, now=NOON) == 200
    tomorrow = T0 + dt.timedelta(days=1)
    left = emergency.not_given_back(sessions)
    assert len(left) == 80
    assert {d.custody_id for d in left} == {d.custody_id for d in listing.devices[200:]}
    assert console.dashboard(sessions, now=tomorrow).held_today == 0
    # the slots are free again for the next morning
    morning = custody.hand_in(sessions, school.pupil_ids[0], now=tomorrow)
    assert morning.slot_number == 1


def test_the_dashboard_counts_who_is_out_and_what_is_not_back_after_an_emergency(school, sessions):
    office, senior = school.actors["office"], school.actors["senior"]
    for pupil in school.pupil_ids[:3]:
        custody.hand_in(sessions, pupil, now=T0)
    day_outs.release_for_day_out(sessions, office, school.pupil_ids[:1], "club", now=NOON)
    assert console.dashboard(sessions, now=NOON).out_now == 1
    emergency.release_all(sessions, senior, "Gas leak", now=NOON)
    board = console.dashboard(sessions, now=NOON)
    assert (board.emergency_not_back, board.held_today) == (2, 0)


def test_the_custody_log_names_the_devices_and_why_they_left(school, sessions, tmp_path):
    import csv

    from kiosk.devices import Device, DeviceKind
    from kiosk.exports.run import ExportRequest, run_export
    from kiosk.services.reports.filter import ReportFilter

    office, senior = school.actors["office"], school.actors["senior"]
    pupil = school.pupil_ids[0]
    watch = [Device(DeviceKind.PHONE), Device(DeviceKind.WATCH)]
    custody.hand_in(sessions, pupil, now=T0, devices=watch)
    day_outs.release_for_day_out(sessions, office, [pupil], "appointment", "dentist", now=NOON)
    day = ReportFilter(T0.date(), T0.date())
    out = tmp_path / "custody.csv"
    run_export(sessions, senior, ExportRequest("custody", "csv", day), out)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        header, row = list(csv.reader(fh))
    by_title = dict(zip(header, row, strict=True))
    assert by_title["Devices"] == "phone, watch"
    assert by_title["Release reason"] == "appointment: dentist"
    assert by_title["Outcome"] == "Given back"


def test_a_devices_chain_of_custody_tells_the_day_in_words(school, sessions):
    from kiosk.services.chain_of_custody import chain_of_custody

    office = school.actors["office"]
    pupil = school.pupil_ids[0]
    first = custody.hand_in(sessions, pupil, now=T0)
    day_outs.release_for_day_out(sessions, office, [pupil], "appointment", "dentist", now=NOON)
    back = custody.hand_in(sessions, pupil, now=TWO)
    left = [e.words for e in chain_of_custody(sessions, first.custody_id or 0).events]
    assert left[-1] == "Released: pupil out during the day: appointment; dentist"
    returned = [e.words for e in chain_of_custody(sessions, back.custody_id or 0).events]
    assert returned[0] == "Handed in: back from appointment"
