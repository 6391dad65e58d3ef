"""Screenshots of every state of the pupil screen, at the smallest, a middle and the
largest supported size, into ``artifacts/kiosk/`` to look at.

Offscreen (the normal test run) each screen is rendered with ``QWidget.grab()``. Under a
real X server the last test shows the whole window full screen, as a kiosk would, and
grabs the X screen itself:

    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1024x600x24" \\
        .venv/bin/python -m pytest tests/ui/kiosk_screen/test_screenshots.py -k full_screen
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import cv2
import pytest
from new_cards import new_card
from PySide6.QtCore import QEvent
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
from pytestqt.qtbot import QtBot
from steady_clock import HOME_TIME

import synthetic_cards
from kiosk.config import Config
from kiosk.db import Database
from kiosk.demo import DEMO_PINS, DemoSchool
from kiosk.errors import NoFreeSlot
from kiosk.services import confiscation, custody, exemptions, settings, staff
from kiosk.ui.kiosk_screen.outcomes import State
from kiosk.ui.kiosk_screen.screen import KioskScreen
from kiosk.ui.main_window import MainWindow
from kiosk.ui.style import TOUCH
from ui.look import save_png
from ui.taps import tap_name

from .conftest import OFFICE, SIZES, ScreenFactory, SteadyClock, click, give_photo, scan

Shot = Callable[[str], Path]


def check_touch_targets(widget: QWidget) -> None:
    """Everything a finger presses on the kiosk is at least 64 x 64 px."""
    for button in widget.findChildren(QPushButton):
        if button.isVisibleTo(widget):
            assert button.width() >= TOUCH and button.height() >= TOUCH, button.text()


def check_image(image: QImage, size: tuple[int, int]) -> None:
    """Not blank, and exactly the size asked for (nothing forced it larger)."""
    assert (image.width(), image.height()) == size
    small = image.scaled(32, 32)
    colours = {small.pixel(x, y) for x in range(32) for y in range(32)}
    assert len(colours) > 2


@pytest.fixture
def shot(artifacts: Path, request: pytest.FixtureRequest) -> Callable[[QWidget, str], Path]:
    folder = artifacts / "kiosk"
    folder.mkdir(parents=True, exist_ok=True)

    def take(widget: QWidget, name: str) -> Path:
        # What the event loop does before the next frame: pending layouts and deletions.
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QApplication.processEvents()
        size = (widget.width(), widget.height())
        path = folder / f"{name}_{size[0]}x{size[1]}.png"
        image = widget.grab().toImage()
        check_image(image, size)
        check_touch_targets(widget)
        assert save_png(image, path)
        return path

    return take


def desk_folder(tmp_path: Path) -> Path:
    """Camera frames of an empty desk: a live-looking preview that scans nothing."""
    folder = tmp_path / "desk"
    folder.mkdir()
    for index, frame in enumerate(synthetic_cards.make_empty_frames(2, (640, 480))):
        cv2.imwrite(str(folder / f"{index}.png"), frame)
    return folder


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_morning_states(
    qtbot: QtBot,
    make_screen: ScreenFactory,
    steady: SteadyClock,
    shot: Callable[[QWidget, str], Path],
    kiosk_config: Config,
    sessions: Database,
    school: DemoSchool,
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    camera = Config(
        kiosk_config.data_dir, kiosk_config.database_url, "k", str(desk_folder(tmp_path)), False
    )
    screen = make_screen(size=size, config=camera)
    qtbot.waitUntil(lambda: screen.idle_page.preview.image() is not None, timeout=10_000)
    shot(screen, "01_idle_camera")
    for index in range(16):  # a busy morning already: the next slot has two digits
        custody.hand_in(sessions, school.pupil_ids[index + 8])
    pupil_id = school.pupil_ids[0]
    give_photo(sessions, pupil_id, hue=25)
    assert scan(qtbot, screen, school.card_texts[pupil_id]) is State.HANDED_IN
    shot(screen, "02_handed_in")
    screen.go_idle()
    steady.advance(10)  # the card was taken away and shown again
    assert scan(qtbot, screen, school.card_texts[pupil_id]) is State.ALREADY_HANDED_IN
    shot(screen, "03_already_handed_in")
    exempt = school.pupil_ids[1]
    exemptions.grant(sessions, school.actors["senior"], exempt, "medical", "Insulin pump app")
    assert scan(qtbot, screen, school.card_texts[exempt]) is State.EXEMPT
    shot(screen, "04_exempt")
    third = school.pupil_ids[2]
    scan(qtbot, screen, school.card_texts[third])
    click(qtbot, screen.result_page.undo)
    assert screen.state is State.UNDO_CONFIRM
    shot(screen, "05_undo_show_card_again")
    assert scan(qtbot, screen, school.card_texts[third]) is State.UNDONE
    shot(screen, "06_undone")
    errors(qtbot, screen, shot, sessions, school)


def errors(
    qtbot: QtBot,
    screen: KioskScreen,
    shot: Callable[[QWidget, str], Path],
    sessions: Database,
    school: DemoSchool,
) -> None:
    scan(qtbot, screen, "https://example.com/ticket/42")
    shot(screen, "10_error_not_a_card")
    pupil_id = school.pupil_ids[3]
    old = school.card_texts[pupil_id]
    new_card(sessions, school.actors["admin"], pupil_id)
    scan(qtbot, screen, old)
    shot(screen, "11_error_card_replaced")
    for pupil in school.pupil_ids[4:29]:  # fill every slot
        try:
            custody.hand_in(sessions, pupil)
        except NoFreeSlot:
            break
    scan(qtbot, screen, school.card_texts[school.pupil_ids[29]])
    assert screen.result_page.title.text() == "No free slot"
    shot(screen, "12_error_no_free_slot")
    screen.sessions.engine.dispose()
    database = Path(str(screen.sessions.engine.url.database))
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    database.write_bytes(os.urandom(4096))
    scan(qtbot, screen, school.card_texts[school.pupil_ids[10]])
    assert screen.result_page.title.text() == "Kiosk not working"
    shot(screen, "13_error_database")


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_home_time_and_staff_states(
    qtbot: QtBot,
    make_screen: ScreenFactory,
    shot: Callable[[QWidget, str], Path],
    sessions: Database,
    school: DemoSchool,
    size: tuple[int, int],
) -> None:
    office = school.actors["office"]
    collecting, confiscated, both = school.pupil_ids[0], school.pupil_ids[1], school.pupil_ids[2]
    for index in range(14):
        custody.hand_in(sessions, school.pupil_ids[index + 3])
    custody.hand_in(sessions, collecting)
    custody.hand_in(sessions, both)
    confiscation.confiscate(sessions, office, confiscated, "used in lesson")
    confiscation.confiscate(sessions, office, both, "used in lesson")
    give_photo(sessions, collecting, hue=140)
    screen = make_screen(size=size, clock=HOME_TIME)
    shot(screen, "20_idle_home_time_nobody_there")
    scan(qtbot, screen, school.card_texts[collecting])
    assert screen.state is State.WAIT_FOR_STAFF
    shot(screen, "21_home_time_wait_for_staff")
    click(qtbot, screen.staff_strip.start)
    qtbot.waitUntil(lambda: screen.staff_page.login.loaded, timeout=5000)
    shot(screen, "22_home_time_staff_pin")
    click(qtbot, screen.staff_page.back)
    screen.open_home_time(
        staff.check_pin(sessions, office.id or 0, DEMO_PINS["office"], terminal="test-kiosk")
    )
    screen.go_idle()
    shot(screen, "23_idle_home_time_staff_there")
    scan(qtbot, screen, school.card_texts[collecting])
    shot(screen, "24_collect_confirm")
    screen.go_idle()
    scan(qtbot, screen, school.card_texts[both])
    shot(screen, "25_collect_confirm_with_other_device_note")
    with qtbot.waitSignal(screen.state_changed):
        click(qtbot, screen.collection_page.give_back)
    shot(screen, "26_collected")
    screen.go_idle()
    assert scan(qtbot, screen, school.card_texts[confiscated]) is State.CONFISCATED
    shot(screen, "27_confiscated")
    screen.go_idle()
    assert scan(qtbot, screen, school.card_texts[school.pupil_ids[29]]) is State.NOTHING_HELD
    shot(screen, "28_nothing_held")
    screen.go_idle()
    click(qtbot, screen.top_bar.staff_button)
    shot(screen, "30_staff_menu")
    click(qtbot, screen.staff_page.menu_buttons["full_screen"])
    qtbot.waitUntil(lambda: screen.staff_page.login.loaded, timeout=5000)
    tap_name(screen.staff_page.login, OFFICE)
    for digit in "25":
        click(qtbot, screen.staff_page.login.pinpad.buttons[digit])
    shot(screen, "31_pin_to_leave_full_screen")


@pytest.mark.skipif(
    QGuiApplication.platformName() in ("offscreen", "minimal")
    or os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen",
    reason="needs a real X server (xvfb-run) to grab a full-screen window",
)
def test_full_screen_window_under_a_real_x_server(
    qtbot: QtBot,
    artifacts: Path,
    kiosk_config: Config,
    sessions: Database,
    school: DemoSchool,
) -> None:
    settings.update(sessions, school.actors["office"], {"mode": "handin"})
    window = MainWindow(kiosk_config, sessions)
    window.kiosk.monotonic = SteadyClock()  # each scan skips the result's reading time
    qtbot.addWidget(window, before_close_func=lambda w: setattr(w, "allow_close", True))
    window.set_kiosk_mode(True)
    qtbot.waitExposed(window)
    screen = QGuiApplication.primaryScreen()
    size = (screen.size().width(), screen.size().height())
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size, timeout=5000)
    folder = artifacts / "kiosk"
    folder.mkdir(parents=True, exist_ok=True)

    def grab(name: str) -> None:
        qtbot.wait(200)
        image = screen.grabWindow(0).toImage()
        check_image(image, size)
        save_png(image, folder / f"xvfb_{name}_{size[0]}x{size[1]}.png")

    grab("idle")
    for index in range(11):
        custody.hand_in(sessions, school.pupil_ids[index + 5])
    scan(qtbot, window.kiosk, school.card_texts[school.pupil_ids[0]])
    grab("handed_in")
    scan(qtbot, window.kiosk, "not a card")
    grab("error")
    click(qtbot, window.kiosk.top_bar.staff_button)
    click(qtbot, window.kiosk.staff_page.menu_buttons["full_screen"])
    grab("pin_to_leave")
