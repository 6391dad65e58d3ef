"""The kiosk screen with locker doors: the door opens with the slot number, the phone seen
in says thank you, an empty slot asks "Is your phone in slot N?", a board that does not
answer sends the pupil to the office. Real KioskScreen, real KR-CU16 serial code, the
board simulator on a pseudo-terminal. Screenshots into ``artifacts/kiosk/``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from kiosk.db import Database
from kiosk.demo import DemoSchool
from kiosk.lockers import kerong as kr
from kiosk.lockers.simulator import BoardSimulator
from kiosk.services import custody
from kiosk.services.lockers import mapping
from kiosk.services.lockers.bank import LockerBank
from kiosk.services.lockers.mapping import CabinetSetup
from kiosk.services.staff import StaffMember
from kiosk.tables import LockerOpening
from kiosk.ui.kiosk_screen.jobs import collect_job
from kiosk.ui.kiosk_screen.outcomes import State, Tone
from ui.look import save_png

from .conftest import ScreenFactory, click, scan


@pytest.fixture
def sim(sessions: Database, school: DemoSchool) -> Iterator[BoardSimulator]:
    """Slots 1-16 behind board 0 of a simulated KR-CU16 bank (mapped before the screen
    starts, as an admin would with ``kiosk lockers map``)."""
    with BoardSimulator((0,)) as simulator:
        setup = CabinetSetup("Lockers", "kerong-cu16", simulator.port, pulse_ms=500)
        mapping.map_doors(sessions, school.actors["admin"], setup, 1, 16, board=0)
        yield simulator


def first_card(school: DemoSchool) -> str:
    return school.card_texts[school.device_owners[0]]


def wait_state(qtbot: QtBot, sessions: Database, state: str) -> None:
    """Until the door monitor (polling twice a second) has moved the opening on."""

    def reached() -> bool:
        with sessions() as session:
            return (
                session.scalar(select(LockerOpening.state).order_by(LockerOpening.id.desc()))
                == state
            )

    qtbot.waitUntil(reached, timeout=5000)


def grab(widget: QWidget, folder: Path, name: str) -> None:
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
    image = widget.grab().toImage()
    assert (image.width(), image.height()) == (widget.width(), widget.height())
    assert save_png(image, folder / f"{name}_{widget.width()}x{widget.height()}.png")


@pytest.mark.parametrize("size", [(1024, 600), (1920, 1080)], ids=["1024x600", "1920x1080"])
def test_a_hand_in_opens_the_door_and_the_phone_seen_in_says_thank_you(
    qtbot: QtBot,
    make_screen: ScreenFactory,
    sessions: Database,
    school: DemoSchool,
    sim: BoardSimulator,
    artifacts: Path,
    size: tuple[int, int],
) -> None:
    folder = artifacts / "kiosk"
    folder.mkdir(parents=True, exist_ok=True)
    screen = make_screen(size=size)
    assert screen.bank is not None
    assert scan(qtbot, screen, first_card(school)) is State.HANDED_IN
    assert screen.result_page.message.text() == (
        "Slot 1 is open: put your phone in and shut the door."
    )
    assert screen.result_page.slot.isVisible()
    grab(screen, folder, "lockers_01_door_open")
    (unlock,) = sim.wait_for(kr.UNLOCK_ONE)
    assert (unlock.board, unlock.channel) == (0, 1)
    wait_state(qtbot, sessions, "open")
    sim.fill(0, 1)
    sim.shut(0, 1)
    qtbot.waitUntil(lambda: screen.result_page.title.text() == "All done", timeout=5000)
    assert screen.result_page.message.text() == "Thank you: your phone is in slot 1."
    grab(screen, folder, "lockers_02_thank_you")


@pytest.mark.parametrize("size", [(1024, 600), (1920, 1080)], ids=["1024x600", "1920x1080"])
def test_a_door_shut_on_an_empty_slot_asks_and_can_open_again(
    qtbot: QtBot,
    make_screen: ScreenFactory,
    sessions: Database,
    school: DemoSchool,
    sim: BoardSimulator,
    artifacts: Path,
    size: tuple[int, int],
) -> None:
    screen = make_screen(size=size)
    scan(qtbot, screen, first_card(school))
    wait_state(qtbot, sessions, "open")
    sim.shut(0, 1)  # nothing went in
    qtbot.waitUntil(lambda: screen.pages.currentWidget() is screen.deposit_page, timeout=5000)
    assert screen.deposit_page.title.text() == "Is your phone in slot 1?"
    grab(screen, artifacts / "kiosk", "lockers_03_is_your_phone_in")
    click(qtbot, screen.deposit_page.reopen)
    sim.wait_for(kr.UNLOCK_ONE, 2)
    qtbot.waitUntil(lambda: screen.pages.currentWidget() is screen.result_page, timeout=5000)
    assert screen.result_page.message.text() == (
        "Slot 1 is open: put your phone in and shut the door."
    )


def test_a_board_that_does_not_answer_sends_the_pupil_to_the_office(
    qtbot: QtBot,
    make_screen: ScreenFactory,
    sessions: Database,
    school: DemoSchool,
    sim: BoardSimulator,
    artifacts: Path,
) -> None:
    sim.silence(0)
    screen = make_screen()
    assert scan(qtbot, screen, first_card(school)) is State.HANDED_IN
    outcome = screen.answer.outcome if screen.answer else None
    assert outcome is not None and outcome.tone is Tone.WARNING
    assert screen.result_page.message.text() == (
        "Slot 1's door cannot open just now. Please give your phone to the office."
    )
    assert not any(r.command == kr.UNLOCK_ONE for r in sim.requests)
    grab(screen, artifacts / "kiosk", "lockers_04_board_down")


def test_a_kiosk_without_locker_doors_works_as_before(
    qtbot: QtBot, make_screen: ScreenFactory, school: DemoSchool
) -> None:
    screen = make_screen()
    assert screen.bank is None
    scan(qtbot, screen, first_card(school))
    assert screen.result_page.message.text() == "Switch your phone off and put it in slot 1"


def test_giving_a_phone_back_opens_its_door(
    sessions: Database, school: DemoSchool, sim: BoardSimulator
) -> None:
    held = custody.hand_in_by_card(sessions, first_card(school))
    office = school.actors["office"]
    member = StaffMember(office.id or 0, office.name, "office", True, False)
    bank = LockerBank.load(sessions)
    try:
        answer = collect_job(sessions, held.custody_id or 0, member, bank)
    finally:
        bank.close()
    assert answer.outcome.message == "Slot 1 is open: take the device and shut the door."
    assert sim.wait_for(kr.UNLOCK_ONE)[0].channel == 1
