"""Granting an exemption from the Exemptions list, through the real widgets: the review date
starts at its default, follows the start and last day, can be changed, and is kept; one
before the start is refused in words and nothing is kept; office staff see no form."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QDate, Qt
from sqlalchemy import select

from kiosk.clock import day_text, local_date, utcnow
from kiosk.services.exemptions import default_review_on
from kiosk.tables import Exemption, Pupil
from kiosk.ui.staff.common import date_text
from kiosk.ui.staff.lists import ListsTab
from ui.staff.conftest import click, log_in, screenshot, settle


def qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def shown(edit) -> dt.date:
    date = edit.date()
    return dt.date(date.year(), date.month(), date.day())


def lists_tab(console, role) -> ListsTab:
    log_in(console, role)
    tab = console.show_tab("Lists")
    assert isinstance(tab, ListsTab)
    tab.show_list("exemptions")
    settle()
    return tab


@pytest.fixture
def tab(console) -> ListsTab:
    tab = lists_tab(console, "senior")
    assert tab.exemption_side.isVisible()
    return tab


def choose_pupil(qtbot, form, sessions, pupil_id):
    with sessions() as session:
        number = session.get(Pupil, pupil_id).admission_number
    qtbot.keyClicks(form.finder.search, number)
    qtbot.keyClick(form.finder.search, Qt.Key.Key_Return)
    settle()
    assert form.pupil is not None and form.pupil.id == pupil_id


def kept(sessions) -> list[Exemption]:
    with sessions() as session:
        return list(session.scalars(select(Exemption)))


def test_the_review_date_is_granted_and_listed(tab, qtbot, sessions, school, console, artifacts):
    form = tab.exemption_form
    today = local_date(utcnow())
    assert shown(form.review) == default_review_on(today, None)  # a year on
    assert form.review.displayFormat() == "dd/MM/yyyy"
    assert form.save_button.height() >= 64 and form.review.height() >= 64
    # a last day within the year: the review date follows it
    form.open_ended.setChecked(False)
    form.ends.setDate(qdate(today + dt.timedelta(days=40)))
    assert shown(form.review) == today + dt.timedelta(days=40)
    form.open_ended.setChecked(True)
    choose_pupil(qtbot, form, sessions, school.pupil_ids[2])
    qtbot.keyClicks(form.detail, "Glucose monitor app")
    review = today + dt.timedelta(days=180)
    form.review.setDate(qdate(review))
    assert form.review_words.text() == f"To be reviewed by {day_text(review)}."
    click(qtbot, form.save_button)
    assert f"review by {day_text(review)}" in form.feedback.text()
    [row] = kept(sessions)
    assert (row.pupil_id, row.category, row.ends_on, row.review_on) == (
        school.pupil_ids[2],
        "medical",
        None,
        review,
    )
    settle()
    titles = [c.title for c in tab.models["exemptions"].columns]
    review_column = titles.index("Review by")
    assert tab.proxy.index(0, review_column).data() == date_text(review)
    screenshot(console, artifacts, "exemption_form")


def test_a_review_date_before_the_start_is_refused_in_words(tab, qtbot, sessions, school):
    form = tab.exemption_form
    today = local_date(utcnow())
    choose_pupil(qtbot, form, sessions, school.pupil_ids[3])
    qtbot.keyClicks(form.detail, "Young carer: calls home")
    form.category.setCurrentIndex(form.category.findData("young_carer"))
    form.review.setDate(qdate(today - dt.timedelta(days=1)))
    click(qtbot, form.save_button)
    assert "before the exemption starts" in form.feedback.text()
    assert kept(sessions) == []


def test_without_a_pupil_the_form_says_what_to_do(tab, qtbot, sessions):
    click(qtbot, tab.exemption_form.save_button)
    assert "Find the pupil first" in tab.exemption_form.feedback.text()
    assert kept(sessions) == []


def test_office_staff_see_the_list_without_the_form(console):
    tab = lists_tab(console, "office")
    assert not tab.exemption_side.isVisible()
