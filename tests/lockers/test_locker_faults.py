"""Each locker fault through the simulator: it reaches the dashboard's list at once, the
pupil's screen gets plain words, and nothing recorded is lost."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from kiosk.db import Database
from kiosk.demo import DemoSchool
from kiosk.errors import NotAuthorised
from kiosk.lockers import kerong as kr
from kiosk.lockers.simulator import BoardSimulator
from kiosk.services import custody
from kiosk.services.custody import HandInResult
from kiosk.services.lockers import doors, emergency, faults
from kiosk.services.lockers.bank import LockerBank
from kiosk.services.lockers.doors import DoorOutcome
from kiosk.services.lockers.faults import FaultKind
from kiosk.services.lockers.monitor import LockerMonitor, NoticeKind
from kiosk.tables import HELD, AuditEvent, Custody

from .conftest import board_and_channel, both_databases, map_school

T0 = dt.datetime(2026, 12, 7, 8, 0)


def later(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def open_kinds(sessions: Database) -> list[str]:
    return [fault.kind for fault in faults.open_faults(sessions)]


def hand_in(
    sessions: Database, school: DemoSchool, bank: LockerBank, n: int = 0
) -> tuple[HandInResult, DoorOutcome, tuple[int, int]]:
    result = custody.hand_in_by_card(sessions, school.card_texts[school.device_owners[n]], now=T0)
    assert result.slot_number is not None and result.custody_id is not None
    outcome = doors.open_for_hand_in(sessions, bank, result.custody_id, result.slot_number, now=T0)
    assert outcome is not None
    return result, outcome, board_and_channel(result.slot_number)


@pytest.fixture
def monitor(sessions: Database, bank: LockerBank) -> LockerMonitor:
    watcher = LockerMonitor(sessions, bank)
    assert watcher.poll(T0) == []
    return watcher


@both_databases
def test_a_door_shut_on_an_empty_slot_asks_then_records_declared_but_not_deposited(
    sessions: Database,
    school: DemoSchool,
    sim: BoardSimulator,
    bank: LockerBank,
    monitor: LockerMonitor,
) -> None:
    result, _, (board, channel) = hand_in(sessions, school, bank)
    monitor.poll(later(1))
    sim.shut(board, channel)  # the calculator-in-the-pouch trick: nothing went in
    (ask,) = monitor.poll(later(3))
    assert ask.kind == NoticeKind.ASK_DEPOSIT
    assert ask.message == f"Is your phone in slot {result.slot_number}? The slot reads empty."
    again = doors.answer_deposit_question(
        sessions, bank, ask.opening_id or 0, reopen=True, now=later(4)
    )
    assert again.opened
    sim.wait_for(kr.UNLOCK_ONE, 2)
    monitor.poll(later(5))
    sim.shut(board, channel)
    (ask,) = monitor.poll(later(7))
    assert ask.kind == NoticeKind.ASK_DEPOSIT
    assert monitor.poll(later(20)) == []
    notices = monitor.poll(later(30))
    assert [n.kind for n in notices] == [NoticeKind.DECLARED_NOT_DEPOSITED]
    (fault,) = faults.open_faults(sessions)
    assert (fault.kind, fault.slot_number, fault.custody_id) == (
        FaultKind.DECLARED_NOT_DEPOSITED,
        result.slot_number,
        result.custody_id,
    )
    with sessions() as session:  # the hand-in stands: staff decide what it was
        assert session.get(Custody, result.custody_id).state == HELD  # type: ignore[union-attr]


def test_a_phone_seen_late_by_the_sensor_completes_the_hand_in(
    sessions: Database,
    school: DemoSchool,
    sim: BoardSimulator,
    bank: LockerBank,
    monitor: LockerMonitor,
) -> None:
    _, _, (board, channel) = hand_in(sessions, school, bank)
    monitor.poll(later(1))
    sim.shut(board, channel)
    assert [n.kind for n in monitor.poll(later(2))] == [NoticeKind.ASK_DEPOSIT]
    sim.fill(board, channel)
    assert [n.kind for n in monitor.poll(later(4))] == [NoticeKind.HAND_IN_COMPLETE]
    assert open_kinds(sessions) == []


def test_answering_yes_on_an_empty_slot_records_it_at_once(
    sessions: Database,
    school: DemoSchool,
    sim: BoardSimulator,
    bank: LockerBank,
    monitor: LockerMonitor,
) -> None:
    _, _, (board, channel) = hand_in(sessions, school, bank)
    monitor.poll(later(1))
    sim.shut(board, channel)
    (ask,) = monitor.poll(later(2))
    answer = doors.answer_deposit_question(sessions, bank, ask.opening_id or 0, reopen=False)
    assert not answer.opened and "office" in answer.message
    assert open_kinds(sessions) == [FaultKind.DECLARED_NOT_DEPOSITED]


def test_a_slot_still_occupied_after_a_release_tells_staff(
    sessions: Database,
    school: DemoSchool,
    sim: BoardSimulator,
    bank: LockerBank,
    monitor: LockerMonitor,
) -> None:
    result, _, (board, channel) = hand_in(sessions, school, bank)
    monitor.poll(later(1))
    sim.fill(board, channel)
    sim.shut(board, channel)
    monitor.poll(later(2))
    office = school.actors["office"]
    custody.collect(sessions, result.custody_id or 0, office, now=later(60))
    doors.open_for_release(sessions, bank, result.custody_id or 0, office, now=later(60))
    monitor.poll(later(61))
    sim.shut(board, channel)  # shut with the phone still inside
    (notice,) = monitor.poll(later(63))
    assert notice.fault_kind == FaultKind.NOT_EMPTY_AFTER_RELEASE
    assert open_kinds(sessions) == [FaultKind.NOT_EMPTY_AFTER_RELEASE]


def test_a_door_left_open_is_a_fault_until_it_shuts(
    sessions: Database,
    school: DemoSchool,
    sim: BoardSimulator,
    bank: LockerBank,
    monitor: LockerMonitor,
) -> None:
    _, _, (board, channel) = hand_in(sessions, school, bank)
    monitor.poll(later(1))
    assert monitor.poll(later(50)) == []
    (notice,) = monitor.poll(later(62))  # the cabinet's limit is 60 s
    assert notice.fault_kind == FaultKind.DOOR_LEFT_OPEN
    assert monitor.poll(later(70)) == []  # raised once
    sim.fill(board, channel)
    sim.shut(board, channel)
    assert [n.kind for n in monitor.poll(later(80))] == [NoticeKind.HAND_IN_COMPLETE]
    assert open_kinds(sessions) == []
    with sessions() as session:
        cleared = session.scalar(
            select(AuditEvent.details).where(AuditEvent.kind == "locker_fault_cleared")
        )
    assert cleared is not None and "door shut" in cleared


def test_a_jammed_door_is_reported_and_the_pupil_sent_to_the_office(
    sessions: Database,
    school: DemoSchool,
    sim: BoardSimulator,
    bank: LockerBank,
    monitor: LockerMonitor,
) -> None:
    slot = 1
    sim.jam(*board_and_channel(slot))
    _, outcome, _ = hand_in(sessions, school, bank)
    assert outcome.slot_number == slot and outcome.opened  # the command went out
    assert monitor.poll(later(5)) == []
    (notice,) = monitor.poll(later(9))
    assert notice.fault_kind == FaultKind.DOOR_JAMMED
    assert "did not open" in notice.message


def test_something_in_a_slot_the_records_call_free_is_reported(
    sessions: Database,
    school: DemoSchool,
    sim: BoardSimulator,
    bank: LockerBank,
    monitor: LockerMonitor,
) -> None:
    sim.fill(*board_and_channel(7))
    (notice,) = monitor.poll(later(1))
    assert (notice.fault_kind, notice.slot_number) == (FaultKind.OCCUPIED_BUT_FREE, 7)
    with sessions() as session:
        kinds = session.scalars(select(AuditEvent.kind).where(AuditEvent.slot_number == 7))
        assert list(kinds) == ["locker_occupancy_changed", "locker_fault"]


def test_a_door_opened_without_a_command_is_reported(
    sessions: Database, sim: BoardSimulator, bank: LockerBank, monitor: LockerMonitor
) -> None:
    sim.pull_open(*board_and_channel(12))
    (notice,) = monitor.poll(later(1))
    assert (notice.fault_kind, notice.slot_number) == (FaultKind.DOOR_OPENED_UNEXPECTEDLY, 12)


@both_databases
def test_a_board_that_stops_answering_makes_its_slots_manual_and_nothing_is_lost(
    sessions: Database,
    school: DemoSchool,
    sim: BoardSimulator,
    bank: LockerBank,
    monitor: LockerMonitor,
) -> None:
    sim.silence(0)
    (notice,) = monitor.poll(later(1))
    assert notice.fault_kind == FaultKind.BOARD_NOT_ANSWERING
    assert "doors are manual" in notice.message
    result, outcome, _ = hand_in(sessions, school, bank)
    assert not outcome.opened
    assert outcome.message == (
        f"Slot {result.slot_number}'s door cannot open just now. "
        "Please give your phone to the office."
    )
    with sessions() as session:  # the hand-in is recorded all the same
        assert session.get(Custody, result.custody_id).state == HELD  # type: ignore[union-attr]
    asked = len(sim.requests)
    assert monitor.poll(later(2)) == []  # raised once
    assert [r.board for r in sim.requests[asked:]] == [1]  # a board known down: not asked
    sim.silence(0, False)
    assert monitor.poll(later(4)) == []
    assert [n.kind for n in monitor.poll(later(7))] == [NoticeKind.BOARD_BACK]  # asked again
    assert open_kinds(sessions) == []


def test_a_bank_whose_port_is_gone_falls_back_to_manual(
    sessions: Database, school: DemoSchool
) -> None:
    map_school(sessions, school, "/dev/ttyNOSUCH")
    bank = LockerBank.load(sessions)
    result = custody.hand_in_by_card(sessions, school.card_texts[school.device_owners[0]], now=T0)
    outcome = doors.open_for_hand_in(
        sessions, bank, result.custody_id or 0, result.slot_number, now=T0
    )
    assert outcome is not None and not outcome.opened and "office" in outcome.message
    assert open_kinds(sessions) == [FaultKind.BOARD_NOT_ANSWERING]
    notices = LockerMonitor(sessions, bank).poll(later(1))
    assert [n.fault_kind for n in notices] == [FaultKind.BOARD_NOT_ANSWERING]  # board 1 too


@both_databases
def test_an_admin_opens_every_door_in_one_recorded_action(
    sessions: Database,
    school: DemoSchool,
    sim: BoardSimulator,
    bank: LockerBank,
    monitor: LockerMonitor,
) -> None:
    with pytest.raises(NotAuthorised):
        emergency.emergency_open_all(sessions, bank, school.actors["office"], "fire alarm")
    assert not any(r.command == kr.UNLOCK_BOARD for r in sim.requests)
    result = emergency.emergency_open_all(
        sessions, bank, school.actors["admin"], "fire alarm", now=T0
    )
    assert result.boards_opened == (("Lockers", 0), ("Lockers", 1)) and not result.boards_failed
    sim.wait_for(kr.UNLOCK_BOARD, 2)
    assert all(not door.closed for door in sim.boards[0].doors)
    assert all(not door.closed for door in sim.boards[1].doors)
    monitor.poll(later(1))
    sim.shut(0, 1)
    assert [n.kind for n in monitor.poll(later(2))] == [NoticeKind.DOOR_SHUT]
    with sessions() as session:
        kinds = list(
            session.scalars(
                select(AuditEvent.kind).where(AuditEvent.kind.like("locker_emergency%"))
            )
        )
    assert kinds == ["locker_emergency_open_all", "locker_emergency_result"]


def test_staff_clear_a_fault_saying_what_they_did(
    sessions: Database,
    school: DemoSchool,
    sim: BoardSimulator,
    bank: LockerBank,
    monitor: LockerMonitor,
) -> None:
    sim.fill(*board_and_channel(3))
    monitor.poll(later(1))
    (fault,) = faults.open_faults(sessions)
    faults.clear(sessions, school.actors["office"], fault.id, "lost property: a calculator")
    assert faults.open_faults(sessions) == []
    assert monitor.poll(later(2)) == []  # the same slot stays occupied: not raised again yet


def test_a_door_never_opens_onto_something_the_records_do_not_know_about(
    sessions: Database, school: DemoSchool, sim: BoardSimulator, bank: LockerBank
) -> None:
    sim.fill(*board_and_channel(1))  # a phone left in slot 1, which the records call free
    result, outcome, _ = hand_in(sessions, school, bank)
    assert result.slot_number == 1 and not outcome.opened
    assert "office" in outcome.message
    assert not any(r.command == kr.UNLOCK_ONE for r in sim.requests)
    (fault,) = faults.open_faults(sessions)
    assert (fault.kind, fault.slot_number, fault.custody_id) == (
        FaultKind.OCCUPIED_BUT_FREE,
        1,
        result.custody_id,
    )
