"""Which board and channel open each slot's door: set by an admin (``kiosk lockers map``),
kept in the database, listed and exported with the slot labels."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.errors import InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.lockers import driver as drivers
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.services.common import require
from kiosk.services.reports.cells import csv_writer, guarded
from kiosk.tables import LockerCabinet, LockerDoor, Slot

BAUD_RATES = (9600, 19200, 38400, 57600, 115200)
PULSE_MS = range(100, 5001)  # electromagnetic locks want ~500 ms, servo locks ~1000 ms
OPEN_LIMIT_S = range(10, 3601)
EXPORT_HEADER = ("slot", "label", "cabinet", "driver", "port", "board", "channel")


@dataclass(frozen=True)
class CabinetSetup:
    """A locker cabinet's bus and behaviour, as the admin gives them."""

    name: str
    driver: str
    port: str
    baud: int = 19200
    pulse_ms: int | None = None
    occupancy_sensors: bool = True
    hook_closed_bit: int = 1
    door_open_limit_s: int = 60


@dataclass(frozen=True)
class DoorMapRow:
    slot_number: int
    label: str | None
    cabinet: str
    driver: str
    port: str
    board: int
    channel: int


def _check(setup: CabinetSetup) -> CabinetSetup:
    name = " ".join(setup.name.split())
    if not name or len(name) > 40:
        raise InvalidInput("A cabinet name is 1 to 40 characters.")
    if setup.driver not in drivers.families():
        raise InvalidInput(
            f"Unknown locker board {setup.driver!r} ({', '.join(drivers.families())})."
        )
    if not setup.port.strip():
        raise InvalidInput(
            "Give the serial port the bank is wired to (e.g. /dev/ttyUSB0, or COM3 on Windows)."
        )
    if setup.baud not in BAUD_RATES:
        raise InvalidInput(f"The baud rate is one of {', '.join(map(str, BAUD_RATES))}.")
    if setup.pulse_ms is not None and setup.pulse_ms not in PULSE_MS:
        raise InvalidInput("The unlock pulse is 100 to 5000 ms.")
    if setup.hook_closed_bit not in (0, 1):
        raise InvalidInput("The closed-door bit is 0 or 1.")
    if setup.door_open_limit_s not in OPEN_LIMIT_S:
        raise InvalidInput("A door may be left open 10 to 3600 seconds before staff are told.")
    return CabinetSetup(
        name,
        setup.driver,
        setup.port.strip(),
        setup.baud,
        setup.pulse_ms,
        setup.occupancy_sensors,
        setup.hook_closed_bit,
        setup.door_open_limit_s,
    )


def _cabinet(session: Session, setup: CabinetSetup) -> LockerCabinet:
    cabinet = session.scalar(select(LockerCabinet).where(LockerCabinet.name == setup.name))
    if cabinet is None:
        cabinet = LockerCabinet(name=setup.name)
        session.add(cabinet)
    cabinet.driver, cabinet.port, cabinet.baud = setup.driver, setup.port, setup.baud
    cabinet.pulse_ms, cabinet.occupancy_sensors = setup.pulse_ms, setup.occupancy_sensors
    cabinet.hook_closed_bit, cabinet.door_open_limit_s = (
        setup.hook_closed_bit,
        setup.door_open_limit_s,
    )
    session.flush()
    return cabinet


def _channels(family: str, count: int, board: int, first_channel: int) -> list[tuple[int, int]]:
    """(board, channel) for ``count`` doors from ``board``/``first_channel`` on, running on
    to the next board address when a board's channels are used up."""
    per_board, boards = drivers.channels_per_board(family), drivers.board_addresses(family)
    if not 1 <= first_channel <= per_board:
        raise InvalidInput(f"A {family} door channel is 1 to {per_board}.")
    places = []
    for offset in range(count):
        index = first_channel - 1 + offset
        place = (board + index // per_board, index % per_board + 1)
        if place[0] not in boards:
            raise InvalidInput(f"Board address {place[0]} does not exist on a {family} bus.")
        places.append(place)
    return places


def map_doors(
    sessions: Database,
    actor: Actor,
    setup: CabinetSetup,
    first: int,
    last: int,
    *,
    board: int,
    first_channel: int = 1,
) -> list[DoorMapRow]:
    """Put slots ``first``..``last`` in the locker cabinet ``setup`` and give them doors,
    one channel each from ``board``/``first_channel`` on, in slot order."""
    setup = _check(setup)
    if not 1 <= first <= last <= 9999:
        raise InvalidInput("Slot numbers run from 1 to 9999, first before last.")
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_SLOTS)
        slots = list(
            session.scalars(
                select(Slot).where(Slot.number.between(first, last)).order_by(Slot.number)
            )
        )
        if len(slots) != last - first + 1:
            raise InvalidInput(f"Some slots from {first} to {last} do not exist: add them first.")
        cabinet = _cabinet(session, setup)
        places = _channels(setup.driver, len(slots), board, first_channel)
        _refuse_taken(session, cabinet.id, places, {s.id for s in slots})
        session.execute(delete(LockerDoor).where(LockerDoor.slot_id.in_([s.id for s in slots])))
        for slot, (board_address, channel) in zip(slots, places, strict=True):
            slot.cabinet = setup.name
            session.add(
                LockerDoor(
                    slot_id=slot.id, cabinet_id=cabinet.id, board=board_address, channel=channel
                )
            )
        audit.append(
            session,
            EventKind.LOCKERS_MAPPED,
            actor,
            details={
                "cabinet": setup.name,
                "driver": setup.driver,
                "port": setup.port,
                "from": first,
                "to": last,
                "first": {"board": places[0][0], "channel": places[0][1]},
                "last": {"board": places[-1][0], "channel": places[-1][1]},
            },
        )
    return [row for row in door_map(sessions) if first <= row.slot_number <= last]


def _refuse_taken(
    session: Session, cabinet_id: int, places: list[tuple[int, int]], slot_ids: set[int]
) -> None:
    taken = session.execute(
        select(LockerDoor.board, LockerDoor.channel, Slot.number)
        .join(Slot, Slot.id == LockerDoor.slot_id)
        .where(LockerDoor.cabinet_id == cabinet_id, LockerDoor.slot_id.not_in(slot_ids))
    ).all()
    owners = {(row.board, row.channel): row.number for row in taken}
    for place in places:
        if place in owners:
            raise InvalidInput(
                f"Board {place[0]} door {place[1]} already opens slot {owners[place]}."
            )


def unmap_doors(sessions: Database, actor: Actor, first: int, last: int) -> int:
    """Slots ``first``..``last`` go back to manual (no door the kiosk opens)."""
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_SLOTS)
        ids = list(session.scalars(select(Slot.id).where(Slot.number.between(first, last))))
        removed = len(
            list(session.scalars(select(LockerDoor.slot_id).where(LockerDoor.slot_id.in_(ids))))
        )
        session.execute(delete(LockerDoor).where(LockerDoor.slot_id.in_(ids)))
        audit.append(
            session,
            EventKind.LOCKERS_UNMAPPED,
            actor,
            details={"from": first, "to": last, "count": removed},
        )
        return removed


def door_map(sessions: Database) -> list[DoorMapRow]:
    with sessions() as session:
        rows = session.execute(
            select(
                Slot.number,
                Slot.label,
                LockerCabinet.name,
                LockerCabinet.driver,
                LockerCabinet.port,
                LockerDoor.board,
                LockerDoor.channel,
            )
            .join(LockerDoor, LockerDoor.slot_id == Slot.id)
            .join(LockerCabinet, LockerCabinet.id == LockerDoor.cabinet_id)
            .order_by(Slot.number)
        ).all()
        return [DoorMapRow(*row) for row in rows]


def export_csv(sessions: Database, path: Path) -> int:
    """The door map with the slot labels, as CSV (UTF-8 with BOM, so Excel opens it)."""
    rows = door_map(sessions)
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv_writer(out)
        writer.writerow(EXPORT_HEADER)
        for row in rows:
            writer.writerow(
                [
                    row.slot_number,
                    guarded(row.label or ""),
                    guarded(row.cabinet),
                    row.driver,
                    guarded(row.port),
                    row.board,
                    row.channel,
                ]
            )
    return len(rows)
