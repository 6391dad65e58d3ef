"""Issue 17 in the staff console: late hand-ins in Lists (and the custody log CSV), an
exam session set in the Exams tab, its candidates not handed in listed and on the
dashboard."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import update

from kiosk.clock import SCHOOL_ZONE, start_of_local_day
from kiosk.exports.run import ExportRequest, run_export
from kiosk.services import custody, exams, pupils, settings
from kiosk.services.reports.filter import ReportFilter
from kiosk.tables import Pupil
from kiosk.ui.staff.dashboard import DashboardTab
from kiosk.ui.staff.exams_tab import ExamsTab
from kiosk.ui.staff.lists import ListsTab
from ui.staff.conftest import click, log_in, screenshot, settle


def cells(tab: ListsTab, column: int) -> list[str]:
    return [tab.proxy.index(r, column).data() for r in range(tab.proxy.rowCount())]


def test_a_late_hand_in_is_in_the_late_list_and_the_csv(
    console, sessions, school, artifacts, data_dir
):
    late_pupil, on_time = school.pupil_ids[0], school.pupil_ids[1]
    # Times of today fixed, not the clock's: run after hand-in closes, "now" would be late too.
    morning = start_of_local_day(dt.datetime.now(SCHOOL_ZONE).date())
    custody.hand_in(sessions, on_time, now=morning + dt.timedelta(hours=8))
    settings.update(sessions, school.actors["admin"], {"handin_closes": "09:00"})
    custody.hand_in(sessions, late_pupil, now=morning + dt.timedelta(hours=9, minutes=30))
    log_in(console, "senior")
    console.open_list("late")
    settle()
    lists = console.tabs.currentWidget()
    assert isinstance(lists, ListsTab) and lists.current == "late"
    names = cells(lists, 0)
    assert names == [pupils.summary(sessions, late_pupil).display_name]
    screenshot(console, artifacts, "late_list")
    today = dt.datetime.now(SCHOOL_ZONE).date()
    out = data_dir / "custody.csv"
    run_export(
        sessions,
        school.actors["senior"],
        ExportRequest("custody", "csv", ReportFilter(today, today)),
        out,
    )
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    late = rows[0].index("Late")
    late_by_admission = {row[1]: row[late] for row in rows[1:]}
    late_number = pupils.summary(sessions, late_pupil).admission_number
    on_time_number = pupils.summary(sessions, on_time).admission_number
    assert late_by_admission == {late_number: "True", on_time_number: "False"}


def test_an_exam_set_in_the_console_lists_candidates_not_handed_in(
    qtbot, console, sessions, school, artifacts
):
    candidates = school.pupil_ids[:2]
    with sessions.begin() as session:
        session.execute(update(Pupil).where(Pupil.id.in_(candidates)).values(reg_group="11X"))
    log_in(console, "senior")
    tab = console.show_tab("Exams")
    assert isinstance(tab, ExamsTab)
    tab.title.setText("GCSE Maths paper 1")
    tab.forms.setText("11x")
    click(qtbot, tab.save)
    settle()
    assert "2 candidates" in tab.feedback.text()
    assert "GCSE Maths paper 1" in tab.day_list.text()
    screenshot(console, artifacts, "exams_tab")
    custody.hand_in(sessions, candidates[0])
    console.show_tab("Dashboard")
    dashboard = console.tab("Dashboard")
    assert isinstance(dashboard, DashboardTab)
    dashboard.refresh()
    settle()
    assert dashboard.exam_banner.isVisible()
    assert "1 candidate has not handed in" in dashboard.exam_banner.text()
    screenshot(console, artifacts, "exam_banner")
    click(qtbot, dashboard.exam_banner)
    settle()
    lists = console.tabs.currentWidget()
    assert isinstance(lists, ListsTab) and lists.current == "exam_missing"
    assert cells(lists, 0) == [pupils.summary(sessions, candidates[1]).display_name]
    screenshot(console, artifacts, "exam_missing_list")


def test_no_exam_banner_on_a_day_without_exams(console, sessions, school):
    log_in(console, "office")
    dashboard = console.tabs.currentWidget()
    assert isinstance(dashboard, DashboardTab)
    assert not dashboard.exam_banner.isVisible()
    assert console.tab("Exams") is None  # office staff do not set exams


@pytest.mark.parametrize("size", [(1024, 600), (1920, 1080)], ids=["1024x600", "1920x1080"])
def test_screenshots_of_the_new_console_screens(qtbot, console, sessions, school, artifacts, size):
    settings.update(sessions, school.actors["admin"], {"handin_closes": "00:00"})
    custody.hand_in_without_card(sessions, school.pupil_ids[2], school.actors["office"])
    exams.set_exam(
        sessions,
        school.actors["senior"],
        dt.datetime.now(SCHOOL_ZONE).date(),
        dt.time(9, 0),
        "GCSE Maths paper 1",
        exams.Candidates(years=(11,)),
    )
    console.resize(*size)
    log_in(console, "senior")
    settle()
    screenshot(console, artifacts, f"exam_banner_{size[0]}x{size[1]}")
    console.open_list("late")
    settle()
    screenshot(console, artifacts, f"late_list_{size[0]}x{size[1]}")
    console.open_list("exam_missing")
    settle()
    screenshot(console, artifacts, f"exam_missing_{size[0]}x{size[1]}")
    console.show_tab("Exams")
    settle()
    screenshot(console, artifacts, f"exams_tab_{size[0]}x{size[1]}")
