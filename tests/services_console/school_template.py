"""The small demo school built once per test run and copied for each test: building it
(staff PIN hashes, slots, cards, each in its own durable transaction) takes over a second,
copying the file a few milliseconds. Each test still gets its own real SQLite file."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from kiosk.config import sqlite_url
from kiosk.db import open_database
from kiosk.demo import DemoSchool, build_school
from kiosk.services import settings


@pytest.fixture(scope="session")
def school_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSchool]:
    path = tmp_path_factory.mktemp("school-template") / "kiosk.db"
    engine, sessions = open_database(sqlite_url(path))
    settings.ensure_install(sessions)
    demo = build_school(sessions, pupils=30, slot_count=20, reserved=2)
    engine.dispose()  # checkpoints the WAL into the file we copy
    return path, demo


@pytest.fixture
def engine(data_dir: Path, school_template: tuple[Path, DemoSchool]) -> Iterator[Engine]:
    """Overrides the root fixture: the test's database starts as a copy of the template."""
    target = data_dir / "kiosk.db"
    shutil.copyfile(school_template[0], target)
    engine, _ = open_database(sqlite_url(target), migrate=False)
    yield engine
    engine.dispose()


@pytest.fixture
def school(sessions: object, school_template: tuple[Path, DemoSchool]) -> DemoSchool:
    """Same shape as the root ``school`` fixture (30 pupils, 20 slots, 2 reserved)."""
    return copy.deepcopy(school_template[1])
