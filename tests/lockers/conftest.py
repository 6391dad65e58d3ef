"""Locker tests drive the real KR-CU16 serial code against the board simulator on a
pseudo-terminal, and the real services on a copy of the small school (20 slots)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from school_copies import engine_on_a_copy, school_on_a_copy, sqlite_or_postgres  # noqa: F401

from kiosk.db import Database
from kiosk.demo import DemoSchool
from kiosk.lockers.simulator import BoardSimulator
from kiosk.services.lockers import mapping
from kiosk.services.lockers.bank import LockerBank
from kiosk.services.lockers.mapping import CabinetSetup

# The flows' transactions also run on PostgreSQL (skipped when no server starts).
both_databases = pytest.mark.parametrize(
    "database_url",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[str]:
    yield from sqlite_or_postgres(request, data_dir)


@pytest.fixture
def sim() -> Iterator[BoardSimulator]:
    """Two KR-CU16 boards (addresses 0 and 1) with occupancy sensors, all doors shut."""
    with BoardSimulator((0, 1)) as simulator:
        yield simulator


def map_school(sessions: Database, school: DemoSchool, port: str, *, sensors: bool = True) -> None:
    """Slots 1-20 in cabinet "Lockers": board 0 doors 1-16, then board 1 doors 1-4."""
    setup = CabinetSetup("Lockers", "kerong-cu16", port, pulse_ms=500, occupancy_sensors=sensors)
    mapping.map_doors(sessions, school.actors["admin"], setup, 1, 20, board=0)


@pytest.fixture
def bank(sessions: Database, school: DemoSchool, sim: BoardSimulator) -> Iterator[LockerBank]:
    map_school(sessions, school, sim.port)
    loaded = LockerBank.load(sessions)
    yield loaded
    loaded.close()


def board_and_channel(slot: int) -> tuple[int, int]:
    """Where map_school put ``slot``."""
    return (0, slot) if slot <= 16 else (1, slot - 16)
