"""Home time: staff switch collection on with their PIN (or the clock does), confirm each
phone given back; confiscated devices are never released at the kiosk."""

from __future__ import annotations

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from kiosk.db import Sessions
from kiosk.demo import DEMO_PINS, DemoSchool
from kiosk.services import confiscation, custody, settings, staff
from kiosk.tables import AuditEvent, Custody, CustodyState
from kiosk.ui.kiosk_screen.outcomes import HELD_FOR_PARENT, Mode, State
from kiosk.ui.kiosk_screen.screen import KioskScreen
from kiosk.ui.kiosk_screen.staff_desk import STAFF_IDLE_SECONDS

from .conftest import HOME_TIME, OFFICE, ScreenFactory, click, log_in, pupil_id_with_card, scan


def custody_row(sessions: Sessions, custody_id: int) -> Custody:
    with sessions() as session:
        row = session.get(Custody, custody_id)
        assert row is not None
        session.expunge(row)
        return row


def last_event(sessions: Sessions, kind: str) -> AuditEvent:
    with sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.seq.desc())
        ).first()
        assert event is not None, kind
        session.expunge(event)
        return event


def morning_hand_ins(sessions: Sessions, school: DemoSchool, count: int) -> list[int]:
    return [
        int(custody.hand_in(sessions, school.pupil_ids[index]).custody_id or 0)
        for index in range(count)
    ]


def switch_mode_with_pin(qtbot: QtBot, screen: KioskScreen, key: str, name: str) -> None:
    click(qtbot, screen.top_bar.staff_button)
    assert screen.state is State.STAFF
    click(qtbot, screen.staff_page.menu_buttons[key])
    assert screen.staff_page.showing_login()
    log_in(qtbot, screen.staff_page.login, name)
    qtbot.waitUntil(lambda: screen.school is not None and screen.school.mode == key, timeout=5000)
    assert screen.state is State.IDLE


def give_back(qtbot: QtBot, screen: KioskScreen) -> None:
    with qtbot.waitSignal(screen.state_changed, timeout=5000):
        click(qtbot, screen.collection_page.give_back)


def test_a_whole_day_morning_hand_in_then_staff_start_home_time_and_give_phones_back(
    qtbot: QtBot, screen: KioskScreen, heard: list[str], sessions: Sessions, school: DemoSchool
) -> None:
    pupils = [pupil_id_with_card(school, index) for index in range(4)]
    for _, text in pupils:
        assert scan(qtbot, screen, text) is State.HANDED_IN
    switch_mode_with_pin(qtbot, screen, "collection", OFFICE)
    assert screen.mode is Mode.COLLECTION
    assert screen.top_bar.mode.text() == "Home time"
    assert screen.collection_staff is not None and screen.collection_staff.name == OFFICE
    assert last_event(sessions, "settings_changed").actor_name == OFFICE
    for expected_slot, (pupil_id, text) in enumerate(pupils, start=1):
        assert scan(qtbot, screen, text) is State.COLLECT_CONFIRM
        page = screen.collection_page
        assert page.slot.text() == str(expected_slot)
        assert page.give_back.text() == f"Give back: slot {expected_slot}"
        assert OFFICE in page.staff_line.text()
        give_back(qtbot, screen)  # no PIN: the member who started home time is remembered
        assert screen.state is State.COLLECTED
        assert screen.result_page.slot.text() == str(expected_slot)
        event = last_event(sessions, "collected")
        assert (event.pupil_id, event.actor_name) == (pupil_id, OFFICE)
        released = custody_row(sessions, int(event.custody_id or 0))
        assert released.state == CustodyState.RELEASED.value and released.released_to == "pupil"
    assert heard[-2:] == ["info", "success"]
    switch_mode_with_pin(qtbot, screen, "handin", OFFICE)
    assert screen.mode is Mode.HANDIN and screen.collection_staff is None


def test_a_confiscated_device_is_held_for_a_parent_and_never_offered(
    qtbot: QtBot,
    make_screen: ScreenFactory,
    heard: list[str],
    sessions: Sessions,
    school: DemoSchool,
) -> None:
    screen = make_screen(clock=HOME_TIME)
    pupil_id, text = pupil_id_with_card(school, 5)
    taken = confiscation.confiscate(sessions, school.actors["office"], pupil_id, "used in lesson")
    assert scan(qtbot, screen, text) is State.CONFISCATED
    assert screen.result_page.message.text() == HELD_FOR_PARENT
    assert not screen.result_page.slot.isVisible()  # the slot is the office's business
    assert custody_row(sessions, taken.id).state == CustodyState.HELD.value


def test_a_pupil_with_a_daily_phone_and_a_confiscated_one_gets_only_the_daily_one(
    qtbot: QtBot, make_screen: ScreenFactory, sessions: Sessions, school: DemoSchool
) -> None:
    pupil_id, text = pupil_id_with_card(school, 0)
    daily_id = morning_hand_ins(sessions, school, 1)[0]
    taken = confiscation.confiscate(sessions, school.actors["office"], pupil_id, "used in lesson")
    screen = make_screen(clock=HOME_TIME)
    screen.collection_staff = staff.check_pin(
        sessions, school.actors["office"].id or 0, DEMO_PINS["office"], terminal="test-kiosk"
    )
    screen._staff_seen_at = 1e12  # just signed in
    assert scan(qtbot, screen, text) is State.COLLECT_CONFIRM
    assert "held for a parent/carer" in screen.collection_page.note.text()
    give_back(qtbot, screen)
    assert custody_row(sessions, daily_id).state == CustodyState.RELEASED.value
    assert custody_row(sessions, taken.id).state == CustodyState.HELD.value


def test_nothing_held_is_said_plainly(
    qtbot: QtBot, make_screen: ScreenFactory, school: DemoSchool
) -> None:
    screen = make_screen(clock=HOME_TIME)
    assert scan(qtbot, screen, pupil_id_with_card(school, 9)[1]) is State.NOTHING_HELD
    assert "see the office" in screen.result_page.message.text()


def test_home_time_by_the_clock_asks_for_a_pin_once_then_remembers_the_member(
    qtbot: QtBot, make_screen: ScreenFactory, sessions: Sessions, school: DemoSchool
) -> None:
    morning_hand_ins(sessions, school, 3)
    screen = make_screen(clock=HOME_TIME)
    assert screen.mode is Mode.COLLECTION and screen.collection_staff is None
    scan(qtbot, screen, pupil_id_with_card(school, 0)[1])
    assert "PIN" in screen.collection_page.staff_line.text()
    click(qtbot, screen.collection_page.give_back)
    assert screen.state is State.STAFF
    assert screen.staff_page.heading.text() == "Give a phone back: staff PIN"
    with qtbot.waitSignal(screen.state_changed, check_params_cb=lambda s: s == "collected"):
        log_in(qtbot, screen.staff_page.login, OFFICE)
    assert last_event(sessions, "collected").actor_name == OFFICE
    scan(qtbot, screen, pupil_id_with_card(school, 1)[1])
    assert OFFICE in screen.collection_page.staff_line.text()
    give_back(qtbot, screen)
    assert screen.state is State.COLLECTED  # no second PIN
    screen._staff_seen_at -= STAFF_IDLE_SECONDS + 1  # fifteen quiet minutes later
    scan(qtbot, screen, pupil_id_with_card(school, 2)[1])
    assert "PIN" in screen.collection_page.staff_line.text()
    click(qtbot, screen.collection_page.give_back)
    assert screen.state is State.STAFF


def test_staff_can_sign_out_and_cancelling_the_pin_changes_nothing(
    qtbot: QtBot, make_screen: ScreenFactory, sessions: Sessions, school: DemoSchool
) -> None:
    custody_id = morning_hand_ins(sessions, school, 1)[0]
    screen = make_screen(clock=HOME_TIME)
    screen.collection_staff = staff.check_pin(
        sessions, school.actors["office"].id or 0, DEMO_PINS["office"], terminal="test-kiosk"
    )
    screen._staff_seen_at = 1e12
    scan(qtbot, screen, pupil_id_with_card(school, 0)[1])
    assert screen.collection_page.sign_out.isVisible()
    click(qtbot, screen.collection_page.sign_out)
    assert screen.collection_staff is None
    click(qtbot, screen.collection_page.give_back)
    assert screen.state is State.STAFF
    click(qtbot, screen.staff_page.back)
    assert screen.state is State.COLLECT_CONFIRM
    assert custody_row(sessions, custody_id).state == CustodyState.HELD.value


def test_a_wrong_pin_is_refused_on_the_keypad_and_recorded(
    qtbot: QtBot, make_screen: ScreenFactory, sessions: Sessions, school: DemoSchool
) -> None:
    custody_id = morning_hand_ins(sessions, school, 1)[0]
    screen = make_screen(clock=HOME_TIME)
    scan(qtbot, screen, pupil_id_with_card(school, 0)[1])
    click(qtbot, screen.collection_page.give_back)
    log_in(qtbot, screen.staff_page.login, OFFICE, pin="9999")
    assert screen.state is State.STAFF
    assert screen.staff_page.login.message.text() == "Wrong PIN."
    assert last_event(sessions, "pin_wrong").actor_name == OFFICE
    assert custody_row(sessions, custody_id).state == CustodyState.HELD.value


def test_a_remembered_member_deactivated_since_is_asked_again(
    qtbot: QtBot, make_screen: ScreenFactory, sessions: Sessions, school: DemoSchool
) -> None:
    morning_hand_ins(sessions, school, 1)
    screen = make_screen(clock=HOME_TIME)
    screen.collection_staff = staff.check_pin(
        sessions, school.actors["office"].id or 0, DEMO_PINS["office"], terminal="test-kiosk"
    )
    screen._staff_seen_at = 1e12
    staff.set_active(sessions, school.actors["admin"], school.actors["office"].id or 0, False)
    scan(qtbot, screen, pupil_id_with_card(school, 0)[1])
    give_back(qtbot, screen)
    assert screen.state is State.ERROR
    assert screen.result_page.title.text() == "Staff only"
    assert screen.collection_staff is None


def test_scans_wait_while_staff_use_the_keypad_and_the_menu_times_out(
    qtbot: QtBot, screen: KioskScreen, sessions: Sessions, school: DemoSchool
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
    qtbot: QtBot, make_screen: ScreenFactory, sessions: Sessions, school: DemoSchool
) -> None:
    screen = make_screen(clock=HOME_TIME)
    assert screen.mode is Mode.COLLECTION
    settings.update(sessions, school.actors["office"], {"mode": "handin"})
    screen.reload_settings()
    qtbot.waitUntil(lambda: screen.mode is Mode.HANDIN, timeout=3000)
    assert screen.idle_page.headline.text() == "Show your card"
