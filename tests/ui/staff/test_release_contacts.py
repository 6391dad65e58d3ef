"""The release screen with the pupil's contacts from the MIS, through the real widgets:
a contact who may collect is chosen; a barred one is shown barred and refused also when
typed; anyone else needs a senior member of staff's name, PIN and reason. Pictures at the
three supported screen sizes go to ``artifacts/staff/contacts``."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel, QRadioButton
from sqlalchemy import select

from kiosk.demo import DEMO_PINS
from kiosk.services import confiscation, contacts_check, contacts_import, roster_file
from kiosk.services.contacts_columns import CONTACTS
from kiosk.tables import AuditEvent, Custody, Pupil
from kiosk.ui.staff.release import ReleaseTab
from ui.staff.conftest import click, log_in, settle
from ui.staff.test_layout_fits import problems
from ui.staff.test_screenshots import SIZES, shot

DATA_FILE = "contacts_sims.csv"


@pytest.fixture
def device(sessions, school, data_dir):
    """A confiscated device of the pupil with a mother, a barred father and a grandmother."""
    from fixtures.admin import DATA

    table = roster_file.read_roster((DATA / DATA_FILE).read_bytes(), CONTACTS)
    contacts_import.apply(sessions, school.actors["admin"], contacts_check.check_table(table))
    with sessions() as session:
        pupil_id = session.scalars(select(Pupil.id).where(Pupil.upn == "K830000000000")).one()
    office = school.actors["office"]
    custody_id = confiscation.confiscate(sessions, office, pupil_id, "used in lesson").id
    return pupil_id, custody_id


def open_form(console, qtbot, school, pupil_id, custody_id, role="office"):
    log_in(console, role)
    tab = console.show_tab("Release")
    assert isinstance(tab, ReleaseTab)
    settle()
    console.handle_scan(school.card_texts[pupil_id])
    settle()
    click(qtbot, tab.release_buttons[custody_id])
    form = tab.parent_form
    # the contacts are read in the background, and shown on a later pass of the event loop
    qtbot.waitUntil(lambda: sum(b.isVisible() for b in form.findChildren(QRadioButton)) > 1)
    return tab, form


def choice(form, starts: str) -> QRadioButton:
    return next(b for b in form.findChildren(QRadioButton) if b.text().startswith(starts))


def record(sessions, custody_id) -> Custody:
    with sessions() as session:
        row = session.get(Custody, custody_id)
        session.expunge(row)
        return row


def test_the_contacts_are_offered_in_priority_order_and_the_barred_one_is_not(
    console, qtbot, sessions, school, device, artifacts
):
    pupil_id, custody_id = device
    tab, form = open_form(console, qtbot, school, pupil_id, custody_id)
    offered = [b.text() for b in form.findChildren(QRadioButton) if b.isVisible()]
    assert offered == [
        "1. Mrs Aisling O'Brien (Mother)",
        "3. Mrs Nóirín Kelly (Grandmother)",
        "Someone else",
    ]
    shown = [x.text() for x in form.findChildren(QLabel) if x.isVisible()]
    assert "parental responsibility · 07700 900001" in shown
    assert any(t.startswith("Do not release to Mr Darragh O'Brien (Father)") for t in shown)
    assert not form.name.isVisible() and not form.senior.isVisible()

    click(qtbot, choice(form, "1. Mrs Aisling"))
    form.id_document.setEditText("Passport")
    form.id_seen.setChecked(True)
    click(qtbot, form.confirm)
    row = record(sessions, custody_id)
    assert (row.state, row.released_to_name, row.id_seen_as, row.released_to_listed) == (
        "released", "Mrs Aisling O'Brien", "Passport", True,
    )  # fmt: skip
    assert "Released to Mrs Aisling O'Brien" in tab.feedback.text()

    lists = console.show_tab("Lists")
    lists.show_list("collected")
    settle()
    model = lists.models["collected"]
    assert model.rowCount() == 1
    shown = [model.data(model.index(0, c)) for c in range(model.columnCount())]
    assert shown[3:7] == ["Mrs Aisling O'Brien (Mother)", "Passport", "On the list", ""]
    shot(console, artifacts / "staff" / "contacts", "lists_collected")


def test_someone_else_needs_a_senior_pin_and_a_barred_name_is_refused_in_words(
    console, qtbot, sessions, school, device
):
    pupil_id, custody_id = device
    tab, form = open_form(console, qtbot, school, pupil_id, custody_id)
    click(qtbot, choice(form, "Someone else"))
    assert form.name.isVisible() and form.senior.isVisible()
    qtbot.keyClicks(form.name, "Bob Smith")
    form.relationship.setEditText("Uncle")
    form.id_document.setEditText("Driving licence")
    form.id_seen.setChecked(True)
    click(qtbot, form.confirm)
    assert tab.feedback.text() == "Choose the senior member of staff who authorises this release."

    form.senior_name.setCurrentText("Sam Senior (DSL)")
    qtbot.keyClicks(form.senior_pin, "000000")
    qtbot.keyClicks(form.reason, "Mother in hospital; agreed with the DSL")
    click(qtbot, form.confirm)
    assert tab.feedback.text().startswith("Wrong PIN")
    assert form.senior_pin.text() == ""  # never left on screen
    assert record(sessions, custody_id).state == "held"

    form.name.clear()
    qtbot.keyClicks(form.name, "darragh obrien")  # the barred father, typed
    qtbot.keyClicks(form.senior_pin, DEMO_PINS["senior"])
    click(qtbot, form.confirm)
    assert tab.feedback.text().startswith("Do not release to Mr Darragh O'Brien")
    assert record(sessions, custody_id).state == "held"

    form.name.clear()
    qtbot.keyClicks(form.name, "Bob Smith")
    qtbot.keyClicks(form.senior_pin, DEMO_PINS["senior"])
    click(qtbot, form.confirm)
    row = record(sessions, custody_id)
    assert (row.state, row.released_to_name, row.released_to_listed) == (
        "released", "Bob Smith", False,
    )  # fmt: skip
    with sessions() as session:
        kinds = list(
            session.scalars(
                select(AuditEvent.kind)
                .where(AuditEvent.custody_id == custody_id)
                .order_by(AuditEvent.seq)
            )
        )
    assert kinds[-3:] == ["release_refused_barred", "release_authorised", "released_to_parent"]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_release_form_with_contacts_fits_each_screen(
    console, qtbot, sessions, school, device, artifacts, size
):
    folder = artifacts / "staff" / "contacts"
    pupil_id, custody_id = device
    console.resize(*size)
    _tab, form = open_form(console, qtbot, school, pupil_id, custody_id)
    shot(console, folder, "release_contacts", size)
    click(qtbot, choice(form, "Someone else"))
    form.senior_name.setCurrentIndex(0)
    shot(console, folder, "release_someone_else", size)
    assert problems(console) == []


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_contacts_import_fits_each_screen(console, qtbot, artifacts, size):
    from fixtures.admin import DATA

    from kiosk.ui.admin.panel import AdminPanel

    folder = artifacts / "staff" / "contacts"
    console.resize(*size)
    log_in(console, "admin")
    panel = console.show_tab("Admin")
    assert isinstance(panel, AdminPanel)
    panel.show_named("Contacts import")
    panel.contacts.load_file(DATA / DATA_FILE)
    qtbot.waitUntil(lambda: not panel.contacts.jobs.busy, timeout=20_000)
    settle()
    assert panel.contacts.import_button.isEnabled()
    shot(console, folder, "contacts_import", size)
    assert problems(console) == []


def test_a_choice_made_for_one_pupil_is_never_carried_to_the_next(
    console, qtbot, sessions, school, device
):
    pupil_id, custody_id = device
    with sessions() as session:
        other = session.scalars(select(Pupil.id).where(Pupil.upn == "K830000000003")).one()
    other_custody = confiscation.confiscate(sessions, school.actors["office"], other, "other").id
    tab, form = open_form(console, qtbot, school, pupil_id, custody_id)
    click(qtbot, choice(form, "1. Mrs Aisling"))
    click(qtbot, form.cancel)
    console.handle_scan(school.card_texts[other])
    settle()
    click(qtbot, tab.release_buttons[other_custody])
    qtbot.waitUntil(lambda: any(b.text().startswith("1. Priya") for b in form.group.buttons()))
    assert form.group.checkedId() == -1 and form.chosen_contact() is None
    form.id_document.setEditText("Passport")
    form.id_seen.setChecked(True)
    click(qtbot, form.confirm)
    assert tab.feedback.text() == "Choose who is collecting."
    assert record(sessions, other_custody).state == "held"
