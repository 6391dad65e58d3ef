"""The admin's confiscation rules editor: the school's ladder and terms shown, edited,
saved as settings (with their audit event) and bad dates refused in words."""

from __future__ import annotations

import pytest
from fixtures.admin import *  # noqa: F403 (the admin tests' fixtures)
from PySide6.QtCore import Qt

from kiosk.services import ladder, settings, staff
from kiosk.ui.admin.ladder_page import LadderPage
from ui.staff.conftest import settle

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def page(qtbot, sessions, school):
    admin = next(m for m in staff.list_staff(sessions) if m.role == "admin")
    made = LadderPage(sessions, admin)
    qtbot.addWidget(made)
    made.resize(1264, 660)
    made.show()
    settle()
    return made


def saved(sessions, key):
    with sessions() as session:
        return settings.get_value(session, key)


def labels(page):
    return [page.step_form.itemAt(row, page.step_form.ItemRole.LabelRole).widget().text()
            for row in range(page.step_form.rowCount())]  # fmt: skip


def test_the_default_ladder_and_terms_are_shown(page):
    assert [step.currentData() for step in page.steps] == ["end_of_day", "end_of_week", "parent"]
    assert labels(page) == ["1st in a term", "2nd in a term", "3rd and later"]
    assert page.terms.toPlainText().split() == ["01-01", "04-07", "09-01"]
    assert page.term_now.text().startswith("Today is in the ")


def test_steps_are_added_changed_and_saved(qtbot, page, sessions):
    page.steps[0].setCurrentIndex(page.steps[0].findData("next_day"))
    qtbot.mouseClick(page.add_step, LEFT)
    assert labels(page)[-2:] == ["3rd in a term", "4th and later"]
    assert page.steps[-1].currentData() == "parent"  # a new step starts as the last one
    page.steps[2].setCurrentIndex(page.steps[2].findData("end_of_week"))
    page.terms.setPlainText("2026-09-03\n2026-10-26, 2027-01-05")
    qtbot.mouseClick(page.save_button, LEFT)
    settle()
    assert page.feedback.text() == "Saved. Confiscations from now on follow these rules."
    assert saved(sessions, "escalation_rules") == "next_day,end_of_week,end_of_week,parent"
    assert saved(sessions, "term_starts") == "2026-09-03,2026-10-26,2027-01-05"
    qtbot.mouseClick(page.remove_step, LEFT)
    assert len(page.steps) == 3 and labels(page)[-1] == "3rd and later"


def test_a_bad_term_date_is_refused_in_words_and_nothing_is_saved(qtbot, page, sessions):
    page.terms.setPlainText("09-01\n2027-02-30")
    qtbot.mouseClick(page.save_button, LEFT)
    settle()
    assert page.feedback.text() == (
        "Term start 2, '2027-02-30', is not a date: write it as 2026-09-03, "
        "or as 09-01 for the same day every year."
    )
    assert saved(sessions, "term_starts") == ladder.DEFAULT_TERM_STARTS


def test_nothing_changed_saves_nothing(qtbot, page):
    qtbot.mouseClick(page.save_button, LEFT)
    assert page.feedback.text() == "Nothing has changed."
