"""Home time: staff switch collection on with their PIN (or the clock does) and stay signed
in at the kiosk while they give phones back (each tap renews a short window; "I'm leaving"
ends it); with nobody there a scan reads nothing. Confiscated devices are never released
at the kiosk."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from sqlalchemy import select
from steady_clock import HOME_TIME, SteadyClock

from kiosk.db import Database
from kiosk.demo import DEMO_PINS, DemoSchool
from kiosk.services import confiscation, custody, settings, staff
from kiosk.tables import AuditEvent, Custody, CustodyState
from kiosk.ui.kiosk_screen.home_time import STAFF_PRESENCE_SECONDS
from kiosk.ui.kiosk_screen.outcomes import OTHER_DEVICE_NOTE, SEE_THE_OFFICE, Mode, State
from kiosk.ui.kiosk_screen.screen import KioskScreen
from kiosk.ui.kiosk_screen.turns import MIN_READ_SECONDS

from .conftest import (
    OFFICE,
    ScreenFactory,
    click,
    log_in,
    pupil_id_with_card,
    scan,
)


def custody_row(sessions: Database, custody_id: int) -> Custody:
    with sessions() as session:
        row = session.get(Custody, custody_id)
        assert row is not None
        session.expunge(row)
        return row


def last_event(sessions: Database, kind: str) -> AuditEvent:
    with sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.seq.desc())
        ).first()
        assert event is not None, kind
        session.expunge(event)
        return event


def morning_hand_ins(sessions: Database, school: DemoSchool, count: int) -> list[int]:
    return [
        int(custody.hand_in(sessions, school.pupil_ids[index]).custody_id or 0)
        for index in range(count)
    ]


def switch_mode_with_pin(qtbot: QtBot, screen: KioskScreen, key: str, name: str) -> None:
    click(qtbot, screen.top_bar.staff_button)
    assert screen.state is State.STAFF
    click(qtbot, screen.staff_page.menu_buttons[key])
    assert screen.staff_page.views.currentWidget() is screen.staff_page.login
    log_in(qtbot, screen.staff_page.login, name)
    qtbot.waitUntil(lambda: screen.school is not None and screen.school.mode == key, timeout=5000)
    assert screen.state is State.IDLE


def staff_at_the_kiosk(sessions: Database, school: DemoSchool, screen: KioskScreen) -> None:
    """Olivia signed in at the kiosk (as "Staff: start giving back" and her PIN would)."""
    screen.open_home_time(
        staff.check_pin(
            sessions, school.actors["office"].id or 0, DEMO_PINS["office"], terminal="test-kiosk"
        )
    )


def events(sessions: Database, kind: str) -> int:
    with sessions() as session:
        return len(session.scalars(select(AuditEvent.seq).where(AuditEvent.kind == kind)).all())


def give_back(qtbot: QtBot, screen: KioskScreen) -> None:
    with qtbot.waitSignal(screen.state_changed, timeout=5000):
        click(qtbot, screen.collection_page.give_back)


def test_a_whole_day_morning_hand_in_then_staff_start_home_time_and_give_phones_back(
    qtbot: QtBot,
    screen: KioskScreen,
    steady: SteadyClock,
    heard: list[str],
    sessions: Database,
    school: DemoSchool,
) -> None:
    pupils = [pupil_id_with_card(school, index) for index in range(4)]
    for _, text in pupils:
        steady.advance(MIN_READ_SECONDS)  # each pupil reads their slot and goes
        assert scan(qtbot, screen, text) is State.HANDED_IN
    switch_mode_with_pin(qtbot, screen, "collection", OFFICE)
    assert screen.mode is Mode.COLLECTION
    assert screen.top_bar.mode.text() == "Home time"
    assert screen.staff_present() is not None and screen.staff_strip.isVisible()
    assert screen.staff_strip.words.text().startswith(f"{OFFICE} is giving phones back")
    assert last_event(sessions, "settings_changed").actor_name == OFFICE
    for expected_slot, (pupil_id, text) in enumerate(pupils, start=1):
        assert scan(qtbot, screen, text) is State.COLLECT_CONFIRM
        page = screen.collection_page
        assert page.slot.text() == str(expected_slot)
        assert page.give_back.text() == f"Give back: slot {expected_slot}"
        assert screen.staff_strip.staff_name == OFFICE  # always on screen while open
        give_back(qtbot, screen)  # no PIN: the member who started home time is there
        assert screen.state is State.COLLECTED
        assert screen.result_page.slot.text() == str(expected_slot)
        event = last_event(sessions, "collected")
        assert (event.pupil_id, event.actor_name) == (pupil_id, OFFICE)
        released = custody_row(sessions, int(event.custody_id or 0))
        assert released.state == CustodyState.RELEASED.value and released.released_to == "pupil"
        steady.advance(MIN_READ_SECONDS)
    assert heard[-2:] == ["info", "success"]
    switch_mode_with_pin(qtbot, screen, "handin", OFFICE)
    assert screen.mode is Mode.HANDIN and screen.staff_present() is None
    assert not screen.staff_strip.isVisible()


def test_a_confiscated_device_sends_the_pupil_to_the_office_and_is_never_offered(
    qtbot: QtBot,
    make_screen: ScreenFactory,
    heard: list[str],
    sessions: Database,
    school: DemoSchool,
) -> None:
    screen = make_screen(clock=HOME_TIME)
    staff_at_the_kiosk(sessions, school, screen)
    pupil_id, text = pupil_id_with_card(school, 5)
    taken = confiscation.confiscate(sessions, school.actors["office"], pupil_id, "used in lesson")
    assert scan(qtbot, screen, text) is State.CONFISCATED
    assert screen.result_page.message.text() == SEE_THE_OFFICE  # not why: the queue reads it
    assert not screen.result_page.slot.isVisible()  # the slot is the office's business
    assert custody_row(sessions, taken.id).state == CustodyState.HELD.value


def test_a_pupil_with_a_daily_phone_and_a_confiscated_one_gets_only_the_daily_one(
    qtbot: QtBot, make_screen: ScreenFactory, sessions: Database, school: DemoSchool
) -> None:
    pupil_id, text = pupil_id_with_card(school, 0)
    daily_id = morning_hand_ins(sessions, school, 1)[0]
    taken = confiscation.confiscate(sessions, school.actors["office"], pupil_id, "used in lesson")
    screen = make_screen(clock=HOME_TIME)
    staff_at_the_kiosk(sessions, school, screen)
    assert scan(qtbot, screen, text) is State.COLLECT_CONFIRM
    assert screen.collection_page.note.text() == OTHER_DEVICE_NOTE
    give_back(qtbot, screen)
    assert custody_row(sessions, daily_id).state == CustodyState.RELEASED.value
    assert custody_row(sessions, taken.id).state == CustodyState.HELD.value


def test_nothing_held_is_said_plainly(
    qtbot: QtBot, make_screen: ScreenFactory, sessions: Database, school: DemoSchool
) -> None:
    screen = make_screen(clock=HOME_TIME)
    staff_at_the_kiosk(sessions, school, screen)
    assert scan(qtbot, screen, pupil_id_with_card(school, 9)[1]) is State.NOTHING_HELD
    assert "see the office" in screen.result_page.message.text()


def test_with_no_staff_at_the_kiosk_a_scan_reads_nothing_and_staff_start_with_a_pin(
    qtbot: QtBot, make_screen: ScreenFactory, sessions: Database, school: DemoSchool
) -> None:
    morning_hand_ins(sessions, school, 2)
    screen = make_screen(clock=HOME_TIME)
    assert screen.mode is Mode.COLLECTION and screen.staff_present() is None
    assert screen.staff_strip.start.isVisible() and not screen.staff_strip.leaving.isVisible()
    assert scan(qtbot, screen, pupil_id_with_card(school, 0)[1]) is State.WAIT_FOR_STAFF
    page = screen.result_page
    assert not page.slot.isVisible() and page.title.text() == "Home time"
    assert screen.lane.pending == 0 and events(sessions, "home_time_lookups") == 0
    click(qtbot, screen.staff_strip.start)
    assert screen.state is State.STAFF
    log_in(qtbot, screen.staff_page.login, OFFICE)
    qtbot.waitUntil(lambda: screen.staff_present() is not None, timeout=5000)
    assert screen.state is State.IDLE and screen.staff_strip.leaving.isVisible()
    assert scan(qtbot, screen, pupil_id_with_card(school, 0)[1]) is State.COLLECT_CONFIRM
    give_back(qtbot, screen)
    assert last_event(sessions, "collected").actor_name == OFFICE


def test_each_staff_tap_renews_the_window_and_a_quiet_minute_or_im_leaving_ends_it(
    qtbot: QtBot,
    make_screen: ScreenFactory,
    steady: SteadyClock,
    sessions: Database,
    school: DemoSchool,
) -> None:
    morning_hand_ins(sessions, school, 3)
    screen = make_screen(clock=HOME_TIME)
    staff_at_the_kiosk(sessions, school, screen)
    steady.advance(STAFF_PRESENCE_SECONDS - 5)
    scan(qtbot, screen, pupil_id_with_card(school, 0)[1])
    give_back(qtbot, screen)  # a tap: another full window
    steady.advance(STAFF_PRESENCE_SECONDS - 5)
    screen.presence_timer.timeout.emit()
    assert screen.staff_strip.staff_name == OFFICE
    assert screen.staff_strip.time_left.text() == "0:05"
    steady.advance(6)  # a quiet minute: she has gone
    screen.presence_timer.timeout.emit()
    assert screen.staff_strip.staff_name is None and screen.staff_present() is None
    assert scan(qtbot, screen, pupil_id_with_card(school, 1)[1]) is State.WAIT_FOR_STAFF
    staff_at_the_kiosk(sessions, school, screen)
    click(qtbot, screen.staff_strip.leaving)  # the big lock
    assert screen.staff_present() is None and screen.state is State.IDLE
    assert scan(qtbot, screen, pupil_id_with_card(school, 1)[1]) is State.WAIT_FOR_STAFF
    assert custody_row(sessions, morning_hand_ins_ids(sessions)[1]).state == "held"


def morning_hand_ins_ids(sessions: Database) -> list[int]:
    with sessions() as session:
        return list(session.scalars(select(Custody.id).order_by(Custody.id)))


def test_a_window_that_ended_while_a_pupil_was_on_screen_asks_for_a_pin_again(
    qtbot: QtBot,
    make_screen: ScreenFactory,
    steady: SteadyClock,
    sessions: Database,
    school: DemoSchool,
) -> None:
    custody_id = morning_hand_ins(sessions, school, 1)[0]
    screen = make_screen(clock=HOME_TIME)
    staff_at_the_kiosk(sessions, school, screen)
    scan(qtbot, screen, pupil_id_with_card(school, 0)[1])
    steady.advance(STAFF_PRESENCE_SECONDS + 1)
    click(qtbot, screen.collection_page.give_back)
    assert screen.state is State.STAFF
    assert screen.staff_page.heading.text() == "Give a phone back: staff PIN"
    click(qtbot, screen.staff_page.back)  # cancelling changes nothing
    assert screen.state is State.COLLECT_CONFIRM
    assert custody_row(sessions, custody_id).state == CustodyState.HELD.value
    click(qtbot, screen.collection_page.give_back)
    with qtbot.waitSignal(screen.state_changed, check_params_cb=lambda s: s == "collected"):
        log_in(qtbot, screen.staff_page.login, OFFICE)
    assert screen.staff_present() is not None


def test_a_wrong_pin_is_refused_on_the_keypad_and_recorded(
    qtbot: QtBot, make_screen: ScreenFactory, sessions: Database, school: DemoSchool
) -> None:
    screen = make_screen(clock=HOME_TIME)
    click(qtbot, screen.staff_strip.start)
    log_in(qtbot, screen.staff_page.login, OFFICE, pin="9999")
    assert screen.state is State.STAFF
    assert "Wrong PIN" in screen.staff_page.login.message.text()
    assert last_event(sessions, "pin_wrong").actor_name == OFFICE
    assert screen.staff_present() is None


def test_a_member_deactivated_since_is_asked_again(
    qtbot: QtBot, make_screen: ScreenFactory, sessions: Database, school: DemoSchool
) -> None:
    morning_hand_ins(sessions, school, 1)
    screen = make_screen(clock=HOME_TIME)
    staff_at_the_kiosk(sessions, school, screen)
    staff.set_active(sessions, school.actors["admin"], school.actors["office"].id or 0, False)
    scan(qtbot, screen, pupil_id_with_card(school, 0)[1])
    give_back(qtbot, screen)
    assert screen.state is State.ERROR
    assert screen.result_page.title.text() == "Staff only"
    assert screen.staff_present() is None


def test_scans_wait_while_staff_use_the_keypad_and_the_menu_times_out(
    qtbot: QtBot, screen: KioskScreen, sessions: Database, school: DemoSchool
) -> None:
    click(qtbot, screen.top_bar.staff_button)
    screen.handle_scan(pupil_id_with_card(school, 0)[1])
    qtbot.wait(200)
    assert screen.state is State.STAFF
    with sessions() as session:
        assert session.scalar(select(Custody.id)) is None
    screen.staff_timer.timeout.emit()  # nobody touched it for a while
    assert screen.state is State.IDLE


def test_the_mode_follows_the_setting_and_the_clock(
    qtbot: QtBot, make_screen: ScreenFactory, sessions: Database, school: DemoSchool
) -> None:
    screen = make_screen(clock=HOME_TIME)
    assert screen.mode is Mode.COLLECTION
    settings.update(sessions, school.actors["office"], {"mode": "handin"})
    screen.reload_settings()
    qtbot.waitUntil(lambda: screen.mode is Mode.HANDIN, timeout=3000)
    assert screen.idle_page.headline.text() == "Show your card"
