from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import update

from kiosk.clock import local_date, utcnow
from kiosk.event_kinds import EventKind
from kiosk.services import (
    confiscation,
    custody,
    exemptions,
    held_devices,
    probes,
    pupils,
    slot_checks,
    slots,
)
from kiosk.services.exemptions import default_review_on
from kiosk.tables import Exemption, Pupil
from kiosk.ui.staff.common import date_text
from kiosk.ui.staff.dashboard import DashboardTab
from kiosk.ui.staff.lists import ListsTab
from kiosk.ui.staff.slot_map import COLOURS
from ui.staff.conftest import click, log_in, screenshot, settle


@pytest.fixture
def day(sessions, school):
    """Ten pupils bring devices: three handed in today, one left from yesterday, one
    confiscated four days ago, one exempt; slot 5 is out of service."""
    p = school.pupil_ids
    with sessions.begin() as session:
        session.execute(update(Pupil).values(brings_device=False))
        session.execute(update(Pupil).where(Pupil.id.in_(p[:10])).values(brings_device=True))
    office = school.actors["office"]
    yesterday = custody.hand_in(sessions, p[0], now=utcnow() - dt.timedelta(days=1))
    today = [custody.hand_in(sessions, pupil_id) for pupil_id in p[1:4]]
    confiscated = confiscation.confiscate(
        sessions, office, p[4], "used in lesson", now=utcnow() - dt.timedelta(days=4)
    )
    exemptions.grant(sessions, school.actors["senior"], p[5], "medical", "Glucose monitor")
    slots.set_in_service(sessions, office, 5, False, "Hinge broken")
    return {"yesterday": yesterday, "today": today, "confiscated": confiscated}


@pytest.fixture
def dashboard(console, day):
    log_in(console, "office")
    tab = console.tabs.currentWidget()
    assert isinstance(tab, DashboardTab)
    return tab


def test_the_dashboard_counts_the_day(dashboard, console, artifacts):
    counts = {name: tile.count for name, tile in dashboard.tiles.items()}
    assert counts == {
        "held_today": 3,
        "held_overnight": 1,
        "confiscations": 1,
        "expected": 4,  # p6..p9: p0 still held, p4 confiscated, p5 exempt
        "exemptions": 1,
        "free_slots": 20 - 5 - 1,
    }
    screenshot(console, artifacts, "dashboard")


def slot_centre(slot_map, number):
    """Where slot ``number`` is drawn, found as a person finds it: cell by cell."""
    position = 0
    while (slot := slot_map.slot_at(slot_map.cell_rect(position).center())) is not None:
        if slot.number == number:
            return slot_map.cell_rect(position).center()
        position += 1
    raise LookupError(number)


def test_the_slot_map_colours_slots_and_tapping_one_says_who_and_since_when(
    dashboard, qtbot, day, console, artifacts
):
    slot_map = dashboard.slot_map
    assert slot_map.slot(1).state == "daily"
    assert slot_map.slot(5).state == "out_of_service"
    assert slot_map.slot(day["confiscated"].slot_number).state == "confiscation"
    image = slot_map.grab().toImage()
    centre = slot_centre(slot_map, 5)
    assert image.pixelColor(centre.x() - 20, centre.y() + 20).name() == COLOURS["out_of_service"]

    number = day["today"][0].slot_number
    qtbot.mouseClick(slot_map, Qt.MouseButton.LeftButton, pos=slot_centre(slot_map, number))
    settle()
    detail = dashboard.slot_detail.text()
    assert detail.startswith(f"Slot {number} (cabinet A): {day['today'][0].pupil.display_name}")
    assert "daily hand-in since" in detail
    screenshot(console, artifacts, "dashboard_slot_tapped")

    qtbot.mouseClick(slot_map, Qt.MouseButton.LeftButton, pos=slot_centre(slot_map, 5))
    settle()
    assert dashboard.slot_detail.text() == "Slot 5 (cabinet A): out of service"


def test_tapping_a_tile_opens_its_list(dashboard, qtbot, console):
    click(qtbot, dashboard.tiles["confiscations"])
    settle()
    lists = console.tabs.currentWidget()
    assert isinstance(lists, ListsTab)
    assert lists.current == "confiscations"
    assert lists.proxy.rowCount() == 1


def test_the_dashboard_refreshes_when_shown_again(dashboard, console, sessions, school):
    console.show_tab("Lists")
    settle()
    custody.hand_in(sessions, school.pupil_ids[6])
    console.show_tab("Dashboard")
    settle()
    assert dashboard.tiles["held_today"].count == 4


@pytest.fixture
def lists(console, day):
    log_in(console, "office")
    tab = console.show_tab("Lists")
    settle()
    assert isinstance(tab, ListsTab)
    return tab


def column(tab, title):
    model = tab.models[tab.current]
    index = [c.title for c in model.columns].index(title)
    return [tab.proxy.index(r, index).data() for r in range(tab.proxy.rowCount())]


def test_each_list_shows_its_rows(lists, day, school, console, artifacts):
    assert len(column(lists, "Name")) == 3
    lists.show_list("held_overnight")
    settle()
    assert column(lists, "Name") == [day["yesterday"].pupil.display_name]
    lists.show_list("confiscations")
    settle()
    assert column(lists, "Age (days)") == ["4"]
    screenshot(console, artifacts, "lists_confiscations")
    lists.show_list("expected")
    settle()
    assert len(column(lists, "Name")) == 4
    lists.show_list("exemptions")
    settle()
    assert column(lists, "Category") == ["medical"]
    assert column(lists, "Approved by") == ["Sam Senior (DSL)"]
    today = local_date(utcnow())
    assert column(lists, "Review by") == [date_text(default_review_on(today, None))]


def test_the_exemption_list_shows_review_dates_overdue_first(lists, sessions, school):
    senior, p = school.actors["senior"], school.pupil_ids
    today = local_date(utcnow())
    month_ago = today - dt.timedelta(days=30)
    exemptions.grant(sessions, senior, p[6], "young_carer", "Calls", month_ago, review_on=today)
    late = exemptions.grant(
        sessions, senior, p[7], "other", "Agreed", month_ago, review_on=month_ago
    )
    with sessions.begin() as session:  # granted before exemptions had review dates
        session.execute(update(Exemption).where(Exemption.id == late.id).values(review_on=None))
    exemptions.grant(
        sessions, senior, p[8], "medical", "Pump", month_ago, review_on=today - dt.timedelta(1)
    )
    lists.show_list("exemptions")
    settle()
    index = [c.title for c in lists.models["exemptions"].columns].index("Review by")
    lists.table.sortByColumn(index, Qt.SortOrder.AscendingOrder)
    assert column(lists, "Review by") == [
        "no review date",
        f"{date_text(today - dt.timedelta(1))} (review overdue)",
        date_text(today),
        date_text(default_review_on(today, None)),
    ]


def test_a_list_is_searched_by_form_or_year(lists, qtbot, sessions, school, day):
    lists.show_list("expected")
    settle()
    rows = lists.models["expected"].rows
    form = rows[0].reg_group
    qtbot.keyClicks(lists.search, form.lower())
    assert {p.reg_group for p in lists.proxy.visible_rows()} == {form}
    lists.search.clear()
    year = rows[0].year_group
    qtbot.keyClicks(lists.search, f"y{year}")
    assert {p.year_group for p in lists.proxy.visible_rows()} == {year}
    shown = lists.proxy.rowCount()
    assert lists.count.text() == (f"{shown} of 4" if shown != 4 else "4")


def test_a_search_that_matches_nobody_says_so(lists, qtbot):
    qtbot.keyClicks(lists.search, "nobody-like-this")
    assert lists.proxy.rowCount() == 0
    assert lists.feedback.text() == "Nobody on this list matches the search."


def test_sorting_by_slot_is_numeric(lists, qtbot, sessions, school):
    office = school.actors["office"]
    for held in lists.models["held_today"].rows:
        custody.collect(sessions, held.custody_id, office)
    for pupil_id, slot in ((school.pupil_ids[6], 10), (school.pupil_ids[7], 9)):
        result = custody.hand_in(sessions, pupil_id)
        if result.slot_number != slot:
            held_devices.move(sessions, office, result.custody_id, slot)
    lists.refresh()
    settle()
    slot_column = [c.title for c in lists.models["held_today"].columns].index("Slot")
    lists.table.sortByColumn(slot_column, Qt.SortOrder.AscendingOrder)
    assert column(lists, "Slot") == ["9", "10"]  # as numbers: a text sort gives 10 first
    lists.table.sortByColumn(slot_column, Qt.SortOrder.DescendingOrder)
    assert column(lists, "Slot") == ["10", "9"]


def test_an_empty_list_says_so(lists, sessions, school):
    lists.show_list("held_overnight")
    settle()
    custody.collect(
        sessions, lists.models["held_overnight"].rows[0].custody_id, school.actors["office"]
    )
    lists.refresh()
    settle()
    assert lists.feedback.text() == "No daily hand-ins were left from an earlier day."


def test_the_dashboard_shows_slots_to_check_and_probing_and_clears_a_checked_slot(
    make_console, qtbot, sessions, school, artifacts
):
    pupil = school.pupil_ids[0]
    undone = custody.hand_in(sessions, pupil)
    custody.undo_hand_in(
        sessions, undone.custody_id, card_text=school.card_texts[pupil]
    )  # by the pupil at the kiosk, with their card shown again
    tally = probes.ProbeTally()
    minute = utcnow().replace(second=0, microsecond=0)
    for reason in ("forged", "not_a_card", "not_a_card"):
        tally.note(EventKind.CARDS_REFUSED, reason, minute)
    tally.note(EventKind.CARDS_REFUSED, "forged", minute + dt.timedelta(minutes=1))
    probes.record_bursts(sessions, "kiosk 1", tally.drain())
    console = make_console()
    log_in(console, "office")
    tab = console.tabs.currentWidget()
    assert isinstance(tab, DashboardTab)
    panel = tab.attention
    qtbot.waitUntil(lambda: 1 in panel.check_buttons, timeout=5000)
    assert panel.isVisible()
    assert "4 cards refused at kiosk 1" in panel.probing.text()
    qtbot.waitUntil(lambda: tab.data is not None, timeout=5000)
    assert tab.slot_map.slot(1).state == "to_check"  # not counted free, amber on the map
    assert tab.tiles["free_slots"].count == 20 - 1
    screenshot(console, artifacts, "dashboard_attention")
    click(qtbot, panel.check_buttons[1])
    qtbot.waitUntil(lambda: panel.check_buttons == {}, timeout=5000)
    assert panel.feedback.text() == "Slot 1 is in use again."
    assert slot_checks.slots_to_check(sessions) == []


def test_the_confiscations_list_shows_each_ones_step_this_term(lists, sessions, school):
    office, pupil = school.actors["office"], school.pupil_ids[6]
    for given in (None, None, "end_of_day"):  # the 3rd's rule is "a parent collects"
        confiscation.confiscate(
            sessions, office, pupil, "other", release_condition=given, condition_reason="Agreed"
        )
    lists.show_list("confiscations")
    settle()
    mine = [
        step
        for name, step in zip(column(lists, "Name"), column(lists, "Step this term"), strict=True)
        if name == pupils.summary(sessions, pupil).display_name
    ]
    assert mine == ["1st: End of day", "2nd: End of week", "3rd: End of day"]
