"""Fixtures for the admin tests: the messy CSV exports in data/, an admin actor, a
snapshot of every table (to show that a refused import changed nothing at all), and a
faster ``school``: a copy of the one built once per session (school_copies.py). A test
parametrised with ``database_url = "postgresql"`` builds its school on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from school_copies import engine_on_a_copy, school_on_a_copy, sqlite_or_postgres  # noqa: F401
from sqlalchemy import select

from kiosk.db import Sessions
from kiosk.demo import DemoSchool
from kiosk.services.audit import Actor
from kiosk.tables import Base

DATA = Path(__file__).parent / "data"

Snapshot = dict[str, list[tuple[object, ...]]]


@pytest.fixture
def database_url(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[str]:
    yield from sqlite_or_postgres(request, data_dir)


@pytest.fixture
def data() -> Callable[[str], bytes]:
    return lambda name: (DATA / name).read_bytes()


@pytest.fixture
def admin(school: DemoSchool) -> Actor:
    return school.actors["admin"]


@pytest.fixture
def snapshot(sessions: Sessions) -> Callable[[], Snapshot]:
    """Every row of every table, in key order."""

    def take() -> Snapshot:
        with sessions() as session:
            return {
                table.name: [
                    tuple(row)
                    for row in session.execute(select(table).order_by(*table.primary_key.columns))
                ]
                for table in Base.metadata.sorted_tables
            }

    return take
