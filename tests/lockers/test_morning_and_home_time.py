"""A morning and a home time with locker doors, through the real services, the real
KR-CU16 serial code and the board simulator on a pseudo-terminal."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from kiosk.db import Database
from kiosk.demo import DemoSchool
from kiosk.errors import InvalidInput, NotAuthorised
from kiosk.lockers import kerong as kr
from kiosk.lockers.simulator import BoardSimulator
from kiosk.services import custody
from kiosk.services.audit import KIOSK_ACTOR
from kiosk.services.lockers import doors
from kiosk.services.lockers.bank import LockerBank
from kiosk.services.lockers.monitor import LockerMonitor, NoticeKind
from kiosk.tables import AuditEvent

from .conftest import board_and_channel, both_databases

MORNING = dt.datetime(2026, 12, 7, 8, 0)
HOME_TIME = dt.datetime(2026, 12, 7, 15, 10)


def events(sessions: Database, slot: int) -> list[tuple[str, dict[str, object]]]:
    with sessions() as session:
        rows = session.execute(
            select(AuditEvent.kind, AuditEvent.details)
            .where(AuditEvent.slot_number == slot, AuditEvent.kind.like("locker%"))
            .order_by(AuditEvent.seq)
        )
        return [(kind, json.loads(details)) for kind, details in rows]


@both_databases
def test_a_morning_of_hand_ins_then_home_time_through_the_doors(
    sessions: Database, school: DemoSchool, sim: BoardSimulator, bank: LockerBank
) -> None:
    monitor = LockerMonitor(sessions, bank)
    monitor.poll(MORNING)
    pupils = school.device_owners[:8]
    handed: dict[int, int] = {}  # custody id -> slot
    for i, pupil in enumerate(pupils):
        now = MORNING + dt.timedelta(minutes=i)
        result = custody.hand_in_by_card(sessions, school.card_texts[pupil], now=now)
        assert result.slot_number is not None and result.custody_id is not None
        slot = result.slot_number
        outcome = doors.open_for_hand_in(
            sessions, bank, result.custody_id, result.slot_number, now=now
        )
        assert outcome is not None and outcome.opened
        assert outcome.message == f"Slot {slot} is open: put your phone in and shut the door."
        board, channel = board_and_channel(slot)
        request = sim.wait_for(kr.UNLOCK_ONE, i + 1)[-1]
        assert (request.board, request.channel) == (board, channel)
        assert not sim.door(board, channel).closed  # the real unlock reached the board
        assert monitor.poll(now + dt.timedelta(seconds=1)) == []
        sim.fill(board, channel)
        sim.shut(board, channel)
        (notice,) = monitor.poll(now + dt.timedelta(seconds=6))
        assert notice.kind == NoticeKind.HAND_IN_COMPLETE and notice.slot_number == slot
        handed[result.custody_id] = slot

    again = custody.hand_in_by_card(sessions, school.card_texts[pupils[0]], now=MORNING)
    unlocks = len(sim.wait_for(kr.UNLOCK_ONE, len(pupils)))
    repeat = doors.open_for_hand_in(
        sessions, bank, again.custody_id or 0, again.slot_number, now=MORNING
    )
    assert repeat is not None and not repeat.opened
    assert "already in slot" in repeat.message
    assert len([r for r in sim.requests if r.command == kr.UNLOCK_ONE]) == unlocks

    office = school.actors["office"]
    for i, (custody_id, slot) in enumerate(handed.items()):
        now = HOME_TIME + dt.timedelta(minutes=i)
        custody.collect(sessions, custody_id, office, now=now)
        outcome = doors.open_for_release(sessions, bank, custody_id, office, now=now)
        assert outcome is not None and outcome.opened
        board, channel = board_and_channel(slot)
        monitor.poll(now + dt.timedelta(seconds=1))
        sim.empty(board, channel)
        sim.shut(board, channel)
        (notice,) = monitor.poll(now + dt.timedelta(seconds=5))
        assert notice.kind == NoticeKind.RELEASE_COMPLETE
        second = doors.open_for_release(sessions, bank, custody_id, office, now=now)
        assert second is not None and not second.opened

    first_slot = next(iter(handed.values()))
    kinds = [kind for kind, _ in events(sessions, first_slot)]
    assert kinds == [
        "locker_unlock_sent",
        "locker_door_shut",
        "locker_unlock_sent",
        "locker_door_shut",
    ]
    shut = [details for kind, details in events(sessions, first_slot) if kind == "locker_door_shut"]
    assert [(d["purpose"], d["occupied"], d["outcome"]) for d in shut] == [
        ("hand_in", True, "deposited"),
        ("release", False, "emptied"),
    ]
    assert all(d["opened_at"] for d in shut)
    assert doors_faults(sessions) == []


def doors_faults(sessions: Database) -> list[str]:
    from kiosk.services.lockers import faults

    return [f.kind for f in faults.open_faults(sessions)]


def test_a_release_opens_no_door_for_a_device_still_held(
    sessions: Database, school: DemoSchool, sim: BoardSimulator, bank: LockerBank
) -> None:
    result = custody.hand_in_by_card(
        sessions, school.card_texts[school.device_owners[0]], now=MORNING
    )
    with pytest.raises(InvalidInput):
        doors.open_for_release(sessions, bank, result.custody_id or 0, school.actors["office"])
    assert not [r for r in sim.requests if r.command == kr.UNLOCK_ONE]


def test_a_slot_without_a_door_is_a_manual_slot(
    sessions: Database, school: DemoSchool, sim: BoardSimulator
) -> None:
    bank = LockerBank.load(sessions)  # nothing mapped
    result = custody.hand_in_by_card(
        sessions, school.card_texts[school.device_owners[0]], now=MORNING
    )
    assert (
        doors.open_for_hand_in(
            sessions, bank, result.custody_id or 0, result.slot_number, now=MORNING
        )
        is None
    )
    assert sim.requests == []


def test_a_pupil_who_undoes_a_hand_in_gets_the_door_opened_again(
    sessions: Database, school: DemoSchool, sim: BoardSimulator, bank: LockerBank
) -> None:
    monitor = LockerMonitor(sessions, bank)
    monitor.poll(MORNING)
    result = custody.hand_in_by_card(
        sessions, school.card_texts[school.device_owners[0]], now=MORNING
    )
    custody_id, slot = result.custody_id or 0, result.slot_number or 0
    doors.open_for_hand_in(sessions, bank, custody_id, slot, now=MORNING)
    board, channel = board_and_channel(slot)
    monitor.poll(MORNING + dt.timedelta(seconds=1))
    sim.fill(board, channel)
    sim.shut(board, channel)
    monitor.poll(MORNING + dt.timedelta(seconds=3))
    undo_at = MORNING + dt.timedelta(seconds=30)
    card = school.card_texts[school.device_owners[0]]  # shown again, as the kiosk asks
    custody.undo_hand_in(sessions, custody_id, card_text=card, now=undo_at)
    outcome = doors.open_for_release(sessions, bank, custody_id, KIOSK_ACTOR, now=undo_at)
    assert outcome is not None and outcome.opened
    sim.wait_for(kr.UNLOCK_ONE, 2)
    monitor.poll(undo_at + dt.timedelta(seconds=1))
    sim.empty(board, channel)
    sim.shut(board, channel)
    assert [n.kind for n in monitor.poll(undo_at + dt.timedelta(seconds=3))] == [
        NoticeKind.RELEASE_COMPLETE
    ]
    again = doors.open_for_release(sessions, bank, custody_id, KIOSK_ACTOR, now=undo_at)
    assert again is not None and not again.opened  # once only


def test_a_pupil_cannot_open_a_door_for_a_release_made_by_staff(
    sessions: Database, school: DemoSchool, sim: BoardSimulator, bank: LockerBank
) -> None:
    result = custody.hand_in_by_card(
        sessions, school.card_texts[school.device_owners[0]], now=MORNING
    )
    custody.collect(sessions, result.custody_id or 0, school.actors["office"], now=HOME_TIME)
    with pytest.raises(NotAuthorised):
        doors.open_for_release(sessions, bank, result.custody_id or 0, KIOSK_ACTOR, now=HOME_TIME)
    assert not any(r.command == kr.UNLOCK_ONE for r in sim.requests)
