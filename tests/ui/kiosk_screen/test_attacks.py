"""Issue 15, as a mischievous pupil in the queue would try it, on the real MainWindow: each
attack ends in the safe outcome.

The window's kiosk screen runs on the test's ``steady`` clock, so a minute at the kiosk
takes no minute here; scans come in as a USB scanner types them, or as the camera hands
them over (``handle_scan``)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from new_cards import new_card
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from kiosk.config import Config
from kiosk.db import Database
from kiosk.demo import DEMO_PINS, DemoSchool
from kiosk.services import custody, exemptions, settings, slot_checks, staff
from kiosk.tables import AuditEvent, Custody, CustodyState
from kiosk.ui.kiosk_screen.home_time import STAFF_PRESENCE_SECONDS
from kiosk.ui.kiosk_screen.outcomes import State
from kiosk.ui.kiosk_screen.screen import KioskScreen
from kiosk.ui.kiosk_screen.turns import MIN_READ_SECONDS
from kiosk.ui.main_window import MainWindow
from kiosk.ui.widgets.fit_text import FitText

from .conftest import OFFICE, SteadyClock, click, log_in, pupil_id_with_card


@pytest.fixture
def window(
    qtbot: QtBot, sessions: Database, kiosk_config: Config, steady: SteadyClock
) -> Iterator[MainWindow]:
    made = MainWindow(kiosk_config, sessions, daily_backup=lambda config: config.data_dir)
    qtbot.addWidget(made, before_close_func=lambda w: setattr(w, "allow_close", True))
    made.kiosk.monotonic = steady
    made.resize(1024, 600)
    made.show()
    qtbot.waitExposed(made)
    yield made
    made.shutdown()


def set_mode(sessions: Database, school: DemoSchool, kiosk: KioskScreen, mode: str) -> None:
    settings.update(sessions, school.actors["admin"], {"mode": mode})
    kiosk._apply_settings(settings.load(sessions))


def wedge_scan(qtbot: QtBot, window: MainWindow, text: str) -> State:
    """What a USB scanner does: the text typed in a burst, then Enter."""
    kiosk = window.kiosk
    with qtbot.waitSignal(kiosk.state_changed, timeout=5000):
        QTest.keyClicks(kiosk, text)
        QTest.keyClick(kiosk, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: kiosk.lane.pending == 0, timeout=5000)
    return kiosk.state


def kinds(sessions: Database) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(AuditEvent.kind).order_by(AuditEvent.seq)))


def held(sessions: Database) -> dict[int, int]:
    """Pupil id -> slot id of every device held."""
    with sessions() as session:
        rows = session.execute(
            select(Custody.pupil_id, Custody.slot_id).where(Custody.state == CustodyState.HELD)
        )
        return {pupil: slot for pupil, slot in rows}


def words_on_screen(window: MainWindow) -> str:
    texts = [w.text() for w in window.findChildren(FitText) if w.isVisible()]
    texts += [w.text() for w in window.findChildren(QLabel) if w.isVisible()]
    return " | ".join(texts)


# -- Undo ---------------------------------------------------------------------------------


def test_the_queue_pupil_tapping_undo_cannot_strand_a_phone(
    qtbot: QtBot, window: MainWindow, steady: SteadyClock, sessions: Database, school: DemoSchool
) -> None:
    kiosk = window.kiosk
    set_mode(sessions, school, kiosk, "handin")
    a_id, a_card = pupil_id_with_card(school, 0)
    b_id, b_card = pupil_id_with_card(school, 1)
    assert wedge_scan(qtbot, window, a_card) is State.HANDED_IN  # A walks to slot 1
    steady.advance(3)
    click(qtbot, kiosk.result_page.undo)  # B, next in the queue, taps Undo
    assert kiosk.state is State.UNDO_CONFIRM
    assert a_id in held(sessions)  # a tap alone undoes nothing
    steady.advance(MIN_READ_SECONDS)
    assert wedge_scan(qtbot, window, b_card) is State.HANDED_IN  # B's own card: B's hand-in
    assert kiosk.answer is not None and kiosk.answer.card == b_card  # A's Undo is gone
    assert kiosk.result_page.slot.text() == "2"
    assert set(held(sessions)) == {a_id, b_id} and len(set(held(sessions).values())) == 2
    assert "hand_in_undone" not in kinds(sessions)
    # Waiting it out changes nothing either: the confirmation times out.
    click(qtbot, kiosk.result_page.undo)
    steady.advance(16)
    kiosk.back_timer.timeout.emit()
    assert kiosk.state is State.IDLE and b_id in held(sessions)


def test_an_undone_slot_is_not_given_to_the_next_pupil_until_staff_check_it(
    qtbot: QtBot, window: MainWindow, steady: SteadyClock, sessions: Database, school: DemoSchool
) -> None:
    kiosk = window.kiosk
    set_mode(sessions, school, kiosk, "handin")
    _, a_card = pupil_id_with_card(school, 0)
    wedge_scan(qtbot, window, a_card)
    click(qtbot, kiosk.result_page.undo)
    assert wedge_scan(qtbot, window, a_card) is State.UNDONE  # A's own card, shown again
    assert "Staff will check slot 1" in kiosk.result_page.message.text()
    steady.advance(MIN_READ_SECONDS)
    for index in (1, 2):  # the phone may still be in slot 1: nobody is sent there
        wedge_scan(qtbot, window, pupil_id_with_card(school, index)[1])
        assert kiosk.result_page.slot.text() == str(index + 1)
        steady.advance(MIN_READ_SECONDS)
    slot_checks.mark_checked_empty(sessions, school.actors["office"], 1)
    wedge_scan(qtbot, window, pupil_id_with_card(school, 3)[1])
    assert kiosk.result_page.slot.text() == "1"


# -- home time ----------------------------------------------------------------------------


def test_pupils_cannot_give_back_after_the_staff_member_walks_away(
    qtbot: QtBot, window: MainWindow, steady: SteadyClock, sessions: Database, school: DemoSchool
) -> None:
    kiosk = window.kiosk
    for index in range(4):
        custody.hand_in(sessions, school.pupil_ids[index])
    set_mode(sessions, school, kiosk, "collection")
    click(qtbot, kiosk.staff_strip.start)
    log_in(qtbot, kiosk.staff_page.login, OFFICE)
    qtbot.waitUntil(lambda: kiosk.staff_strip.staff_name == OFFICE, timeout=5000)
    assert wedge_scan(qtbot, window, pupil_id_with_card(school, 0)[1]) is State.COLLECT_CONFIRM
    with qtbot.waitSignal(kiosk.state_changed, timeout=5000):
        click(qtbot, kiosk.collection_page.give_back)
    assert kiosk.state is State.COLLECTED
    # Olivia walks away without a word. A pupil scans: the confirmation page is up...
    steady.advance(MIN_READ_SECONDS)
    assert wedge_scan(qtbot, window, pupil_id_with_card(school, 1)[1]) is State.COLLECT_CONFIRM
    steady.advance(STAFF_PRESENCE_SECONDS + 1)
    kiosk.presence_timer.timeout.emit()
    assert kiosk.staff_strip.staff_name is None
    click(qtbot, kiosk.collection_page.give_back)  # ...and the pupil taps Give back
    assert kiosk.state is State.STAFF  # a PIN, which the pupil has not got
    click(qtbot, kiosk.staff_page.back)
    # Another pupil scans: nothing is looked up, nothing offered.
    steady.advance(MIN_READ_SECONDS)
    assert wedge_scan(qtbot, window, pupil_id_with_card(school, 2)[1]) is State.WAIT_FOR_STAFF
    assert not kiosk.collection_page.isVisible()
    assert len(held(sessions)) == 3  # only the one Olivia gave back has gone


def test_im_leaving_locks_giving_back_at_once(
    qtbot: QtBot, window: MainWindow, steady: SteadyClock, sessions: Database, school: DemoSchool
) -> None:
    kiosk = window.kiosk
    custody.hand_in(sessions, school.pupil_ids[0])
    set_mode(sessions, school, kiosk, "collection")
    click(qtbot, kiosk.staff_strip.start)
    log_in(qtbot, kiosk.staff_page.login, OFFICE)
    qtbot.waitUntil(lambda: kiosk.staff_strip.leaving.isVisible(), timeout=5000)
    assert f"{OFFICE} is giving phones back" in words_on_screen(window)
    click(qtbot, kiosk.staff_strip.leaving)
    assert wedge_scan(qtbot, window, pupil_id_with_card(school, 0)[1]) is State.WAIT_FOR_STAFF
    assert len(held(sessions)) == 1


def test_a_pupil_cannot_keep_the_window_open_and_the_pin_comes_back_within_15_minutes(
    qtbot: QtBot, window: MainWindow, steady: SteadyClock, sessions: Database, school: DemoSchool
) -> None:
    kiosk = window.kiosk
    for index in range(3):
        custody.hand_in(sessions, school.pupil_ids[index])
    set_mode(sessions, school, kiosk, "collection")
    kiosk.open_home_time(
        staff.check_pin(
            sessions, school.actors["office"].id or 0, DEMO_PINS["office"], terminal="test-kiosk"
        )
    )
    assert wedge_scan(qtbot, window, pupil_id_with_card(school, 0)[1]) is State.COLLECT_CONFIRM
    for _ in range(3):  # Olivia has gone; a pupil taps away at what releases nothing
        steady.advance(25)
        click(qtbot, kiosk.collection_page.not_now)
        click(qtbot, kiosk.result_page)
    kiosk.presence_timer.timeout.emit()
    assert kiosk.staff_present() is None and kiosk.staff_strip.staff_name is None
    # A busy member of staff: give-backs keep the window open, but not past 15 minutes.
    kiosk.open_home_time(
        staff.check_pin(
            sessions, school.actors["office"].id or 0, DEMO_PINS["office"], terminal="test-kiosk"
        )
    )
    for _ in range(17):
        steady.advance(55)
        kiosk.renew_staff()  # what each give-back does
        kiosk.presence_timer.timeout.emit()
    assert kiosk.staff_present() is None
    assert len(held(sessions)) == 3


# -- what the queue can read --------------------------------------------------------------


def test_the_medical_exemption_scan_says_nothing_about_why(
    qtbot: QtBot, window: MainWindow, sessions: Database, school: DemoSchool
) -> None:
    set_mode(sessions, school, window.kiosk, "handin")
    pupil_id, card = pupil_id_with_card(school, 4)
    exemptions.grant(sessions, school.actors["senior"], pupil_id, "medical", "Insulin pump app")
    assert wedge_scan(qtbot, window, card) is State.EXEMPT
    shown = words_on_screen(window)
    assert "You may keep your device today" in shown
    assert "medical" not in shown.lower() and "insulin" not in shown.lower()
    with sessions() as session:
        from kiosk.tables import Pupil

        pupil = session.get(Pupil, pupil_id)
        assert pupil is not None
        assert pupil.surname not in shown and pupil.upn not in shown


# -- one presentation, one event ----------------------------------------------------------


def test_a_card_held_in_view_for_a_minute_is_one_hand_in_and_its_undo_stays(
    qtbot: QtBot, window: MainWindow, steady: SteadyClock, sessions: Database, school: DemoSchool
) -> None:
    kiosk = window.kiosk
    set_mode(sessions, school, kiosk, "handin")
    _, card = pupil_id_with_card(school, 0)
    with qtbot.waitSignal(kiosk.state_changed, timeout=5000):
        kiosk.handle_scan(card)  # the camera reads it...
    qtbot.waitUntil(lambda: kiosk.lane.pending == 0, timeout=5000)
    for _ in range(15):  # ...and again every 4 s while it lies there, for a minute
        steady.advance(4)
        kiosk.handle_scan(card)
        kiosk.back_timer.timeout.emit()  # as if each timer were due
        kiosk.undo_timer.timeout.emit()
        qtbot.wait(20)
        assert kiosk.state is State.HANDED_IN and kiosk.result_page.undo.isVisible()
    assert kiosk.lane.pending == 0
    assert kinds(sessions).count("hand_in") == 1
    assert kinds(sessions).count("hand_in_repeat_scan") == 0
    steady.advance(21)  # the card is taken away: the result goes in its own time
    kiosk.back_timer.timeout.emit()
    assert kiosk.state is State.IDLE


# -- a slow database ----------------------------------------------------------------------


@pytest.fixture
def pause_database(data_dir: Path) -> Iterator[Callable[[], sqlite3.Connection]]:
    """Another connection that takes SQLite's write lock when asked, as a stuck kiosk or
    a backup would; ``rollback()`` on it lets the database go again."""
    opened: list[sqlite3.Connection] = []

    def pause() -> sqlite3.Connection:
        other = sqlite3.connect(data_dir / "kiosk.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        opened.append(other)
        return other

    yield pause
    for other in opened:
        if other.in_transaction:
            other.rollback()
        other.close()


def test_two_scans_behind_a_paused_database_each_show_only_their_own_pupil(
    qtbot: QtBot,
    window: MainWindow,
    sessions: Database,
    school: DemoSchool,
    pause_database: Callable[[], sqlite3.Connection],
) -> None:
    kiosk = window.kiosk
    set_mode(sessions, school, kiosk, "handin")
    paused_database = pause_database()
    a_id, a_card = pupil_id_with_card(school, 0)
    b_id, b_card = pupil_id_with_card(school, 1)
    titles: list[str] = []
    kiosk.state_changed.connect(lambda _s: titles.append(kiosk.result_page.title.text()))
    kiosk.handle_scan(a_card)
    qtbot.wait(600)
    assert kiosk.idle_page.status.text() == "One moment…"
    kiosk.handle_scan(b_card)  # A gave up and went; B scans
    qtbot.wait(400)
    paused_database.rollback()  # the database comes back
    qtbot.waitUntil(lambda: kiosk.state is State.HANDED_IN, timeout=8000)
    qtbot.waitUntil(lambda: kiosk.lane.pending == 0, timeout=5000)
    qtbot.wait(300)
    with sessions() as session:
        from kiosk.tables import Pupil

        a_name = session.get(Pupil, a_id).display_forename  # type: ignore[union-attr]
    assert kiosk.answer is not None and kiosk.answer.pupil_id == b_id
    assert set(held(sessions)) == {a_id, b_id}  # A's hand-in was recorded (A scans again)
    assert not any(a_name in title for title in titles)  # A's result never reached B
    assert kiosk.result_page.slot.text() == "2"


def test_scans_queued_longer_than_a_pupil_waits_record_nothing_and_show_no_one(
    qtbot: QtBot,
    window: MainWindow,
    sessions: Database,
    school: DemoSchool,
    pause_database: Callable[[], sqlite3.Connection],
) -> None:
    kiosk = window.kiosk
    set_mode(sessions, school, kiosk, "handin")
    before = kinds(sessions)
    paused_database = pause_database()
    kiosk.turns.late_seconds = 1.0  # a pupil who waited this long may have gone
    kiosk.handle_scan(pupil_id_with_card(school, 0)[1])
    qtbot.wait(200)
    kiosk.handle_scan(pupil_id_with_card(school, 1)[1])
    qtbot.wait(1500)
    paused_database.rollback()
    qtbot.waitUntil(lambda: kiosk.state is State.ERROR, timeout=8000)
    qtbot.waitUntil(lambda: kiosk.lane.pending == 0, timeout=5000)
    assert kiosk.result_page.title.text() == "Please scan again"
    assert "nothing was recorded" in kiosk.result_page.message.text()
    assert held(sessions) == {} and kinds(sessions) == before


# -- probing ------------------------------------------------------------------------------


def events_of(sessions: Database, kind: str) -> list[dict[str, object]]:
    with sessions() as session:
        rows = session.scalars(select(AuditEvent.details).where(AuditEvent.kind == kind))
        return [json.loads(details) for details in rows]


def test_probing_is_counted_per_minute_per_kiosk_not_one_event_per_scan(
    qtbot: QtBot, window: MainWindow, steady: SteadyClock, sessions: Database, school: DemoSchool
) -> None:
    kiosk = window.kiosk
    set_mode(sessions, school, kiosk, "handin")
    start = dt.datetime(2026, 12, 7, 8, 12, 5)
    kiosk.clock = lambda: start
    replaced_id, old_card = pupil_id_with_card(school, 3)
    new_card(sessions, school.actors["admin"], replaced_id)
    _, good = pupil_id_with_card(school, 0)
    forged = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    probes = ["https://example.com/x", "not a card", forged, forged + "7", old_card]
    before = len(kinds(sessions))
    for text in probes:
        assert wedge_scan(qtbot, window, text) is State.ERROR
        steady.advance(MIN_READ_SECONDS)
    assert len(kinds(sessions)) == before  # nothing yet: the minute is still counting
    kiosk.clock = lambda: start + dt.timedelta(minutes=1)
    kiosk.probe_timer.timeout.emit()
    qtbot.waitUntil(lambda: kiosk.lane.pending == 0, timeout=5000)
    [refused] = events_of(sessions, "cards_refused")
    assert refused["count"] == 5 and refused["kiosk"] == "test-kiosk"
    assert refused["minute"] == "2026-12-07T08:12"
    assert refused["reasons"] == {"forged": 1, "not_a_card": 3, "replaced_card": 1}
    # Look-ups at home time, with a member of staff there, are counted the same way.
    custody.hand_in(sessions, school.pupil_ids[0])
    set_mode(sessions, school, kiosk, "collection")
    kiosk.open_home_time(
        staff.check_pin(
            sessions, school.actors["office"].id or 0, DEMO_PINS["office"], terminal="test-kiosk"
        )
    )
    for index in (0, 1, 2):
        wedge_scan(qtbot, window, pupil_id_with_card(school, index)[1])
        steady.advance(MIN_READ_SECONDS)
    window.close()  # the kiosk closing writes what it has counted
    [looked_up] = events_of(sessions, "home_time_lookups")
    assert looked_up["count"] == 3 and looked_up["pupil_ids"] == sorted(school.pupil_ids[:3])
