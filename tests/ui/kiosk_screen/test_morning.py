"""Mornings at the kiosk: pupils scan, see their slot huge, hear the chime; repeat scans,
exemptions, undo, and every error in plain words with its own sound."""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

import pytest
from new_cards import new_card
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from kiosk.db import Database
from kiosk.demo import DemoSchool
from kiosk.services import exemptions, settings, slot_checks
from kiosk.tables import AuditEvent, Custody, CustodyState, Pupil, Slot
from kiosk.ui.background import Op
from kiosk.ui.kiosk_screen.outcomes import DB_PROBLEM, State
from kiosk.ui.kiosk_screen.screen import KioskScreen
from kiosk.ui.kiosk_screen.turns import MIN_READ_SECONDS

from .conftest import ScreenFactory, SteadyClock, click, give_photo, pupil_id_with_card, scan


def held_slot(sessions: Database, pupil_id: int) -> int | None:
    with sessions() as session:
        return session.scalar(
            select(Slot.number)
            .join(Custody, Custody.slot_id == Slot.id)
            .where(Custody.pupil_id == pupil_id, Custody.state == CustodyState.HELD.value)
        )


def count(sessions: Database, model: type, *where: object) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def audit_kinds(sessions: Database) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(AuditEvent.kind).order_by(AuditEvent.seq)))


def test_a_morning_of_pupils_each_get_a_slot_painted_huge_with_a_chime(
    qtbot: QtBot, screen: KioskScreen, heard: list[str], sessions: Database, school: DemoSchool
) -> None:
    painted: list[str] = []
    screen.result_page.slot.painted.connect(painted.append)
    for index in range(6):
        pupil_id, text = pupil_id_with_card(school, index)
        assert scan(qtbot, screen, text) is State.HANDED_IN
        slot = held_slot(sessions, pupil_id)
        assert slot == index + 1  # the lowest free slot, in order
        qtbot.waitUntil(lambda slot=slot: str(slot) in painted, timeout=2000)
        assert screen.result_page.slot.text() == str(slot)
        assert screen.result_page.message.text() == (
            f"Switch your phone off and put it in slot {slot}"
        )
        assert heard[-1] == "success"
    assert count(sessions, Custody) == 6


def test_the_slot_number_fills_at_least_40_percent_of_the_screen_height(
    qtbot: QtBot, make_screen: ScreenFactory, school: DemoSchool
) -> None:
    for size in ((1024, 600), (1920, 1080)):
        screen = make_screen(size=size)
        scan(qtbot, screen, pupil_id_with_card(school, size[0] % 7)[1])
        card = screen.result_page.slot.card_rect()
        assert card.height() >= 0.4 * size[1], size
        screen.close()


def test_scanning_again_shows_the_same_slot_not_a_new_one(
    qtbot: QtBot, screen: KioskScreen, heard: list[str], sessions: Database, school: DemoSchool
) -> None:
    pupil_id, text = pupil_id_with_card(school, 0)
    scan(qtbot, screen, text)
    first = held_slot(sessions, pupil_id)
    click(qtbot, screen.result_page.done)
    assert screen.state is State.IDLE
    assert scan(qtbot, screen, text) is State.ALREADY_HANDED_IN
    assert screen.result_page.slot.text() == str(first)
    assert f"slot {first}" in screen.result_page.message.text()
    assert heard == ["success", "info"]
    assert count(sessions, Custody) == 1
    assert audit_kinds(sessions)[-2:] == ["hand_in", "hand_in_repeat_scan"]


def test_the_same_card_twice_within_seconds_is_one_scan(
    qtbot: QtBot,
    make_screen: ScreenFactory,
    steady: SteadyClock,
    sessions: Database,
    school: DemoSchool,
) -> None:
    screen = make_screen(repeat_scan_seconds=6)
    _, text = pupil_id_with_card(school, 0)
    scan(qtbot, screen, text)
    screen.handle_scan(text)  # the camera and the scanner both read it
    click(qtbot, screen.result_page.done)
    steady.advance(4)
    screen.handle_scan(text)  # still in view after "Done": the same presentation
    qtbot.wait(300)
    assert screen.lane.pending == 0 and screen.state is State.IDLE
    assert audit_kinds(sessions).count("hand_in_repeat_scan") == 0
    steady.advance(7)  # taken away, and shown again later: a new scan
    assert scan(qtbot, screen, text) is State.ALREADY_HANDED_IN


def test_the_pupil_screen_shows_photo_forename_and_initial_only(
    qtbot: QtBot, screen: KioskScreen, sessions: Database, school: DemoSchool
) -> None:
    pupil_id, text = pupil_id_with_card(school, 2)
    give_photo(sessions, pupil_id)
    with qtbot.waitSignal(screen.state_changed):
        screen.handle_scan(text)
    # The slot number is on screen first; the photo's box is kept for it, then it arrives.
    assert screen.result_page.slot.text() == "1"
    assert screen.result_page.photo.isVisible() and screen.result_page.photo.image() is None
    qtbot.waitUntil(lambda: screen.result_page.photo.image() is not None, timeout=3000)
    with sessions() as session:
        pupil = session.get(Pupil, pupil_id)
        assert pupil is not None
        forename, surname = pupil.display_forename, pupil.surname
        private = [pupil.upn, pupil.admission_number, pupil.reg_group, f"Year {pupil.year_group}"]
    page = screen.result_page
    assert page.title.text() == f"{forename} {surname[0]}."
    shown = " ".join((page.title.text(), page.message.text()))
    assert surname not in shown
    assert not any(item in shown for item in private)
    assert page.photo.isVisible()
    photo = page.photo.image()
    assert photo is not None and (photo.width(), photo.height()) == (300, 400)


def test_a_pupil_without_a_photo_gets_no_empty_photo_box(
    qtbot: QtBot, screen: KioskScreen, school: DemoSchool
) -> None:
    scan(qtbot, screen, pupil_id_with_card(school, 3)[1])
    assert not screen.result_page.photo.isVisible()


def test_an_exempt_pupil_sees_the_exemption_and_it_is_recorded(
    qtbot: QtBot, screen: KioskScreen, heard: list[str], sessions: Database, school: DemoSchool
) -> None:
    pupil_id, text = pupil_id_with_card(school, 4)
    detail = "Blood glucose monitoring app"
    exemptions.grant(sessions, school.actors["senior"], pupil_id, "medical", detail)
    assert scan(qtbot, screen, text) is State.EXEMPT
    page = screen.result_page
    assert page.message.text() == "You may keep your device today"
    shown = " ".join((page.title.text(), page.message.text()))
    assert "medical" not in shown.lower() and detail not in shown  # never why
    assert not screen.result_page.slot.isVisible()
    assert heard == ["info"]
    assert count(sessions, Custody) == 0
    assert audit_kinds(sessions)[-1] == "exemption_shown"


def test_undo_needs_the_same_card_again_and_the_slot_waits_for_a_staff_check(
    qtbot: QtBot, screen: KioskScreen, sessions: Database, school: DemoSchool
) -> None:
    pupil_id, text = pupil_id_with_card(school, 0)
    scan(qtbot, screen, text)
    assert screen.result_page.undo.isVisible()
    assert screen.result_page.undo.text() == "Not me? Undo (20)"
    click(qtbot, screen.result_page.undo)
    assert screen.state is State.UNDO_CONFIRM
    assert screen.result_page.message.text() == "Show the same card again now to cancel it"
    assert held_slot(sessions, pupil_id) == 1  # nothing undone by the tap alone
    assert scan(qtbot, screen, text) is State.UNDONE
    assert "slot 1" in screen.result_page.message.text()
    assert held_slot(sessions, pupil_id) is None
    assert audit_kinds(sessions)[-1] == "hand_in_undone"
    assert [s.number for s in slot_checks.slots_to_check(sessions)] == [1]
    other_id, other_text = pupil_id_with_card(school, 1)
    scan(qtbot, screen, other_text)
    assert held_slot(sessions, other_id) == 2  # never the slot a phone may still be in
    slot_checks.mark_checked_empty(sessions, school.actors["office"], 1)
    third_id, third_text = pupil_id_with_card(school, 2)
    scan(qtbot, screen, third_text)
    assert held_slot(sessions, third_id) == 1
    assert audit_kinds(sessions)[-2] == "slot_checked_empty"


def test_the_undo_button_counts_down_and_goes(
    qtbot: QtBot, screen: KioskScreen, steady: SteadyClock, school: DemoSchool
) -> None:
    scan(qtbot, screen, pupil_id_with_card(school, 0)[1])
    steady.advance(1)
    screen.undo_timer.timeout.emit()
    assert screen.result_page.undo.text() == "Not me? Undo (19)"
    steady.advance(19)
    screen.undo_timer.timeout.emit()
    assert not screen.result_page.undo.isVisible()


def test_a_result_goes_back_to_idle_by_itself_or_with_a_tap(
    qtbot: QtBot, screen: KioskScreen, steady: SteadyClock, school: DemoSchool
) -> None:
    scan(qtbot, screen, pupil_id_with_card(school, 0)[1])
    assert screen.back_timer.isActive()
    assert screen.back_timer.interval() == 20_000  # as long as the undo is offered
    click(qtbot, screen.result_page)  # a tap anywhere
    assert screen.state is State.IDLE
    scan(qtbot, screen, pupil_id_with_card(school, 0)[1])
    assert screen.back_timer.isActive() and screen.back_timer.interval() == 8000
    screen.back_timer.timeout.emit()  # early: the result is held its full time
    assert screen.state is State.ALREADY_HANDED_IN
    steady.advance(8)
    screen.back_timer.timeout.emit()
    assert screen.state is State.IDLE


def test_a_new_scan_replaces_the_last_result_once_it_has_been_read(
    qtbot: QtBot, screen: KioskScreen, steady: SteadyClock, sessions: Database, school: DemoSchool
) -> None:
    scan(qtbot, screen, pupil_id_with_card(school, 0)[1])
    steady.advance(MIN_READ_SECONDS)
    second_id, second = pupil_id_with_card(school, 1)
    scan(qtbot, screen, second)
    assert screen.result_page.slot.text() == str(held_slot(sessions, second_id)) == "2"


def test_the_next_pupils_scan_waits_until_the_result_up_has_been_read(
    qtbot: QtBot, screen: KioskScreen, steady: SteadyClock, sessions: Database, school: DemoSchool
) -> None:
    scan(qtbot, screen, pupil_id_with_card(school, 0)[1])
    second_id, second = pupil_id_with_card(school, 1)
    screen.handle_scan(second)  # the next pupil, at once
    assert screen.wait_timer.isActive() and screen.lane.pending == 0
    steady.advance(MIN_READ_SECONDS / 2)
    screen.wait_timer.timeout.emit()  # too early: the first result stays up
    assert screen.result_page.slot.text() == "1" and held_slot(sessions, second_id) is None
    steady.advance(MIN_READ_SECONDS / 2)
    with qtbot.waitSignal(screen.state_changed, timeout=5000):
        screen.wait_timer.timeout.emit()
    qtbot.waitUntil(lambda: screen.lane.pending == 0, timeout=5000)
    assert screen.result_page.slot.text() == str(held_slot(sessions, second_id)) == "2"


# -- errors ------------------------------------------------------------------------------


def assert_error(screen: KioskScreen, heard: list[str], title: str, words: str) -> None:
    page = screen.result_page
    assert screen.state is State.ERROR
    assert page.title.text() == title
    assert words in page.message.text()
    assert "Traceback" not in page.message.text()
    assert heard[-1] == "error"
    assert page.done.text() == "OK"


def test_a_card_that_is_not_ours_is_refused_in_plain_words(
    qtbot: QtBot, screen: KioskScreen, heard: list[str], school: DemoSchool, sessions: Database
) -> None:
    scan(qtbot, screen, "https://example.com/not-a-card")
    assert_error(screen, heard, "Card not recognised", "Please show your school card.")
    _, text = pupil_id_with_card(school, 0)
    forged = text[:-3] + ("AAA" if not text.endswith("AAA") else "BBB")
    scan(qtbot, screen, forged)
    assert_error(screen, heard, "Card not recognised", "Please see the office.")
    assert count(sessions, Custody) == 0


def test_a_replaced_card_is_refused_and_the_pupil_told_where_to_go(
    qtbot: QtBot, screen: KioskScreen, heard: list[str], school: DemoSchool, sessions: Database
) -> None:
    pupil_id, old_text = pupil_id_with_card(school, 0)
    new_card(sessions, school.actors["admin"], pupil_id)
    scan(qtbot, screen, old_text)
    assert_error(screen, heard, "This card has been replaced", "see the office for your new card")


def test_when_every_slot_is_full_the_pupil_is_sent_to_the_office(
    qtbot: QtBot, screen: KioskScreen, heard: list[str], school: DemoSchool, sessions: Database
) -> None:
    ordinary = count(sessions, Slot, Slot.reserved_for_confiscation.is_(False))
    for index in range(ordinary):
        assert scan(qtbot, screen, pupil_id_with_card(school, index)[1]) is State.HANDED_IN
    scan(qtbot, screen, pupil_id_with_card(school, ordinary)[1])
    assert_error(screen, heard, "No free slot", "Please take your phone to the office.")


def test_an_unreachable_database_says_so_and_logs_no_personal_data(
    qtbot: QtBot,
    screen: KioskScreen,
    heard: list[str],
    school: DemoSchool,
    sessions: Database,
    data_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, text = pupil_id_with_card(school, 0)
    engine = sessions.engine
    engine.dispose()
    database = data_dir / "kiosk.db"
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    database.write_bytes(os.urandom(8192))  # the file is damaged: no longer a database
    with caplog.at_level(logging.ERROR, logger="kiosk.ui"):
        scan(qtbot, screen, text)
    assert_error(screen, heard, "Kiosk not working", DB_PROBLEM)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "A scan failed: DatabaseUnavailable: DatabaseError" in logged
    assert text not in logged and text.split(".")[-1] not in logged


def test_a_scan_while_another_kiosk_holds_the_database_never_freezes_the_screen(
    qtbot: QtBot, screen: KioskScreen, school: DemoSchool, data_dir: Path
) -> None:
    import sqlite3

    other_kiosk = sqlite3.connect(data_dir / "kiosk.db", isolation_level=None)
    other_kiosk.execute("BEGIN IMMEDIATE")  # holds the write lock, as a busy kiosk would
    try:
        screen.handle_scan(pupil_id_with_card(school, 0)[1])
        started = dt.datetime.now()
        qtbot.waitUntil(lambda: screen.idle_page.status.text() == "One moment…", timeout=3000)
        assert (dt.datetime.now() - started).total_seconds() < 2  # the GUI kept running
        assert screen.state is State.IDLE
    finally:
        other_kiosk.rollback()
        other_kiosk.close()
    qtbot.waitUntil(lambda: screen.state is State.HANDED_IN, timeout=5000)
    assert screen.idle_page.status.text() == ""


def test_sounds_follow_the_school_setting(
    qtbot: QtBot, screen: KioskScreen, school: DemoSchool, sessions: Database
) -> None:
    assert screen.sounds.enabled
    settings.update(sessions, school.actors["admin"], {"sound": "off"})
    with qtbot.waitCallback() as loaded:
        Op(screen, "Waiting", lambda: None).success(lambda _: loaded()).run(screen.lane)
        screen.reload_settings()
    qtbot.waitUntil(lambda: not screen.sounds.enabled, timeout=3000)
