"""A new school from nothing, through the real widgets: the first start shows the
first-admin page (the PIN typed twice), the console's setup walks the admin pages in
order (each step done, skipped, or left and resumed), the pupil screen says "not set up
yet" and looks no card up until there are slots and pupils, and then takes a scan."""

from __future__ import annotations

import pytest
from fixtures.admin import DATA
from new_cards import current_card_text
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from kiosk.config import Config
from kiosk.event_kinds import EventKind
from kiosk.scanning.wedge import MAX_GAP_MS
from kiosk.services import settings, setup, staff
from kiosk.tables import AuditEvent, Pupil
from kiosk.ui.admin.first_admin import FirstAdminPage
from kiosk.ui.admin.panel import AdminPanel
from kiosk.ui.kiosk_screen.outcomes import State
from kiosk.ui.kiosk_screen.pages import NOT_SET_UP_HEADLINE
from kiosk.ui.main_window import MainWindow
from kiosk.ui.staff.console import StaffConsole
from ui.look import kiosk_look, save_png
from ui.staff.conftest import settle, type_pin, wait_until
from ui.staff.test_layout_fits import problems
from ui.taps import tab_titles, tap_name

NAME, PIN = "Sam Head", "592731"
KEY_TO_KEY_MS = 60
assert KEY_TO_KEY_MS > MAX_GAP_MS


@pytest.fixture
def window(qtbot, qapp, sessions, data_dir, database_url):
    kiosk_look(qapp)
    config = Config(data_dir, database_url, "office-1", camera="", fullscreen=False)
    made = MainWindow(config, sessions, daily_backup=lambda _config: None)
    qtbot.addWidget(made)
    made.resize(1024, 600)
    made.show()
    qtbot.waitExposed(made)
    yield made
    made.shutdown()


def type_in(qtbot, field, text):
    """At a person's pace, 60 ms from key to key (``keyClicks`` waits ``delay`` before
    each press and again before its release): keys under MAX_GAP_MS apart are a USB
    scanner's, which the window takes."""
    qtbot.keyClicks(field, text, delay=KEY_TO_KEY_MS // 2)
    qtbot.waitUntil(lambda: field.text().endswith(text), timeout=2000)  # the filter let it by


def tap(qtbot, widget):
    qtbot.waitUntil(widget.isVisible, timeout=3000)
    assert widget.isEnabled(), widget.text()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
    settle()
    QApplication.processEvents()  # the layout after what the answer changed


def first_admin_page(window) -> FirstAdminPage:
    page = window.stack.currentWidget()
    assert isinstance(page, FirstAdminPage), "a new kiosk starts on the first-admin page"
    return page


def log_in_console(window, name, pin) -> tuple[StaffConsole, AdminPanel]:
    console = window.console
    assert console is not None and window.stack.currentWidget() is console
    wait_until(lambda: console.login.loaded)
    tap_name(console.login, name)
    type_pin(console, pin)
    settle()
    panel = console.tab("Admin")
    assert isinstance(panel, AdminPanel)
    return console, panel


def scan(qtbot, window, text) -> State:
    kiosk = window.kiosk
    with qtbot.waitSignal(kiosk.state_changed, timeout=5000):
        kiosk.handle_scan(text)
    qtbot.waitUntil(lambda: kiosk.lane.pending == 0, timeout=5000)
    return kiosk.state


def kinds(sessions) -> list[str]:
    with sessions.read() as session:
        return list(session.scalars(select(AuditEvent.kind).order_by(AuditEvent.seq)))


def test_from_an_empty_database_to_a_kiosk_that_takes_a_scan(qtbot, window, sessions):
    kiosk = window.kiosk
    assert not kiosk.ready and kiosk.top_bar.mode.isHidden()
    assert kiosk.idle_page.headline.text() == NOT_SET_UP_HEADLINE
    assert kiosk.idle_page.hint.text() == "Please see the office."
    assert not kiosk.idle_page.forgot_card.isVisible()

    # The first admin: the PIN typed twice, checked before anything is saved.
    page = first_admin_page(window)
    type_in(qtbot, page.name, NAME)
    type_in(qtbot, page.pin, PIN)
    type_in(qtbot, page.pin_again, "592732")
    tap(qtbot, page.make_button)
    assert page.feedback.text() == "The two PINs differ: type the PIN twice again."
    assert not setup.has_staff(sessions)
    type_in(qtbot, page.pin, "1234")
    type_in(qtbot, page.pin_again, "1234")
    tap(qtbot, page.make_button)
    assert "6" in page.feedback.text() and not setup.has_staff(sessions)
    type_in(qtbot, page.pin, PIN)
    type_in(qtbot, page.pin_again, PIN)
    tap(qtbot, page.make_button)
    qtbot.waitUntil(lambda: window.console is not None, timeout=10_000)
    assert [(m.name, m.role) for m in staff.list_staff(sessions)] == [(NAME, "admin")]
    assert "first admin" in window.console.login.message.text()

    # The console opens on the setup, at the first step the records do not show done.
    console, panel = log_in_console(window, NAME, PIN)
    assert console.tabs.tabText(console.tabs.currentIndex()) == "Admin"
    qtbot.waitUntil(lambda: panel.guide.step == "school", timeout=5000)
    assert panel.stack.currentWidget() is panel.settings
    assert "step 2 of 8: School" in panel.guide.bar.heading.text()
    panel.settings.confirm = lambda *_: True  # "every card stops working": none printed yet
    settle()
    panel.settings.school_name.setText("Hillside Academy")
    panel.settings.school_code.setText("HILL")
    tap(qtbot, panel.settings.save_button)
    tap(qtbot, panel.guide.bar.next)

    assert panel.guide.step == "slots" and panel.stack.currentWidget() is panel.slots
    tap(qtbot, panel.guide.bar.lockers)  # locker banks: their own tab, linked, not copied
    assert console.tabs.tabText(console.tabs.currentIndex()) == "Lockers"
    console.show_tab("Admin")
    assert panel.guide.step == "slots" and panel.guide.bar.isVisible()
    panel.slots.first.setValue(1)
    panel.slots.last.setValue(30)
    tap(qtbot, panel.slots.add_button)
    assert panel.slots.feedback.text() == "Added 30 slots."
    tap(qtbot, panel.guide.bar.next)

    assert panel.guide.step == "labels"
    tap(qtbot, panel.guide.bar.skip)
    assert panel.guide.step == "times" and panel.stack.currentWidget() is panel.settings
    tap(qtbot, panel.guide.bar.next)  # the defaults are right: the admin's word for it

    # Leave half-way: the kiosk still says "not set up" (slots, but no pupils) and
    # refuses a scan with that message, looking nothing up.
    tap(qtbot, console.exit_button)
    assert window.stack.currentWidget() is kiosk
    qtbot.waitUntil(lambda: kiosk.lane.pending == 0, timeout=5000)
    assert not kiosk.ready
    assert scan(qtbot, window, "HK1.HILL.1.1.AAAA") is State.NOT_SET_UP
    assert kiosk.result_page.message.text() == setup.NOT_SET_UP
    assert EventKind.CARDS_REFUSED.value not in kinds(sessions)

    # Back in: the setup goes on where it stopped (the roster), after the admin's PIN.
    kiosk.go_idle()
    window.open_console()
    console, panel = log_in_console(window, NAME, PIN)
    qtbot.waitUntil(lambda: panel.guide.step == "roster", timeout=5000)
    panel.roster.confirm = lambda *_: True
    panel.roster.load_file(DATA / "sims_bom_crlf.csv")
    qtbot.waitUntil(lambda: not panel.roster.jobs.busy, timeout=20_000)
    tap(qtbot, panel.roster.import_button)
    qtbot.waitUntil(lambda: not panel.roster.jobs.busy, timeout=20_000)
    tap(qtbot, panel.guide.bar.next)
    assert panel.guide.step == "photos"
    tap(qtbot, panel.guide.bar.skip)
    assert panel.guide.step == "cards" and panel.stack.currentWidget() is panel.cards
    tap(qtbot, panel.cards.scope_buttons[3])  # everyone
    tap(qtbot, panel.cards.make_button)
    qtbot.waitUntil(lambda: not panel.cards.jobs.busy, timeout=30_000)
    tap(qtbot, panel.guide.bar.next)

    # The last step: the list of steps, with what was skipped.
    assert panel.guide.step is None and not panel.guide.bar.isVisible()
    assert panel.stack.currentWidget() is panel.setup
    states = {s.step.key: s.state for s in setup.status(sessions).steps}
    assert states == {
        "first_admin": "done",
        "school": "done",
        "slots": "done",
        "labels": "skipped",
        "times": "done",
        "roster": "done",
        "photos": "skipped",
        "cards": "done",
    }
    assert panel.setup.states["labels"].text() == "Skipped"
    assert panel.setup.states["slots"].text() == "Done: 30 slots in service"
    steps = [k for k in kinds(sessions) if k == EventKind.SETUP_STEP.value]
    assert len(steps) == 3  # times done, labels and photos skipped: the rest the records show

    # Back to the pupils: the kiosk takes a card.
    tap(qtbot, console.exit_button)
    qtbot.waitUntil(lambda: kiosk.ready, timeout=5000)
    assert kiosk.idle_page.headline.text() != NOT_SET_UP_HEADLINE
    assert not kiosk.top_bar.mode.isHidden()
    admin = staff.list_staff(sessions)[0]
    settings.update(sessions, admin.actor, {"mode": "handin"})  # whatever the time now
    kiosk.reload_settings()
    qtbot.waitUntil(lambda: kiosk.lane.pending == 0, timeout=5000)
    with sessions.read() as session:
        pupil_id = session.scalar(select(Pupil.id).order_by(Pupil.id).limit(1))
        card = current_card_text(session, pupil_id)
    assert card.startswith("HK1.HILL.")
    assert scan(qtbot, window, card) is State.HANDED_IN
    assert kiosk.result_page.slot.isVisible()


def test_an_admin_exists_so_nobody_else_makes_one(qtbot, sessions, window):
    """Two first-admin pages (two kiosks on a new database): the second is refused, and
    once an admin exists a new kiosk starts on the pupil screen, not the page."""
    page = first_admin_page(window)
    staff.add_staff(sessions, None, NAME, "admin", PIN)
    type_in(qtbot, page.name, "Pat Pupil")
    type_in(qtbot, page.pin, "918273")
    type_in(qtbot, page.pin_again, "918273")
    tap(qtbot, page.make_button)
    assert page.feedback.is_error
    assert [m.name for m in staff.list_staff(sessions)] == [NAME]
    again = MainWindow(window.config, sessions, daily_backup=lambda _config: None)
    qtbot.addWidget(again)
    assert again.stack.currentWidget() is again.kiosk
    again.shutdown()


def test_the_setup_is_in_the_admin_panel_behind_an_admin_pin(qtbot, sessions, window):
    """With an admin, the setup is an admin page: office staff never see it, and every
    step's mark needs an admin (the service refuses anyone else)."""
    staff.add_staff(sessions, None, NAME, "admin", PIN)
    admin = staff.list_staff(sessions)[0]
    staff.add_staff(sessions, admin.actor, "Olivia Office", "office", "5937")
    office = next(m for m in staff.list_staff(sessions) if m.role == "office")
    with pytest.raises(Exception, match="role does not allow"):
        setup.mark_step(sessions, office.actor, "times", "done")
    window.open_console()
    console, _panel = None, None
    console = window.console
    wait_until(lambda: console.login.loaded)
    tap_name(console.login, "Olivia Office")
    type_pin(console, "5937")
    settle()
    assert "Admin" not in tab_titles(console)


SIZES = ((1024, 600), (1280, 800), (1920, 1080))


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_setup_screens_fit_each_screen(qtbot, sessions, window, artifacts, size):
    """The first-admin page, the pupil screen not set up, and a guided step: nothing a
    finger needs is cut off or squashed (pictures in ``artifacts/setup``)."""
    folder = artifacts / "setup"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{size[0]}x{size[1]}"
    window.resize(*size)
    settle()
    assert not problems(window), problems(window)
    assert save_png(window.grab(), folder / f"01_first_admin_{name}.png")
    staff.add_staff(sessions, None, NAME, "admin", PIN)
    window.stack.setCurrentWidget(window.kiosk)
    settle()
    assert save_png(window.grab(), folder / f"02_not_set_up_{name}.png")
    window.open_console(setup_first=True)
    _console, panel = log_in_console(window, NAME, PIN)
    qtbot.waitUntil(lambda: panel.guide.step == "school", timeout=5000)
    settle()
    assert not problems(window), problems(window)
    assert save_png(window.grab(), folder / f"03_step_school_{name}.png")
    tap(qtbot, panel.guide.bar.all_steps)
    assert panel.stack.currentWidget() is panel.setup
    assert not problems(window), problems(window)
    assert save_png(window.grab(), folder / f"04_all_steps_{name}.png")
