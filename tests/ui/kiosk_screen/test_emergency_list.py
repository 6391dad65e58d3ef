"""The emergency list from the kiosk's Staff menu (issue 17: "the same list prints in one tap
for a fire marshal"), through the real screen: the Staff button, the menu's emergency
button, a staff PIN on the keypad. The console's service and PDF make it, the audit log
records it as the console's button does, and it goes to a printer (here Qt's PDF printer:
a file, so the pages that reached it can be counted) with no viewer on the pupils' screen.
Office staff are refused by the service; nothing is shown or printed without a PIN."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from kiosk.config import Config
from kiosk.db import Database
from kiosk.demo import DemoSchool
from kiosk.devices import Device, DeviceKind
from kiosk.event_kinds import EventKind
from kiosk.services import custody, device_items, pupils
from kiosk.tables import AuditEvent
from kiosk.ui.kiosk_screen.outcomes import State
from kiosk.ui.kiosk_screen.screen import KioskScreen
from ui.look import save_png

from .conftest import OFFICE, SIZES, ScreenFactory, click, log_in
from .test_screenshots import check_image, check_touch_targets

SENIOR = "Sam Senior (DSL)"
ADMIN = "Alex Admin"
HANDED_IN = 12


def pdf_printer(path: Path) -> Callable[[], QPrinter]:
    """A printer that writes what it is sent to ``path`` (a new one each print)."""

    def make() -> QPrinter:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(path))
        return printer

    return make


def pages_of(path: Path) -> int:
    document = QPdfDocument()
    assert document.load(str(path)) == QPdfDocument.Error.None_, path
    return document.pageCount()


def list_events(sessions: Database) -> list[AuditEvent]:
    with sessions() as session:
        found = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == EventKind.EMERGENCY_LIST.value)
        ).all()
        session.expunge_all()
        return list(found)


@pytest.fixture
def morning(sessions: Database, school: DemoSchool) -> list[str]:
    """Twelve pupils handed in, the first a phone and a watch; their names."""
    first = school.pupil_ids[0]
    both = [Device(DeviceKind.PHONE), Device(DeviceKind.WATCH)]
    device_items.set_usual_devices(sessions, school.actors["office"], first, both)
    for pupil_id in school.pupil_ids[:HANDED_IN]:
        custody.hand_in(sessions, pupil_id)
    summaries = [pupils.summary(sessions, p) for p in school.pupil_ids[:HANDED_IN]]
    return [s.display_name for s in summaries] + [s.surname for s in summaries]


def ask_for_the_list(qtbot: QtBot, screen: KioskScreen, name: str) -> None:
    click(qtbot, screen.top_bar.staff_button)
    assert screen.state is State.STAFF
    click(qtbot, screen.staff_page.menu_buttons["emergency"])
    page = screen.staff_page
    assert page.views.currentWidget() is page.login  # nothing before a PIN
    log_in(qtbot, screen.staff_page.login, name)


def wait_for_the_answer(qtbot: QtBot, screen: KioskScreen, title: str) -> None:
    page = screen.result_page
    qtbot.waitUntil(lambda: page.title.text() == title, timeout=15000)
    qtbot.waitUntil(lambda: screen.lane.pending == 0, timeout=5000)


@pytest.mark.parametrize("name", [SENIOR, ADMIN])
def test_senior_staff_print_every_device_held_in_one_tap_with_nothing_named_on_screen(
    qtbot: QtBot,
    screen: KioskScreen,
    sessions: Database,
    kiosk_config: Config,
    morning: list[str],
    tmp_path: Path,
    name: str,
) -> None:
    printed = tmp_path / "printer-output.pdf"
    screen.emergency_printer = pdf_printer(printed)
    ask_for_the_list(qtbot, screen, name)
    wait_for_the_answer(qtbot, screen, "Emergency list printed")
    assert screen.state is State.EMERGENCY_LIST
    saved = list(kiosk_config.export_dir.glob("emergency-list-*.pdf"))
    assert len(saved) == 1  # the console's file, in the console's folder
    assert pages_of(printed) == pages_of(saved[0]) >= 1  # every page reached the printer
    words = screen.result_page.message.text()
    assert words == (
        f"13 devices of {HANDED_IN} pupils on 1 page, sent to {printed.name}."
        f" Also saved as {saved[0].name}."
    )
    shown = screen.result_page.title.text() + words
    assert not [n for n in morning if n in shown]  # the queue sees no name
    (event,) = list_events(sessions)  # recorded as the console's button records it
    assert event.actor_name == name and '"devices":13' in event.details.replace(" ", "")


def test_office_staff_are_refused_and_nothing_is_saved_or_printed(
    qtbot: QtBot,
    screen: KioskScreen,
    sessions: Database,
    kiosk_config: Config,
    morning: list[str],
    tmp_path: Path,
) -> None:
    printed = tmp_path / "printer-output.pdf"
    screen.emergency_printer = pdf_printer(printed)
    ask_for_the_list(qtbot, screen, OFFICE)
    wait_for_the_answer(qtbot, screen, "Staff only")
    assert screen.state is State.ERROR
    assert "senior member of staff or an admin" in screen.result_page.message.text()
    assert not printed.exists()
    assert not list(kiosk_config.export_dir.glob("emergency-list-*.pdf"))
    assert list_events(sessions) == []


def test_leaving_the_pin_pad_shows_and_records_nothing(
    qtbot: QtBot, screen: KioskScreen, sessions: Database, morning: list[str]
) -> None:
    click(qtbot, screen.top_bar.staff_button)
    click(qtbot, screen.staff_page.menu_buttons["emergency"])
    assert screen.staff_page.views.currentWidget() is screen.staff_page.login
    click(qtbot, screen.staff_page.back)
    assert screen.state is State.IDLE
    assert list_events(sessions) == []


def test_with_no_printer_the_list_is_saved_and_the_screen_says_where(
    qtbot: QtBot,
    screen: KioskScreen,
    sessions: Database,
    kiosk_config: Config,
    morning: list[str],
) -> None:
    screen.emergency_printer = lambda: None
    ask_for_the_list(qtbot, screen, SENIOR)
    wait_for_the_answer(qtbot, screen, "Emergency list saved, not printed")
    (saved,) = kiosk_config.export_dir.glob("emergency-list-*.pdf")
    words = screen.result_page.message.text()
    assert words.startswith("No printer is set up on this kiosk.")
    assert saved.name in words and "Emergency tab" in words
    assert len(list_events(sessions)) == 1


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_screenshots_of_the_emergency_list_at_the_kiosk(
    qtbot: QtBot,
    make_screen: ScreenFactory,
    morning: list[str],
    artifacts: Path,
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    folder = artifacts / "kiosk"
    folder.mkdir(parents=True, exist_ok=True)
    screen = make_screen(size=size)

    def shot(name: str) -> None:
        qtbot.wait(50)
        image = screen.grab().toImage()
        check_image(image, size)
        check_touch_targets(screen)
        assert save_png(image, folder / f"{name}_{size[0]}x{size[1]}.png")

    click(qtbot, screen.top_bar.staff_button)
    shot("30_staff_menu_with_emergency_list")
    click(qtbot, screen.staff_page.menu_buttons["emergency"])
    shot("31_emergency_list_pin")
    screen.emergency_printer = pdf_printer(tmp_path / "printed.pdf")
    log_in(qtbot, screen.staff_page.login, SENIOR)
    wait_for_the_answer(qtbot, screen, "Emergency list printed")
    shot("32_emergency_list_printed")
    screen.emergency_printer = lambda: None
    ask_for_the_list(qtbot, screen, SENIOR)
    wait_for_the_answer(qtbot, screen, "Emergency list saved, not printed")
    shot("33_emergency_list_not_printed")
