"""A mischievous pupil at the kiosk's Staff button (issue 15): tapping wrong PINs for every
name makes this kiosk wait for those names but locks no one out, ends no open session and
writes a few events, not thousands; many more lock one account until an admin unlocks it,
and the dashboard says so."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from kiosk.clock import utcnow
from kiosk.db import Database
from kiosk.demo import DemoSchool
from kiosk.rules import PIN_HARD_LOCK_AT, PIN_LONGEST_WAIT, Action
from kiosk.services import common, staff
from kiosk.services.common import require
from kiosk.tables import AuditEvent
from kiosk.ui.main_window import MainWindow
from kiosk.ui.staff.console import StaffConsole
from kiosk.ui.staff.dashboard import DashboardTab
from kiosk.ui.widgets.pinpad import StaffLogin
from ui.look import save_png
from ui.taps import tap_name

from .conftest import OFFICE, PINS, click, log_in
from .test_window import window  # noqa: F401  (the fixture: a real MainWindow)

PIN_KINDS = ("pin_wrong", "pin_throttled", "staff_locked_out", "pin_refused_locked")
ADMIN = "Alex Admin"


class Clock:
    """The services' clock, moved on by hand: the kiosk's waits pass without sleeping."""

    def __init__(self) -> None:
        self.ahead = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return utcnow() + self.ahead


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    moved = Clock()
    monkeypatch.setattr(common, "utcnow", moved)  # now_or: every service's "now"
    yield moved


def pin_events(sessions: Database) -> Counter[tuple[str, str | None]]:
    with sessions() as session:
        rows = session.execute(
            select(AuditEvent.kind, AuditEvent.actor_name).where(AuditEvent.kind.in_(PIN_KINDS))
        )
        return Counter((kind, name) for kind, name in rows)


def tap_pin(qtbot: QtBot, login: StaffLogin, pin: str) -> str:
    for digit in pin:
        click(qtbot, login.pinpad.buttons[digit])
    click(qtbot, login.pinpad.buttons["OK"])
    qtbot.waitUntil(lambda: not login.checking, timeout=10000)
    return login.message.text()


def open_pin_pad(qtbot: QtBot, window: MainWindow) -> StaffLogin:  # noqa: F811
    click(qtbot, window.kiosk.top_bar.staff_button)
    click(qtbot, window.kiosk.staff_page.menu_buttons["handin"])
    login = window.kiosk.staff_page.login
    qtbot.waitUntil(lambda: login.loaded, timeout=5000)
    return login


def open_console(qtbot: QtBot, window: MainWindow) -> StaffConsole:  # noqa: F811
    click(qtbot, window.kiosk.top_bar.staff_button)
    click(qtbot, window.kiosk.staff_page.menu_buttons["console"])
    assert window.console is not None
    return window.console


def test_wrong_pins_for_every_name_lock_nobody_out_end_no_session_and_write_a_few_events(
    qtbot: QtBot,
    window: MainWindow,  # noqa: F811
    sessions: Database,
    school: DemoSchool,
    clock: Clock,
    artifacts: Path,
) -> None:
    # Olivia is at work at the office desk (another kiosk's console) before it starts.
    olivia = staff.check_pin(
        sessions, school.actors["office"].id or 0, PINS[OFFICE], terminal="office desk"
    )
    login = open_pin_pad(qtbot, window)
    names = [m.name for m in staff.list_staff(sessions)]
    said: dict[str, list[str]] = {}
    for name in names:  # the pupil taps each name, then PIN after PIN
        tap_name(login, name)
        said[name] = [tap_pin(qtbot, login, "000000") for _ in range(8)]
    save_png(window.grab(), artifacts / "kiosk_pin_wait_after_wrong_pins.png")
    for name in names:
        assert said[name][0] == "Wrong PIN."
        assert said[name][2] == "Wrong PIN. Please wait 10 seconds before the next try."
        assert said[name][3].startswith("Too many wrong PINs for this account here.")
    # Nobody is locked: 3 PINs an account were checked; the rest were not (no guess).
    assert not any(m.locked for m in staff.list_staff(sessions))
    events = pin_events(sessions)
    assert events == Counter(
        {(kind, name): 1 for name in names for kind in ("pin_wrong", "pin_throttled")}
    )
    # The session already open goes on.
    with sessions() as session:
        require(session, olivia.actor, Action.COLLECT)
    # Once this kiosk's wait has passed, staff log in at its console as ever.
    clock.ahead += PIN_LONGEST_WAIT
    click(qtbot, window.kiosk.staff_page.back)
    console = open_console(qtbot, window)
    log_in(qtbot, console.login, ADMIN)
    assert console.staff is not None and console.staff.name == ADMIN


def test_only_many_more_wrong_pins_lock_an_account_and_the_admin_sees_it_and_unlocks_it(
    qtbot: QtBot,
    window: MainWindow,  # noqa: F811
    sessions: Database,
    clock: Clock,
    artifacts: Path,
) -> None:
    login = open_pin_pad(qtbot, window)
    tap_name(login, OFFICE)
    answers = []
    for _ in range(PIN_HARD_LOCK_AT):  # over an hour and more of patient guessing
        answers.append(tap_pin(qtbot, login, "000000"))
        clock.ahead += PIN_LONGEST_WAIT
    assert (
        answers[-1] == "This account is locked after too many wrong PINs: an admin can unlock it."
    )
    assert tap_pin(qtbot, login, PINS[OFFICE]) == answers[-1]  # even the right PIN, now
    events = pin_events(sessions)
    assert events[("staff_locked_out", OFFICE)] == 1 and sum(events.values()) == 3
    click(qtbot, window.kiosk.staff_page.back)
    console = open_console(qtbot, window)
    log_in(qtbot, console.login, ADMIN)  # other accounts are untouched
    dashboard = console.tab("Dashboard")
    assert isinstance(dashboard, DashboardTab)
    qtbot.waitUntil(lambda: dashboard.pin_alerts.text() != "", timeout=5000)
    save_png(window.grab(), artifacts / "console_dashboard_pin_alert.png")
    assert dashboard.pin_alerts.text().startswith(
        f"{OFFICE} is locked after {PIN_HARD_LOCK_AT} wrong PINs"
    )
    admin = console.staff
    assert admin is not None
    office_id = next(m.id for m in staff.list_staff(sessions) if m.name == OFFICE)
    staff.unlock(sessions, admin.actor, office_id)  # what Admin, Staff, Unlock calls
    console.exit_requested.emit()
    login = open_pin_pad(qtbot, window)
    log_in(qtbot, login, OFFICE)
    assert login.message.text() == ""
    assert window.kiosk.staff_page_open() is False  # logged in: back to the pupil screen
