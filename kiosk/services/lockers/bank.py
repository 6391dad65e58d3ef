"""The locker bank one kiosk drives: the door map from the database and one open driver
per bus (a serial port may carry several cabinets' boards)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select

from kiosk.db import Database
from kiosk.lockers.driver import (
    BoardStatus,
    BusSettings,
    LockerBoardError,
    LockerDriver,
    open_driver,
)
from kiosk.tables import LockerCabinet, LockerDoor, Slot

DriverOpener = Callable[[str, BusSettings], LockerDriver]
T = TypeVar("T")


@dataclass(frozen=True)
class Door:
    slot_id: int
    slot_number: int
    cabinet_id: int
    cabinet: str
    board: int
    channel: int
    open_limit_s: int
    sensors: bool


@dataclass(frozen=True)
class Bus:
    family: str
    settings: BusSettings


class LockerBank:
    """Routes a slot's door to its board; drivers open on first use and again after a
    failure, so a bank plugged in late (or back in) is picked up without a restart."""

    def __init__(
        self, doors: list[Door], buses: dict[int, Bus], opener: DriverOpener = open_driver
    ) -> None:
        self.doors = {door.slot_number: door for door in doors}
        self._buses = buses  # by cabinet id
        self._opener = opener
        self._drivers: dict[tuple[str, str], LockerDriver] = {}
        self._lock = threading.Lock()
        # Boards whose last command failed, until one answers again (the monitor keeps
        # asking): a pupil's door is not tried on a board known down.
        self._failed: set[tuple[int, int]] = set()

    @classmethod
    def load(cls, sessions: Database, opener: DriverOpener = open_driver) -> LockerBank:
        with sessions() as session:
            rows = session.execute(
                select(
                    Slot.id,
                    Slot.number,
                    LockerCabinet.id,
                    LockerCabinet.name,
                    LockerDoor.board,
                    LockerDoor.channel,
                    LockerCabinet.door_open_limit_s,
                    LockerCabinet.occupancy_sensors,
                )
                .join(LockerDoor, LockerDoor.slot_id == Slot.id)
                .join(LockerCabinet, LockerCabinet.id == LockerDoor.cabinet_id)
                .where(Slot.in_service.is_(True))
            ).all()
            cabinets = session.scalars(select(LockerCabinet)).all()
            buses = {c.id: Bus(c.driver, _settings(c)) for c in cabinets}
        return cls([Door(*row) for row in rows], buses, opener)

    def __bool__(self) -> bool:
        return bool(self.doors)

    def door(self, slot_number: int | None) -> Door | None:
        return self.doors.get(slot_number) if slot_number is not None else None

    def boards(self) -> list[tuple[int, int]]:
        """(cabinet id, board address) of every board with a mapped door."""
        return sorted({(door.cabinet_id, door.board) for door in self.doors.values()})

    def cabinet_name(self, cabinet_id: int) -> str:
        return next(d.cabinet for d in self.doors.values() if d.cabinet_id == cabinet_id)

    def known_down(self, door: Door) -> bool:
        return (door.cabinet_id, door.board) in self._failed

    def unlock(self, door: Door) -> None:
        self._run(
            door.cabinet_id, door.board, lambda driver: driver.open_door(door.board, door.channel)
        )

    def unlock_board(self, cabinet_id: int, board: int) -> None:
        self._run(cabinet_id, board, lambda driver: driver.open_all(board))

    def read(self, cabinet_id: int, board: int) -> BoardStatus:
        status: BoardStatus = self._run(cabinet_id, board, lambda driver: driver.read_board(board))
        self._failed.discard((cabinet_id, board))
        return status

    def close(self) -> None:
        with self._lock:
            for driver in self._drivers.values():
                driver.close()
            self._drivers.clear()

    def _run(self, cabinet_id: int, board: int, action: Callable[[LockerDriver], T]) -> T:
        bus = self._buses[cabinet_id]
        key = (bus.family, bus.settings.port)
        try:
            with self._lock:
                driver = self._drivers.get(key)
                if driver is None:
                    driver = self._drivers[key] = self._opener(bus.family, bus.settings)
            return action(driver)
        except LockerBoardError:
            self._failed.add((cabinet_id, board))
            raise


def _settings(cabinet: LockerCabinet) -> BusSettings:
    return BusSettings(
        port=cabinet.port,
        baud=cabinet.baud,
        pulse_ms=cabinet.pulse_ms,
        occupancy_sensors=cabinet.occupancy_sensors,
        options=(("hook_closed_bit", cabinet.hook_closed_bit),),
    )
