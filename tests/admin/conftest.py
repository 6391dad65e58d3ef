"""Fixtures for the admin tests: the messy CSV exports in data/, an admin actor, a
snapshot of every table (to show that a refused import changed nothing at all), and a
faster ``school``: built once per session into a SQLite file that each test gets a copy
of (the shared fixture builds it afresh, ~2 s a test here). A test parametrised with
``database_url = "postgresql"`` builds its school on PostgreSQL the ordinary way."""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from kiosk.db import Sessions, open_database
from kiosk.demo import DemoSchool, build_school
from kiosk.services import settings
from kiosk.services.audit import Actor
from kiosk.tables import Base

DATA = Path(__file__).parent / "data"

Snapshot = dict[str, list[tuple[object, ...]]]


@dataclass(frozen=True)
class Template:
    path: Path
    school: DemoSchool


def _build(sessions: Sessions) -> DemoSchool:
    return build_school(sessions, pupils=30, slot_count=20, reserved=2)


@pytest.fixture(scope="session")
def school_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    path = tmp_path_factory.mktemp("admin-school") / "kiosk.db"
    engine, sessions = open_database(f"sqlite:///{path}")
    settings.ensure_install(sessions)
    school = _build(sessions)
    engine.dispose()
    return Template(path, school)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[str]:
    if getattr(request, "param", "sqlite") == "sqlite":
        yield f"sqlite:///{data_dir / 'kiosk.db'}"
        return
    from pgserver import server_for_tests

    with server_for_tests().fresh_database(migrated=True) as url:
        yield url


@pytest.fixture
def engine(database_url: str, school_template: Template) -> Iterator[Engine]:
    if database_url.startswith("sqlite"):
        target = Path(database_url.removeprefix("sqlite:///"))
        with sqlite3.connect(school_template.path) as source, sqlite3.connect(target) as copy_:
            source.backup(copy_)
    engine, _ = open_database(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def school(sessions: Sessions, database_url: str, school_template: Template) -> DemoSchool:
    """30 pupils with cards, 20 slots (2 reserved), admin/office/senior staff."""
    if database_url.startswith("sqlite"):
        return copy.deepcopy(school_template.school)
    return _build(sessions)


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
