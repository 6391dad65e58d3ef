from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from kiosk.services import confiscation, custody, held_devices, settings
from kiosk.services.confiscation import REASON_CATEGORIES
from kiosk.services.ladder import Condition
from kiosk.tables import AuditEvent, Confiscation, Custody, Pupil
from kiosk.ui.staff.confiscate import AUTOMATIC, ConfiscateTab
from ui.staff.conftest import click, log_in, screenshot, settle


@pytest.fixture
def tab(console):
    log_in(console, "office")
    tab = console.show_tab("Confiscate")
    settle()
    assert isinstance(tab, ConfiscateTab)
    return tab


def confiscations(sessions):
    with sessions() as session:
        return session.execute(
            select(Custody, Confiscation)
            .join(Confiscation)
            .options(selectinload(Custody.slot))
            .order_by(Custody.id)
        ).all()


def choose_reason(tab, reason):
    tab.reason.setCurrentIndex(REASON_CATEGORIES.index(reason))
    settle()


def test_a_scanned_pupil_is_confiscated_into_a_reserved_slot_after_confirmation(
    tab, console, qtbot, sessions, school, artifacts
):
    pupil_id = school.pupil_ids[9]
    console.handle_scan(school.card_texts[pupil_id])
    settle()
    assert tab.header.pupil.id == pupil_id
    assert tab.slot.currentText() == AUTOMATIC
    choose_reason(tab, "misuse / filming")
    qtbot.keyClicks(tab.note, "Filming another pupil at break")
    qtbot.keyClicks(tab.description, "Blue Samsung")
    tab.do_not_examine.setChecked(True)
    settle()
    screenshot(console, artifacts, "confiscate_form")

    click(qtbot, tab.review)
    assert tab.steps.currentWidget() is tab.confirm_box
    assert "Do not examine content" in tab.summary.text()
    assert confiscations(sessions) == []  # nothing is recorded before the confirmation
    screenshot(console, artifacts, "confiscate_confirm")

    click(qtbot, tab.confirm)
    [(record, details)] = confiscations(sessions)
    assert record.pupil_id == pupil_id and record.state == "held"
    assert record.slot.number in (19, 20) and record.slot.reserved_for_confiscation
    assert record.received_by_id == school.actors["office"].id
    assert record.description == "Blue Samsung"
    assert details.reason_category == "misuse / filming"
    assert details.note == "Filming another pupil at break"
    assert details.do_not_examine and details.dsl_referred_at is not None
    assert f"slot {record.slot.number}" in tab.feedback.text()
    assert "referred to the DSL" in tab.feedback.text()
    screenshot(console, artifacts, "confiscate_done")


def test_without_a_reason_nothing_is_recorded(tab, console, qtbot, sessions, school):
    console.handle_scan(school.card_texts[school.pupil_ids[9]])
    settle()
    click(qtbot, tab.review)
    assert tab.feedback.text() == "Please choose a reason."
    assert tab.steps.currentWidget() is tab.form
    assert confiscations(sessions) == []


def test_back_from_the_confirmation_keeps_what_was_typed(tab, console, qtbot, school):
    console.handle_scan(school.card_texts[school.pupil_ids[9]])
    settle()
    choose_reason(tab, "used in lesson")
    qtbot.keyClicks(tab.note, "Science")
    click(qtbot, tab.review)
    click(qtbot, tab.back)
    assert tab.steps.currentWidget() is tab.form
    assert tab.note.toPlainText() == "Science"


def test_a_chosen_slot_is_used_and_a_taken_one_is_refused_in_words(
    tab, console, qtbot, sessions, school
):
    console.handle_scan(school.card_texts[school.pupil_ids[9]])
    settle()
    choose_reason(tab, "used in lesson")
    tab.slot.setCurrentIndex(tab.slot.findData(7))
    settle()
    # Another kiosk takes slot 7 while the form is open.
    handed = custody.hand_in(sessions, school.pupil_ids[1])
    held_devices.move(sessions, school.actors["office"], handed.custody_id, 7)
    click(qtbot, tab.review)
    click(qtbot, tab.confirm)
    assert tab.feedback.text() == "Slot 7 already holds a device."
    assert confiscations(sessions) == []
    assert tab.slot.findData(7) == -1  # the list of free slots was reloaded

    tab.slot.setCurrentIndex(tab.slot.findData(8))
    settle()
    click(qtbot, tab.review)
    click(qtbot, tab.confirm)
    [(record, _)] = confiscations(sessions)
    assert record.slot.number == 8


def test_searching_by_name_lists_matches_to_tap(tab, qtbot, sessions, school):
    with sessions() as session:
        surname = session.get(Pupil, school.pupil_ids[0]).surname
        expected = session.scalar(
            select(func.count()).select_from(Pupil).where(Pupil.surname == surname)
        )
    finder = tab.finder  # the console's one pupil search (kiosk.ui.staff.pupil_finder)
    qtbot.keyClicks(finder.search, surname)
    qtbot.keyClick(finder.search, Qt.Key.Key_Return)
    settle()
    assert finder.results.rowCount() >= expected
    if expected > 1:
        rect = finder.table.visualRect(finder.proxy.index(0, 0))
        qtbot.mouseClick(finder.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        settle()
    assert tab.header.pupil.id == finder.proxy.row_at(0).id


def test_a_search_that_matches_nobody_says_so(tab, qtbot):
    qtbot.keyClicks(tab.finder.search, "Zzyzx")
    qtbot.keyClick(tab.finder.search, Qt.Key.Key_Return)
    settle()
    assert tab.feedback.text() == "No pupil matches that. Check the spelling or the number."
    assert tab.header.pupil is None
    assert not tab.form.isEnabled()


def test_a_card_of_a_pupil_who_has_left_is_refused(tab, console, sessions, school):
    pupil_id = school.pupil_ids[2]
    with sessions.begin() as session:
        session.get(Pupil, pupil_id).active = False
    console.handle_scan(school.card_texts[pupil_id])
    settle()
    assert tab.feedback.text() == "This pupil is no longer on roll. Please see the office."
    assert tab.header.pupil is None


def test_the_confiscation_is_recorded_with_the_member_of_staff(
    tab, console, qtbot, sessions, school
):
    console.handle_scan(school.card_texts[school.pupil_ids[9]])
    settle()
    choose_reason(tab, "other")
    click(qtbot, tab.review)
    click(qtbot, tab.confirm)
    with sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.kind == "confiscated")).one()
    assert (event.actor_id, event.actor_name) == (school.actors["office"].id, "Olivia Office")


# -- the escalation ladder (issue 18)


def confiscate_earlier(sessions, school, pupil_id, times):
    for _ in range(times):
        confiscation.confiscate(sessions, school.actors["office"], pupil_id, "used in lesson")


def scan_and_fill(tab, console, school, pupil_id):
    console.handle_scan(school.card_texts[pupil_id])
    settle()
    choose_reason(tab, "used in lesson")


@pytest.mark.parametrize(
    ("earlier", "rule", "count_words"),
    [
        (0, "end_of_day", "1st confiscation this term"),
        (1, "end_of_week", "2nd confiscation this term"),
        (2, "parent", "3rd confiscation this term"),
        (4, "parent", "5th confiscation this term"),
    ],
)
def test_the_form_shows_the_count_this_term_and_fills_in_the_rule(
    tab, console, qtbot, sessions, school, earlier, rule, count_words
):
    pupil_id = school.pupil_ids[9]
    confiscate_earlier(sessions, school, pupil_id, earlier)
    scan_and_fill(tab, console, school, pupil_id)
    assert tab.ladder.count.text().startswith(count_words)
    assert Condition(rule).words in tab.ladder.count.text()
    assert tab.ladder.chosen() == rule  # pre-filled from the school's rule
    assert not tab.ladder.reason.isVisibleTo(tab)  # no reason asked while it is the rule
    click(qtbot, tab.review)
    assert "the school's rule for the" in tab.summary.text()
    click(qtbot, tab.confirm)
    _record, details = confiscations(sessions)[-1]
    assert (details.term_step, details.release_condition) == (earlier + 1, rule)
    assert details.condition_note is None


def test_a_condition_other_than_the_rule_needs_a_reason_that_is_recorded(
    tab, console, qtbot, sessions, school
):
    pupil_id = school.pupil_ids[9]
    confiscate_earlier(sessions, school, pupil_id, 2)  # the 3rd: a parent must collect
    scan_and_fill(tab, console, school, pupil_id)
    tab.ladder.condition.setCurrentIndex(tab.ladder.condition.findData("end_of_day"))
    settle()
    assert tab.ladder.reason.isVisibleTo(tab)
    click(qtbot, tab.review)
    assert "Say why this one is different" in tab.feedback.text()
    assert tab.steps.currentWidget() is tab.form and len(confiscations(sessions)) == 2

    qtbot.keyClicks(tab.ladder.reason, "Parent in hospital; agreed with Mr Hale")
    click(qtbot, tab.review)
    assert "not the school's rule" in tab.summary.text()
    click(qtbot, tab.confirm)
    _record, details = confiscations(sessions)[-1]
    assert (details.term_step, details.release_condition) == (3, "end_of_day")
    assert details.condition_note == "Parent in hospital; agreed with Mr Hale"
    with sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == "confiscated").order_by(AuditEvent.seq)
        ).all()[-1]
    recorded = json.loads(event.details)
    assert recorded["rule"] == "parent" and recorded["release_condition"] == "end_of_day"
    assert recorded["differs_from_rule_because"] == "Parent in hospital; agreed with Mr Hale"
    assert recorded["term_step"] == 3


def test_the_rule_follows_the_ladder_the_admin_set(tab, console, qtbot, sessions, school):
    settings.update(sessions, school.actors["admin"], {"escalation_rules": "next_day,parent"})
    pupil_id = school.pupil_ids[9]
    scan_and_fill(tab, console, school, pupil_id)
    assert tab.ladder.chosen() == "next_day"
