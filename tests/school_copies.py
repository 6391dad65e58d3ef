"""Databases built once per test session and copied for each test.

Building a school (staff PIN hashes, slots, cards, history, each step in its own durable
transaction) takes seconds; copying the SQLite file with the online backup API takes
milliseconds, and each test still gets its own real file. On PostgreSQL (a test
parametrised with ``database_url = "postgresql"``) the school is built afresh in a
database of the test's own.
"""

from __future__ import annotations

import copy
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import pytest
from sqlalchemy import Engine

from kiosk.config import sqlite_url
from kiosk.db import Sessions, make_engine, open_database
from kiosk.demo import DemoSchool, build_school
from kiosk.keystore import KEYS_FOLDER
from kiosk.services import settings

T = TypeVar("T")


def copy_school(source: Path, target: Path) -> None:
    """A copy of the SQLite file ``source`` at ``target``, with the key store beside it
    (card key, PIN pepper: not in the database, so a copy without them opens nothing)."""
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copied:
        origin.backup(copied)
    keys = source.parent / KEYS_FOLDER
    if keys.is_dir() and keys != target.parent / KEYS_FOLDER:
        shutil.copytree(keys, target.parent / KEYS_FOLDER, dirs_exist_ok=True)


@dataclass(frozen=True)
class Template(Generic[T]):
    """A migrated SQLite file and what building it returned (ids, actors, cards)."""

    path: Path
    built: T

    def engine_for(self, database_url: str) -> Iterator[Engine]:
        """An engine on this template's copy (SQLite) or on the test's own PostgreSQL
        database (already migrated by the server fixture)."""
        if database_url.startswith("sqlite"):
            copy_school(self.path, Path(database_url.split("///", 1)[1]))
            engine = make_engine(database_url)  # the template is at the newest schema
        else:
            engine, _ = open_database(database_url)
        yield engine
        engine.dispose()

    def built_for(self, database_url: str, sessions: Sessions, build: Callable[[Sessions], T]) -> T:
        """What the test's database holds: a copy of ``built``, or built anew on PostgreSQL."""
        return copy.deepcopy(self.built) if database_url.startswith("sqlite") else build(sessions)


def make_template(
    factory: pytest.TempPathFactory, name: str, build: Callable[[Sessions], T]
) -> Template[T]:
    path = factory.mktemp(name) / "kiosk.db"
    engine, sessions = open_database(sqlite_url(path))
    settings.ensure_install(sessions)
    built = build(sessions)
    engine.dispose()  # checkpoints the WAL into the file that is copied
    return Template(path, built)


def sqlite_or_postgres(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[str]:
    """The ``database_url`` fixture's body for folders whose tests may ask for PostgreSQL."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield sqlite_url(data_dir / "kiosk.db")
        return
    from pgserver import server_for_tests

    with server_for_tests().fresh_database(migrated=True) as url:
        yield url


def small_school(sessions: Sessions) -> DemoSchool:
    """The root ``school`` fixture's school: 30 pupils, 20 slots (2 reserved), staff."""
    return build_school(sessions, pupils=30, slot_count=20, reserved=2)


# Fixtures for a conftest that wants every test's database to start as a copy of the
# small school: ``from school_copies import engine_on_a_copy, school_on_a_copy``.


@pytest.fixture(name="engine")
def engine_on_a_copy(database_url: str, school_template: Template[DemoSchool]) -> Iterator[Engine]:
    yield from school_template.engine_for(database_url)


@pytest.fixture(name="school")
def school_on_a_copy(
    sessions: Sessions, database_url: str, school_template: Template[DemoSchool]
) -> DemoSchool:
    return school_template.built_for(database_url, sessions, small_school)
