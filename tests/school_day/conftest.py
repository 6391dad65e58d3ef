"""A bigger school for the day's flows (a trip of 30, an emergency with 280 devices): 300
pupils and 300 slots, built once and copied for each test like the small school."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from school_copies import Template, make_template, sqlite_or_postgres
from sqlalchemy import Engine

from kiosk.db import Database
from kiosk.demo import DemoSchool, build_school


def big_school(sessions: Database) -> DemoSchool:
    return build_school(sessions, pupils=300, slot_count=300, reserved=10)


@pytest.fixture(scope="session")
def big_school_template(tmp_path_factory: pytest.TempPathFactory) -> Template[DemoSchool]:
    return make_template(tmp_path_factory, "big_school", big_school)


@pytest.fixture
def engine(database_url: str, big_school_template: Template[DemoSchool]) -> Iterator[Engine]:
    """Every test here runs on a copy of the big school."""
    yield from big_school_template.engine_for(database_url)


@pytest.fixture
def school(engine: Engine, database_url: str, big_school_template: Template[DemoSchool]):
    """The big school: admin/office/senior staff, 290 ordinary slots and 10 reserved,
    300 pupils each with a card."""
    return big_school_template.built_for(database_url)


@pytest.fixture
def make_console(qtbot, sessions, data_dir, styled):
    """A shown staff console on the big school (1280 x 800 unless resized)."""
    from kiosk.config import load_config
    from kiosk.ui.staff.console import StaffConsole

    def make():
        console = StaffConsole(sessions, load_config(data_dir))
        qtbot.addWidget(console)
        console.resize(1280, 800)
        console.show()
        qtbot.waitExposed(console)
        return console

    return make


@pytest.fixture(scope="session")
def styled(qapp):
    from ui.look import kiosk_look

    return kiosk_look(qapp)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_on_both(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[str]:
    """The service tests' ``database_url``: a SQLite file, then a PostgreSQL database of
    their own (a module opts in with ``database_url = database_on_both``)."""
    yield from sqlite_or_postgres(request, data_dir)
