"""The technician's check of a newly wired bank: each door opened in turn and read back,
recorded in the audit log. Doors of slots that hold a device are skipped unless asked."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select

from kiosk.db import Database
from kiosk.event_kinds import EventKind
from kiosk.lockers.driver import BusSettings, LockerBoardError, LockerDriver, open_driver
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.services.common import require
from kiosk.tables import HELD, Custody, LockerCabinet, LockerDoor, Slot


@dataclass(frozen=True)
class DoorCheck:
    board: int
    channel: int
    result: str  # "opened", "did not open", "skipped", "board error"
    occupied: bool | None = None
    note: str = ""


def held_doors(sessions: Database, port: str) -> dict[tuple[int, int], int]:
    """(board, channel) -> slot number, for mapped doors on ``port`` holding a device."""
    with sessions() as session:
        rows = session.execute(
            select(LockerDoor.board, LockerDoor.channel, Slot.number)
            .join(Slot, Slot.id == LockerDoor.slot_id)
            .join(LockerCabinet, LockerCabinet.id == LockerDoor.cabinet_id)
            .join(Custody, Custody.slot_id == Slot.id)
            .where(LockerCabinet.port == port, Custody.state == HELD)
        ).all()
        return {(row.board, row.channel): row.number for row in rows}


def check_bank(
    sessions: Database,
    actor: Actor,
    family: str,
    settings: BusSettings,
    boards: Iterable[int],
    channels: Iterable[int],
    *,
    wait: float = 1.0,
    include_held: bool = False,
    report: Callable[[DoorCheck], None] = lambda _check: None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[DoorCheck]:
    """Open every door of ``boards`` x ``channels`` in turn, ``wait`` seconds each, and
    read it back; ``report`` is called as each door is done."""
    with sessions() as session:
        require(session, actor, Action.MANAGE_SLOTS)
    skip = {} if include_held else held_doors(sessions, settings.port)
    checks: list[DoorCheck] = []
    driver = open_driver(family, settings)
    try:
        for board in boards:
            for check in _check_board(driver, board, list(channels), skip, wait, sleep):
                checks.append(check)
                report(check)
    finally:
        driver.close()
    with sessions.begin() as session:
        audit.append(
            session,
            EventKind.LOCKER_BANK_TESTED,
            actor,
            details={
                "port": settings.port,
                "driver": family,
                "doors": [[c.board, c.channel, c.result] for c in checks],
            },
        )
    return checks


def _check_board(
    driver: LockerDriver,
    board: int,
    channels: list[int],
    skip: dict[tuple[int, int], int],
    wait: float,
    sleep: Callable[[float], None],
) -> Iterable[DoorCheck]:
    try:
        before = driver.read_board(board)
    except LockerBoardError as exc:
        yield DoorCheck(board, 0, "board error", None, str(exc))
        return
    for channel in channels:
        if (board, channel) in skip:
            note = f"slot {skip[(board, channel)]} holds a device"
            yield DoorCheck(board, channel, "skipped", None, note)
            continue
        try:
            driver.open_door(board, channel)
            sleep(wait)
            after = driver.read_board(board).door(channel)
        except LockerBoardError as exc:
            yield DoorCheck(board, channel, "board error", None, str(exc))
            continue
        note = "" if before.door(channel).closed else "it read open before the test"
        result = "did not open" if after.closed else "opened"
        yield DoorCheck(board, channel, result, after.occupied, note)
