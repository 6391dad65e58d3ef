"""Telling parents from the console, through its real widgets, against a real SMTP server
on localhost: a confiscation makes the letter and emails it to the parents with
responsibility; a refusing server is named in words with "Email it again"; the panel
beside the Confiscations list records the collection appointment; the dashboard shows
today's collections and emails their reminders; and the pictures at each screen size."""

from __future__ import annotations

import datetime as dt

import pytest
from fixtures.letters import add_contacts, booked, family
from fixtures.mail import *  # noqa: F403 (the SMTP servers)
from sqlalchemy import select

from kiosk.clock import local_date, utcnow
from kiosk.keystore import KeyStore
from kiosk.services import appointments, confiscation
from kiosk.services.confiscation import REASON_CATEGORIES
from kiosk.tables import ParentMessage
from kiosk.ui.staff.awaiting import UNCLAIMED
from kiosk.ui.staff.lists import ListsTab
from ui.staff.conftest import click, log_in, settle, wait_until
from ui.staff.test_screenshots import SIZES, shot


def cell(model, title, row):
    (column,) = [c for c in model.columns if c.title == title]
    return column.text(row)


@pytest.fixture
def store(config):
    return KeyStore.for_config(config)


def confiscate_through_the_tab(console, qtbot, school, index, *, referred=False):
    log_in(console, "office")
    tab = console.show_tab("Confiscate")
    settle()
    pupil_id = school.pupil_ids[index]
    console.handle_scan(school.card_texts[pupil_id])
    settle()
    tab.reason.setCurrentIndex(REASON_CATEGORIES.index("used in lesson"))
    qtbot.keyClicks(tab.description, "black iPhone")
    tab.do_not_examine.setChecked(referred)
    click(qtbot, tab.review)
    click(qtbot, tab.confirm)
    wait_until(lambda: tab.letter.open_button.isVisible() or tab.letter.again_button.isVisible())
    return tab


def test_a_confiscation_emails_the_letter_to_the_parents(
    console, qtbot, sessions, school, smtp, store, artifacts
):
    smtp.configure(sessions, school.actors["admin"], store)
    add_contacts(sessions, school.pupil_ids[4])
    tab = confiscate_through_the_tab(console, qtbot, school, 4)
    words = tab.letter.words.text()
    assert words.startswith("Letter to parents saved (letter-")
    assert "Emailed to Ann Okafor (ann.okafor@example.org), Ben Okafor (ben@example.net)." in words
    assert [rcpt for rcpt, _ in smtp.inbox.received] == [
        ["ann.okafor@example.org"],
        ["ben@example.net"],
    ]
    assert tab.letter.path is not None and tab.letter.path.read_bytes().startswith(b"%PDF")
    assert not tab.letter.again_button.isVisible()
    shot(console, artifacts, "staff_letter_emailed")


def test_a_device_referred_to_the_dsl_gets_its_letter_but_no_email(
    console, qtbot, sessions, school, smtp, store
):
    smtp.configure(sessions, school.actors["admin"], store)
    add_contacts(sessions, school.pupil_ids[12])
    tab = confiscate_through_the_tab(console, qtbot, school, 12, referred=True)
    assert "Referred to the DSL: the letter is saved but not emailed." in tab.letter.words.text()
    assert tab.letter.open_button.isVisible() and smtp.inbox.received == []


def test_a_refusing_server_is_named_and_the_letter_can_be_emailed_again(
    console, qtbot, sessions, school, refusing_smtp, smtp, store, artifacts
):
    refusing_smtp.configure(sessions, school.actors["admin"], store)
    add_contacts(sessions, school.pupil_ids[5])
    tab = confiscate_through_the_tab(console, qtbot, school, 5)
    words = tab.letter.words.text()
    assert "Not sent to Ann Okafor and Ben Okafor: The mail server 127.0.0.1:" in words
    assert "550 5.7.1 Message refused by policy" in words and "Nothing is lost" in words
    assert tab.letter.words.is_error and tab.letter.again_button.isVisible()
    shot(console, artifacts, "staff_letter_refused")

    smtp.configure(sessions, school.actors["admin"], store)
    click(qtbot, tab.letter.again_button)
    wait_until(lambda: "Emailed to" in tab.letter.words.text())
    with sessions() as session:
        outcomes = session.scalars(select(ParentMessage.outcome).order_by(ParentMessage.id))
        assert list(outcomes) == ["failed", "failed", "sent", "sent"]


def confiscations_list(console):
    console.open_list("confiscations")
    settle()
    tab = console.tabs.currentWidget()
    assert isinstance(tab, ListsTab) and tab.parents_side.isVisible()
    return tab


def choose_first(tab):
    tab.table.selectRow(0)
    tab._tapped()
    settle()


def test_the_confiscations_list_records_an_appointment_with_a_contact(
    console, qtbot, sessions, school, artifacts
):
    home = family(sessions, school, 6, now=utcnow() - dt.timedelta(days=8))
    log_in(console, "office")
    tab = confiscations_list(console)
    model = tab.models["confiscations"]
    (row,) = model.rows
    assert row.unclaimed and cell(model, "Age (days)", row) == f"{row.days} {UNCLAIMED}"
    choose_first(tab)
    form = tab.parents.appointment
    assert [form.who.itemText(i) for i in range(form.who.count())] == [
        "Ann Okafor (mother)",
        "Ben Okafor (father)",
        "Grace Okafor (grandmother)",
        "Sam Hill (step-father), no email",
        "Someone else (type the name)",
    ]  # never Rob Stone: "do not release to"
    form.who.setCurrentIndex(1)
    click(qtbot, form.save_button)
    assert form.feedback.text().startswith("Appointment saved:")
    made = booked(sessions, home.custody_id)
    assert made.who == "Ben Okafor" and made.contact_id == home.dad
    settle()
    assert model.rows[0].appointment.who == "Ben Okafor"
    assert cell(model, "Collection", model.rows[0]).endswith(f" {made.at_time:%H:%M}")
    assert "Ben Okafor" in form.feedback.text()  # still said after the list was read again
    shot(console, artifacts, "staff_confiscations_appointment")


def test_the_dashboard_shows_todays_collections_and_unclaimed_devices(console, sessions, school):
    office = school.actors["office"]
    old = confiscation.confiscate(
        sessions, office, school.pupil_ids[7], "used in lesson", now=utcnow() - dt.timedelta(days=9)
    )
    today = local_date(utcnow())
    appointments.make_appointment(sessions, office, old.id, today, dt.time(23, 59), "Aunt May")
    log_in(console, "office")
    panel = console.tab("Dashboard").attention
    wait_until(panel.collections.isVisible)
    words = panel.collections.text()
    assert "Collection today 23:59: Aunt May for " in words and "(not reminded)" in words
    assert "1 confiscated device unclaimed beyond the school's limit" in words


def test_the_dashboard_emails_todays_reminders(
    console, qtbot, sessions, school, smtp, store, artifacts
):
    smtp.configure(sessions, school.actors["admin"], store)
    home = family(sessions, school, 11)
    today = local_date(utcnow())
    appointments.make_appointment(
        sessions,
        school.actors["office"],
        home.custody_id,
        today,
        dt.time(23, 58),
        contact_id=home.mum,
    )
    log_in(console, "office")
    panel = console.tab("Dashboard").attention
    wait_until(panel.remind_button.isVisible)
    shot(console, artifacts, "staff_dashboard_collections")
    click(qtbot, panel.remind_button)
    wait_until(lambda: "Emailed to" in panel.feedback.text())
    assert panel.feedback.text() == "Emailed to Ann Okafor (ann.okafor@example.org)."
    assert [rcpt for rcpt, _ in smtp.inbox.received] == [["ann.okafor@example.org"]]
    wait_until(lambda: not panel.remind_button.isVisible())  # reminded: nothing left to send
    assert "(not reminded)" not in panel.collections.text()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_pictures_of_the_confiscations_list_and_the_letters_page(
    make_console, sessions, school, artifacts, size
):
    folder = artifacts / "staff"
    folder.mkdir(parents=True, exist_ok=True)
    for index, days in ((8, 9), (9, 2), (10, 0)):
        family(sessions, school, index, now=utcnow() - dt.timedelta(days=days))
    first = appointments.awaiting_parent(sessions)[0].device.custody_id
    tomorrow = local_date(utcnow()) + dt.timedelta(days=1)
    appointments.make_appointment(
        sessions, school.actors["office"], first, tomorrow, dt.time(16, 0), "Aunt May"
    )
    console = make_console()
    console.resize(*size)
    log_in(console, "admin")
    choose_first(confiscations_list(console))
    shot(console, folder, "20_confiscations_and_parents", size)
    console.show_tab("Admin")
    settle()
    console.tab("Admin").strip.buttons["Letters and email"].click()
    settle()
    shot(console, folder, "21_letters_and_email", size)
