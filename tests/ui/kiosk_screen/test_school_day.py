"""Issue 17 at the kiosk: a pupil who forgot their card (staff find them by name, the
photo shows, the hand-in is recorded card-less with the staff member's name), an old card
refused after a lost card was replaced, a late hand-in, and the exam-day reminder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from steady_clock import local

from kiosk.clock import SCHOOL_ZONE
from kiosk.db import Database
from kiosk.demo import DemoSchool
from kiosk.printing.cards import check_code_fits
from kiosk.services import card_runs, exams, pupils, settings
from kiosk.tables import AuditEvent, Custody, Staff
from kiosk.ui.kiosk_screen.outcomes import State
from kiosk.ui.kiosk_screen.screen import KioskScreen
from ui.look import save_png

from .conftest import OFFICE, ScreenFactory, click, give_photo, log_in, scan
from .test_screenshots import check_image, check_touch_targets


def type_on_keys(qtbot: QtBot, screen: KioskScreen, text: str) -> None:
    for letter in text.upper():
        click(qtbot, screen.forgot_page.keys[letter])


def test_a_forgotten_card_staff_find_the_pupil_by_name_and_the_photo_shows(
    qtbot: QtBot, screen: KioskScreen, sessions: Database, school: DemoSchool
) -> None:
    pupil = pupils.summary(sessions, school.pupil_ids[5])
    give_photo(sessions, pupil.id)
    assert screen.idle_page.forgot_card.isVisible()
    assert screen.idle_page.forgot_card.height() >= 64
    click(qtbot, screen.idle_page.forgot_card)
    assert screen.staff_page_open()
    assert screen.staff_page.views.currentWidget() is screen.staff_page.login
    log_in(qtbot, screen.staff_page.login, OFFICE)
    assert screen.screens.currentWidget() is screen.forgot_page
    type_on_keys(qtbot, screen, pupil.surname[:4])
    found = screen.forgot_page.found
    qtbot.waitUntil(lambda: found.count() > 0, timeout=5000)
    names = [found.item(i).text() for i in range(found.count())]
    row = next(i for i, name in enumerate(names) if name.startswith(pupil.display_name))
    assert all(pupil.admission_number not in name for name in names)  # no numbers shown
    found.itemClicked.emit(found.item(row))
    page = screen.forgot_page
    qtbot.waitUntil(lambda: page.photo.image() is not None, timeout=5000)
    assert page.confirm.isEnabled() and pupil.forename in page.confirm.text()
    with qtbot.waitSignal(screen.state_changed, timeout=5000):
        click(qtbot, page.confirm)
    qtbot.waitUntil(lambda: screen.state is State.HANDED_IN, timeout=5000)
    assert screen.result_page.slot.text() == "1"
    with sessions() as session:
        held = session.scalars(select(Custody).where(Custody.pupil_id == pupil.id)).one()
        receiver = session.get(Staff, held.received_by_id)
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert held.card_less and receiver is not None and receiver.name == OFFICE
        assert event is not None
        assert (event.kind, event.actor_name) == ("hand_in_without_card", OFFICE)


def test_no_forgotten_card_button_at_home_time(make_screen: ScreenFactory) -> None:
    screen = make_screen(clock=local(15, 30))
    assert not screen.idle_page.forgot_card.isVisible()


def test_an_old_card_is_refused_after_a_lost_card_is_replaced(
    qtbot: QtBot, screen: KioskScreen, sessions: Database, school: DemoSchool
) -> None:
    pupil_id = school.pupil_ids[3]
    batch = card_runs.replace_lost_card(
        sessions, school.actors["admin"], pupil_id, fits_on_card=check_code_fits
    )
    assert scan(qtbot, screen, school.card_texts[pupil_id]) is State.ERROR
    assert screen.result_page.title.text() == "This card has been replaced"
    assert scan(qtbot, screen, batch.faces[0].text) is State.HANDED_IN


def test_a_late_hand_in_is_recorded_late(
    qtbot: QtBot, make_screen: ScreenFactory, sessions: Database, school: DemoSchool
) -> None:
    # The hand-in is stamped with the real time: close the window before it.
    settings.update(sessions, school.actors["admin"], {"handin_closes": "00:00"})
    screen = make_screen()
    pupil_id = school.pupil_ids[1]
    assert scan(qtbot, screen, school.card_texts[pupil_id]) is State.HANDED_IN
    with sessions() as session:
        held = session.scalars(select(Custody).where(Custody.pupil_id == pupil_id)).one()
        assert held.late


def test_an_exam_candidate_is_reminded_and_others_are_not(
    qtbot: QtBot, screen: KioskScreen, sessions: Database, school: DemoSchool
) -> None:
    candidate, other = school.pupil_ids[0], school.pupil_ids[1]
    exams.set_exam(
        sessions,
        school.actors["senior"],
        dt.datetime.now(SCHOOL_ZONE).date(),  # the hand-in is stamped with the real time
        dt.time(9, 0),
        "GCSE Biology paper 2",
        exams.Candidates(pupil_ids=(candidate,)),
    )
    assert scan(qtbot, screen, school.card_texts[candidate]) is State.HANDED_IN
    note = screen.result_page.note
    assert note.isVisible() and note.text() == "Exam today: hand in every device, watches too"
    assert "Biology" not in note.text()
    assert scan(qtbot, screen, school.card_texts[other]) is State.HANDED_IN
    assert not screen.result_page.note.isVisible()


SHOT_SIZES = ((1024, 600), (1920, 1080))


@pytest.mark.parametrize("size", SHOT_SIZES, ids=[f"{w}x{h}" for w, h in SHOT_SIZES])
def test_screenshots_of_the_new_screens(
    qtbot: QtBot,
    make_screen: ScreenFactory,
    sessions: Database,
    school: DemoSchool,
    artifacts: Path,
    size: tuple[int, int],
) -> None:
    folder = artifacts / "kiosk"
    folder.mkdir(parents=True, exist_ok=True)

    def shot(widget: KioskScreen, name: str) -> None:
        QApplication.processEvents()
        image = widget.grab().toImage()
        check_image(image, size)
        check_touch_targets(widget)
        assert save_png(image, folder / f"{name}_{size[0]}x{size[1]}.png")

    screen = make_screen(size=size)
    shot(screen, "20_idle_forgot_card")
    pupil = pupils.summary(sessions, school.pupil_ids[6])
    give_photo(sessions, pupil.id, hue=40)
    click(qtbot, screen.idle_page.forgot_card)
    log_in(qtbot, screen.staff_page.login, OFFICE)
    type_on_keys(qtbot, screen, pupil.surname[:3])
    found = screen.forgot_page.found
    qtbot.waitUntil(lambda: found.count() > 0, timeout=5000)
    shot(screen, "21_forgot_card_found")
    row = next(i for i in range(found.count()) if pupil.display_name in found.item(i).text())
    found.itemClicked.emit(found.item(row))
    qtbot.waitUntil(lambda: screen.forgot_page.photo.image() is not None, timeout=5000)
    shot(screen, "22_forgot_card_chosen")
    exams.set_exam(
        sessions,
        school.actors["senior"],
        dt.datetime.now(SCHOOL_ZONE).date(),
        dt.time(9, 0),
        "GCSE History paper 1",
        exams.Candidates(pupil_ids=(pupil.id,)),
    )
    with qtbot.waitSignal(screen.state_changed, timeout=5000):
        click(qtbot, screen.forgot_page.confirm)
    qtbot.waitUntil(lambda: screen.state is State.HANDED_IN, timeout=5000)
    qtbot.waitUntil(lambda: screen.lane.pending == 0, timeout=5000)
    shot(screen, "23_card_less_hand_in_exam_reminder")
