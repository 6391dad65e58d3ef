"""The Searches tab driven through its real widgets against a real SQLite file: an office
draft a senior completes, the do-not-examine path, a refusal in words, a correction, the
link from the confiscate screen, and the form at three screen sizes (pictures saved)."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QLineEdit,
    QPushButton,
    QWidget,
)
from searching.forms import complete_form
from sqlalchemy import select

from kiosk.clock import utcnow
from kiosk.services import confiscation, pupils, search_records
from kiosk.services.search_form import DO_NOT_EXAMINE_WORDS
from kiosk.tables import AuditEvent, SearchRecord
from kiosk.ui.staff.search_form import SearchFormView
from kiosk.ui.staff.searches_tab import SearchesTab
from kiosk.ui.style import TOUCH
from ui.look import save_png
from ui.staff.conftest import click, log_in, settle
from ui.staff.test_layout_fits import problems
from ui.taps import tab_titles

SIZES = ((1024, 600), (1280, 800), (1920, 1080))


def open_tab(console, role) -> SearchesTab:
    log_in(console, role)
    tab = console.show_tab("Searches")
    settle()
    assert isinstance(tab, SearchesTab)
    return tab


def choose_pupil(qtbot, tab, sessions, pupil_id):
    pupil = pupils.summary(sessions, pupil_id)
    form = tab.form_view
    form.find_text.setText(pupil.admission_number)
    click(qtbot, form.find_button)
    assert form.pupil_box.count() == 1 and form.pupil.id == pupil_id
    settle()  # the pupil's confiscations load in the background


def fill_in(qtbot, form: SearchFormView):
    for edit, text in (
        (form.place, "Year 10 office"),
        (form.authorised_by, "Mrs Head"),
        (form.searched_by, "Mr Senior"),
        (form.witness, "Ms Office"),
    ):
        edit.clear()
        qtbot.keyClicks(edit, text)
    form.same_sex.setCurrentIndex(form.same_sex.findData(True))
    form.consent.setCurrentIndex(form.consent.findData(True))
    form.grounds.setPlainText("Seen with a vape at break")
    form.sought.setPlainText("A vape")
    form.searched_what.setPlainText("Bag and blazer pockets")
    click(qtbot, form.items.add_button)
    qtbot.keyClicks(form.items.rows[0][1], "Blue vape pen")
    form.dsl_informed.setChecked(True)
    qtbot.keyClicks(form.dsl_by, "Mr Senior")


def records(sessions):
    with sessions() as session:
        return session.execute(
            select(
                SearchRecord.id, SearchRecord.status, SearchRecord.version, SearchRecord.place
            ).order_by(SearchRecord.id)
        ).all()


def test_office_drafts_a_search_and_a_senior_records_it(make_console, qtbot, sessions, school):
    console = make_console()
    tab = open_tab(console, "office")
    click(qtbot, tab.new_button)
    assert not tab.record_button.isVisible() and tab.office_note.isVisible()
    choose_pupil(qtbot, tab, sessions, school.pupil_ids[3])
    fill_in(qtbot, tab.form_view)
    click(qtbot, tab.save_draft_button)
    assert "Draft saved" in tab.feedback.text(), tab.feedback.text()
    [(draft_id, status, _, place)] = records(sessions)
    assert (status, place) == ("draft", "Year 10 office")

    console.lock("locked")
    tab = open_tab(console, "senior")
    assert [row.id for row in tab.model.rows] == [draft_id]
    tab.open_record(draft_id)
    settle()
    assert tab.form_view.place.text() == "Year 10 office"
    assert tab.form_view.items.items()[0].description == "Blue vape pen"
    click(qtbot, tab.record_button)

    assert records(sessions) == [(draft_id, "final", 1, "Year 10 office")]
    assert "Recorded: search no." in tab.feedback.text()
    assert tab.pages.currentIndex() == 0
    [row] = tab.model.rows
    assert (row.status, row.check.name) == ("final", "MATCHES")


def test_a_missing_reason_is_refused_in_words_and_nothing_is_recorded(
    make_console, qtbot, sessions, school
):
    tab = open_tab(make_console(), "senior")
    click(qtbot, tab.new_button)
    click(qtbot, tab.record_button)
    assert "choose the pupil" in tab.feedback.text() and tab.feedback.is_error
    choose_pupil(qtbot, tab, sessions, school.pupil_ids[4])
    fill_in(qtbot, tab.form_view)
    tab.form_view.same_sex.setCurrentIndex(tab.form_view.same_sex.findData(False))
    click(qtbot, tab.record_button)
    assert "not the same sex" in tab.feedback.text() and tab.feedback.is_error
    assert records(sessions) == []
    qtbot.keyClicks(tab.form_view.not_same_sex_reason, "Only female staff on site")
    click(qtbot, tab.record_button)
    assert [r.status for r in records(sessions)] == ["final"]


def test_the_do_not_examine_path_says_so_and_blocks_the_examination(
    make_console, qtbot, sessions, school
):
    tab = open_tab(make_console(), "senior")
    click(qtbot, tab.new_button)
    form = tab.form_view
    form.examined.setChecked(True)
    qtbot.keyClicks(form.examined_by, "Mr Senior")
    assert form.examined_by.isEnabled() and not form.do_not_examine_words.isVisible()
    form.do_not_examine.setChecked(True)
    settle()
    assert form.do_not_examine_words.isVisible()
    assert form.do_not_examine_words.text() == DO_NOT_EXAMINE_WORDS
    assert "do not view, copy, print, share or delete" in DO_NOT_EXAMINE_WORDS
    assert not form.examined.isEnabled() and not form.examined.isChecked()
    assert not form.examined_by.isEnabled() and form.examined_by.text() == ""
    assert not form.data_outcome.isEnabled()


def test_a_confiscation_marked_do_not_examine_keeps_the_form_on_that_path(
    make_console, qtbot, sessions, school
):
    pupil_id = school.pupil_ids[5]
    held = confiscation.confiscate(
        sessions, school.actors["office"], pupil_id, "inappropriate content", do_not_examine=True
    )
    tab = open_tab(make_console(), "senior")
    tab.new_record(pupils.summary(sessions, pupil_id), held.id)
    settle()
    form = tab.form_view
    assert form.linked() is not None and form.linked().custody_id == held.id
    assert form.do_not_examine.isChecked() and not form.do_not_examine.isEnabled()
    assert form.do_not_examine_words.isVisible() and not form.examined.isEnabled()


def test_the_confiscate_screen_leads_to_a_search_record_for_that_device(
    make_console, qtbot, sessions, school
):
    console = make_console()
    log_in(console, "senior")
    confiscate = console.show_tab("Confiscate")
    settle()
    pupil_id = school.pupil_ids[6]
    console.handle_scan(school.card_texts[pupil_id])
    settle()
    confiscate.reason.setCurrentIndex(0)
    click(qtbot, confiscate.review)
    click(qtbot, confiscate.confirm)
    click(qtbot, confiscate.search_button)

    tab = console.tabs.currentWidget()
    assert isinstance(tab, SearchesTab) and tab.pages.currentIndex() == 1
    settle()
    assert tab.form_view.pupil.id == pupil_id
    assert tab.form_view.linked() is not None


def test_a_correction_saves_a_new_version_and_keeps_the_first(
    make_console, qtbot, sessions, school
):
    first = search_records.record(
        sessions,
        school.actors["senior"],
        complete_form(school.pupil_ids[7], searched_at=utcnow() - dt.timedelta(hours=2)),
    )
    tab = open_tab(make_console(), "senior")
    tab.open_record(first.id)
    settle()
    assert tab.correct_button.isVisible() and not tab.save_draft_button.isVisible()
    assert "matches the audit log" in tab.title.text()
    tab.form_view.place.clear()
    qtbot.keyClicks(tab.form_view.place, "Library")
    click(qtbot, tab.correct_button)
    assert "Say why" in tab.feedback.text()
    qtbot.keyClicks(tab.correction_reason, "Wrong room written down")
    click(qtbot, tab.correct_button)

    rows = records(sessions)
    assert [(r.version, r.place) for r in rows] == [(1, "Head of Year office"), (2, "Library")]
    with sessions() as session:
        kinds = session.scalars(select(AuditEvent.kind).order_by(AuditEvent.seq)).all()
    assert kinds[-1] == "search_corrected"
    assert [row.version for row in tab.model.rows] == [2]


def test_admins_have_no_searches_tab(make_console, school):
    console = make_console()
    log_in(console, "admin")
    assert "Searches" not in tab_titles(console)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_form_fits_each_screen_with_touch_sized_targets(
    make_console, qtbot, sessions, school, artifacts, size
):
    earlier = utcnow() - dt.timedelta(hours=2)
    for pupil in school.pupil_ids[10:13]:
        form = complete_form(pupil, searched_at=earlier)
        search_records.record(sessions, school.actors["senior"], form)
    console = make_console()
    console.resize(*size)
    tab = open_tab(console, "senior")
    assert len(tab.model.rows) == 3
    assert problems(console) == []
    save(console, artifacts, "list")
    click(qtbot, tab.new_button)
    choose_pupil(qtbot, tab, sessions, school.pupil_ids[8])
    fill_in(qtbot, tab.form_view)
    QApplication.processEvents()
    assert problems(console) == []
    touched = (QPushButton, QLineEdit, QComboBox, QCheckBox)
    small = [
        f"{type(w).__name__} {getattr(w, 'text', lambda: '')()!r} {w.height()}"
        for w in tab.findChildren(QWidget)
        if isinstance(w, touched)
        and w.isVisible()
        and w.height() < TOUCH
        and not isinstance(w.parent(), (QComboBox, QAbstractSpinBox))
    ]
    assert small == []
    save(console, artifacts, "form")
    save(tab.pages.currentWidget(), artifacts, "form_whole_page", size)
    tab.form_view.do_not_examine.setChecked(True)
    QApplication.processEvents()
    assert problems(console) == []
    save(tab.pages.currentWidget(), artifacts, "do_not_examine_whole_page", size)


def save(widget, artifacts, name, screen=None):
    QApplication.processEvents()
    folder = artifacts / "staff" / "searches"
    folder.mkdir(parents=True, exist_ok=True)
    width, height = screen or (widget.width(), widget.height())
    assert save_png(widget.grab(), folder / f"{name}_{width}x{height}.png")


@pytest.mark.parametrize(("role", "offered"), [("senior", True), ("admin", False)])
def test_the_reports_panel_offers_the_search_records_to_seniors_only(
    make_console, school, role, offered
):
    console = make_console()
    log_in(console, role)
    panel = console.show_tab("Reports")
    assert (panel.report_box.findData("searches") >= 0) == offered
    if offered:
        panel.report_box.setCurrentIndex(panel.report_box.findData("searches"))
        assert not panel.kind_box.isEnabled() and panel.format_box.isEnabled()
        assert panel.request().checked().report == "searches"


def test_a_scanned_card_starts_a_record_for_that_pupil(make_console, qtbot, sessions, school):
    console = make_console()
    tab = open_tab(console, "office")
    pupil_id = school.pupil_ids[9]
    console.handle_scan(school.card_texts[pupil_id])
    settle()
    assert tab.pages.currentIndex() == 1 and tab.form_view.pupil.id == pupil_id
    console.handle_scan("HK1.not-a-card")
    settle()
    assert tab.feedback.is_error and tab.form_view.pupil.id == pupil_id
