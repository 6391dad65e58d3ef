from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from kiosk.clock import local_date, utcnow
from kiosk.services import confiscation, custody
from kiosk.tables import AuditEvent, Custody
from kiosk.ui.staff.end_of_day import EndOfDayTab
from ui.staff.conftest import click, log_in, screenshot, settle


@pytest.fixture
def still_held(sessions, school):
    ids = [custody.hand_in(sessions, p).custody_id for p in school.pupil_ids[:3]]
    ids.append(
        confiscation.confiscate(sessions, school.actors["office"], school.pupil_ids[3], "other").id
    )
    return ids


@pytest.fixture
def tab(console, still_held):
    log_in(console, "office")
    tab = console.show_tab("End of day")
    settle()
    assert isinstance(tab, EndOfDayTab)
    return tab


def kept_tonight(sessions):
    today = local_date(utcnow())
    with sessions() as session:
        return set(session.scalars(select(Custody.id).where(Custody.keep_overnight_on == today)))


def select_row_of(qtbot, tab, custody_id):
    for row in range(tab.proxy.rowCount()):
        if tab.proxy.row_at(row).custody_id == custody_id:
            rect = tab.table.visualRect(tab.proxy.index(row, 0))
            qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            settle()
            return
    raise LookupError(custody_id)


def test_the_reconciliation_lists_everything_still_held(tab, still_held, console, artifacts):
    assert {d.custody_id for d in tab.model.rows} == set(still_held)
    assert tab.summary.text() == "4 still held: 0 kept overnight, 4 to decide."
    screenshot(console, artifacts, "end_of_day")


def test_keeping_one_device_overnight(tab, qtbot, sessions, still_held):
    select_row_of(qtbot, tab, still_held[1])
    qtbot.keyClicks(tab.reason, "Not collected at home time")
    click(qtbot, tab.keep_one)
    assert kept_tonight(sessions) == {still_held[1]}
    assert tab.summary.text() == "4 still held: 1 kept overnight, 3 to decide."
    with sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.kind == "kept_overnight")).one()
    assert event.custody_id == still_held[1]
    assert event.details == '{"reason":"Not collected at home time"}'


def test_keep_needs_a_device_chosen(tab, qtbot, sessions):
    click(qtbot, tab.keep_one)
    assert tab.feedback.text() == "Tap a device in the list first."
    assert kept_tonight(sessions) == set()


def test_keeping_all_asks_first_then_records_each_one(
    tab, qtbot, sessions, still_held, console, artifacts
):
    select_row_of(qtbot, tab, still_held[0])
    click(qtbot, tab.keep_one)
    click(qtbot, tab.keep_all)
    assert "all 3 undecided devices" in tab.confirm_box.question.text()
    assert kept_tonight(sessions) == {still_held[0]}
    screenshot(console, artifacts, "end_of_day_confirm")

    click(qtbot, tab.confirm_box.yes)
    assert kept_tonight(sessions) == set(still_held)
    assert tab.feedback.text() == "Recorded: 3 devices kept overnight."
    assert tab.summary.text() == "4 still held: 4 kept overnight, 0 to decide."
    assert not tab.keep_all.isEnabled()
    with sessions() as session:
        events = session.scalars(
            select(AuditEvent.actor_name).where(AuditEvent.kind == "kept_overnight")
        ).all()
    assert events == ["Olivia Office"] * 4
    screenshot(console, artifacts, "end_of_day_done")


def test_a_device_given_back_meanwhile_stops_keep_all_with_a_clear_message(
    tab, qtbot, sessions, school, still_held
):
    click(qtbot, tab.keep_all)
    custody.collect(sessions, still_held[0], school.actors["office"])  # on another kiosk
    click(qtbot, tab.confirm_box.yes)
    assert tab.feedback.is_error
    assert "That device is no longer held." in tab.feedback.text()
    assert tab.model.rowCount() == 3
