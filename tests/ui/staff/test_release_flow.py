from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from sqlalchemy import select

from kiosk.errors import NotAuthorised
from kiosk.services import confiscation, custody
from kiosk.tables import AuditEvent, Custody, Pupil
from kiosk.ui.staff.release import DSL_ONLY, ReleaseTab
from ui.staff.conftest import click, log_in, screenshot, settle


def portrait_jpeg() -> bytes:
    """A plain drawn head and shoulders, as a school photo would be framed."""
    image = Image.new("RGB", (300, 375), "#9bb7d4")
    draw = ImageDraw.Draw(image)
    draw.ellipse((95, 60, 205, 190), fill="#e0b090")
    draw.rectangle((60, 220, 240, 375), fill="#1f3a68")
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def give_photo(sessions, pupil_id):
    with sessions.begin() as session:
        session.get(Pupil, pupil_id).photo = portrait_jpeg()


def state_of(sessions, custody_id):
    with sessions() as session:
        return session.get(Custody, custody_id).state


def last_event(sessions, custody_id):
    with sessions() as session:
        return session.scalars(
            select(AuditEvent)
            .where(AuditEvent.custody_id == custody_id)
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        ).one()


@pytest.fixture
def release(console):
    def open_as(role):
        log_in(console, role)
        tab = console.show_tab("Release")
        settle()
        assert isinstance(tab, ReleaseTab)
        return tab

    return open_as


def test_scanning_a_card_shows_the_photo_and_gives_the_phone_back(
    release, qtbot, sessions, school, console, artifacts
):
    pupil_id = school.pupil_ids[1]
    give_photo(sessions, pupil_id)
    handed = custody.hand_in(sessions, pupil_id)
    tab = release("office")

    console.handle_scan(school.card_texts[pupil_id])
    settle()

    assert tab.header.pupil.id == pupil_id
    assert tab.header.photo.has_photo
    screenshot(console, artifacts, "release_scanned")
    click(qtbot, tab.collect_buttons[handed.custody_id])
    assert state_of(sessions, handed.custody_id) == "released"
    event = last_event(sessions, handed.custody_id)
    assert (event.kind, event.actor_name) == ("collected", "Olivia Office")
    assert f"slot {handed.slot_number}" in tab.feedback.text()
    assert tab.model.rowCount() == 0


def test_tapping_a_row_chooses_the_pupil(release, qtbot, sessions, school):
    for pupil_id in school.pupil_ids[:3]:
        custody.hand_in(sessions, pupil_id)
    tab = release("office")
    tab.refresh()
    settle()
    target = tab.proxy.row_at(1)
    rect = tab.table.visualRect(tab.proxy.index(1, 0))
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    settle()
    assert tab.header.pupil.id == target.pupil.id
    assert target.custody_id in tab.collect_buttons


def test_typing_an_admission_number_finds_the_pupil(release, qtbot, sessions, school):
    pupil_id = school.pupil_ids[6]
    with sessions() as session:
        number = session.get(Pupil, pupil_id).admission_number
    tab = release("office")
    qtbot.keyClicks(tab.search, number)
    qtbot.keyClick(tab.search, Qt.Key.Key_Return)
    settle()
    assert tab.header.pupil.id == pupil_id


def test_a_forged_card_is_refused_in_words(release, console, school):
    tab = release("office")
    text = school.card_texts[school.pupil_ids[0]]
    console.handle_scan(text[:-1] + ("A" if text[-1] != "A" else "B"))
    settle()
    assert tab.feedback.is_error
    assert tab.feedback.text() == "Card not recognised. Please see the office."
    assert tab.header.pupil is None


def confiscate(sessions, school, pupil_id, *, referred=False):
    return confiscation.confiscate(
        sessions,
        school.actors["office"],
        pupil_id,
        "used in lesson",
        "Maths",
        do_not_examine=referred,
    ).id


def fill_parent_form(qtbot, tab, name, relationship, id_seen):
    form = tab.parent_form
    form.name.clear()
    qtbot.keyClicks(form.name, name)
    form.relationship.setEditText(relationship)
    form.id_document.setEditText("Driving licence")
    form.id_seen.setChecked(id_seen)
    settle()


def test_a_confiscated_device_goes_to_a_parent_only_with_their_id_seen(
    release, qtbot, sessions, school, console, artifacts
):
    pupil_id = school.pupil_ids[4]
    custody_id = confiscate(sessions, school, pupil_id)
    tab = release("office")
    console.handle_scan(school.card_texts[pupil_id])
    settle()
    assert custody_id not in tab.collect_buttons  # never handed back to the pupil
    click(qtbot, tab.release_buttons[custody_id])

    fill_parent_form(qtbot, tab, "Joan  Parent", "Mother", id_seen=False)
    click(qtbot, tab.parent_form.confirm)
    assert tab.feedback.text() == "Check the parent or carer's ID before releasing the device."
    assert state_of(sessions, custody_id) == "held"

    tab.parent_form.id_seen.setChecked(True)
    settle()
    screenshot(console, artifacts, "release_parent_form")
    click(qtbot, tab.parent_form.confirm)
    assert state_of(sessions, custody_id) == "released"
    with sessions() as session:
        record = session.get(Custody, custody_id)
        assert (record.released_to_name, record.released_to_relationship) == (
            "Joan Parent",
            "Mother",
        )
    assert "Released to Joan Parent" in tab.feedback.text()

    click(qtbot, tab.print_button)
    assert tab.receipt.path is not None and tab.receipt.path.is_file()
    assert tab.receipt.path.parent == console.config.data_dir / "receipts"
    assert last_event(sessions, custody_id).kind == "receipt_printed"
    screenshot(console, artifacts, "release_receipt_saved")


def test_office_cannot_release_a_device_referred_to_the_dsl(
    release, qtbot, sessions, school, console, artifacts
):
    pupil_id = school.pupil_ids[5]
    custody_id = confiscate(sessions, school, pupil_id, referred=True)
    tab = release("office")
    console.handle_scan(school.card_texts[pupil_id])
    settle()

    button = tab.release_buttons[custody_id]
    qtbot.waitUntil(button.isVisible)
    assert not button.isEnabled()
    notes = [label.text() for label in tab.findChildren(QLabel) if label.isVisible()]
    assert DSL_ONLY in notes
    screenshot(console, artifacts, "release_dsl_only_office")

    # Reached anyway (say the button was enabled by mistake): the service refuses it.
    button.setEnabled(True)
    click(qtbot, button)
    fill_parent_form(qtbot, tab, "Joan Parent", "Mother", id_seen=True)
    click(qtbot, tab.parent_form.confirm)
    assert tab.feedback.is_error
    assert "Your role does not allow this" in tab.feedback.text()
    assert state_of(sessions, custody_id) == "held"
    with pytest.raises(NotAuthorised):
        confiscation.release_to_parent(
            sessions, school.actors["office"], custody_id, "Joan Parent", "Mother", True
        )


def test_the_dsl_can_release_a_referred_device(release, qtbot, sessions, school, console):
    pupil_id = school.pupil_ids[5]
    custody_id = confiscate(sessions, school, pupil_id, referred=True)
    tab = release("senior")
    console.handle_scan(school.card_texts[pupil_id])
    settle()
    click(qtbot, tab.release_buttons[custody_id])
    fill_parent_form(qtbot, tab, "Sam Carer", "Carer", id_seen=True)
    click(qtbot, tab.parent_form.confirm)
    assert state_of(sessions, custody_id) == "released"
    assert last_event(sessions, custody_id).actor_name == "Sam Senior (DSL)"
