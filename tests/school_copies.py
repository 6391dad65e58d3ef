"""Databases built once per test session and copied for each test.

Running the Alembic migrations takes a good fraction of a second and building a school
(staff PIN hashes, slots, cards, history, each step in its own durable transaction) takes
seconds; copying a SQLite file with the online backup API takes milliseconds, and each test
still gets its own real file. On PostgreSQL (a test parametrised with ``database_url =
"postgresql"``) the template is built once into a database of the test server, and each
test's database is made from it with ``CREATE DATABASE ... TEMPLATE``.
"""

from __future__ import annotations

import copy
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from kiosk.config import default_data_dir, sqlite_url
from kiosk.db import Database, make_engine, open_database
from kiosk.demo import DemoSchool, build_school
from kiosk.keystore import KEYS_FOLDER, KeyStore
from kiosk.services import settings

if TYPE_CHECKING:
    from pgserver import PostgresServer

T = TypeVar("T")


def copy_keys(source_folder: Path, target_folder: Path) -> None:
    """The key store in ``source_folder`` copied into ``target_folder`` (the card key and
    PIN pepper are not in the database: a copy without them opens nothing)."""
    keys = source_folder / KEYS_FOLDER
    if keys.is_dir() and keys.resolve() != (target_folder / KEYS_FOLDER).resolve():
        shutil.copytree(keys, target_folder / KEYS_FOLDER, dirs_exist_ok=True)


def copy_school(source: Path, target: Path) -> None:
    """A copy of the SQLite file ``source`` at ``target``, with the key store beside it."""
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(target)) as copied:
        origin.backup(copied)
    copy_keys(source.parent, target.parent)


@dataclass(frozen=True)
class Template(Generic[T]):
    """A migrated SQLite file and what building it returned (ids, actors, cards).

    ``build`` is None for the empty template: the schema and nothing else (not even the
    install settings, which the ``sessions`` fixture creates as the kiosk does on start).
    """

    name: str
    path: Path
    built: T
    build: Callable[[Database], T] | None
    # The same template on the PostgreSQL test server, made on first use:
    # database name -> what building it returned.
    _on_postgres: dict[str, T] = field(default_factory=dict, compare=False, repr=False)

    def engine_for(self, database_url: str) -> Iterator[Engine]:
        """An engine on the test's database, which is made a copy of this template."""
        self.copy_to(database_url)
        engine = make_engine(database_url)  # the template is at the newest schema
        yield engine
        engine.dispose()

    def copy_to(self, database_url: str) -> None:
        """Make the database at ``database_url`` a copy of this template (replacing it)."""
        if database_url.startswith("sqlite"):
            target = Path(database_url.split("///", 1)[1])
            target.parent.mkdir(parents=True, exist_ok=True)
            source, copied = sqlite3.connect(self.path), sqlite3.connect(target)
            with closing(source), closing(copied):
                source.backup(copied)
            copy_keys(self.path.parent, target.parent)
        else:
            server = _server()
            name = make_url(database_url).database
            assert name, database_url
            server.drop_database(name)
            template = self._postgres_database(server)
            server.copy_database(template, name)
            # The kiosk finds a PostgreSQL database's keys in its data folder.
            copy_keys(self._postgres_keys(template), default_data_dir())

    def built_for(self, database_url: str) -> T:
        """What the test's database holds: a copy of what building the template returned."""
        if database_url.startswith("sqlite"):
            return copy.deepcopy(self.built)
        return copy.deepcopy(self._on_postgres[self._postgres_database(_server())])

    def _postgres_database(self, server: PostgresServer) -> str:
        migrated = server.migrated_template()
        if self.build is None:
            return migrated
        # The template's own folder names it: fixtures star-imported into several modules
        # make several templates of one name, and none may rebuild another's database.
        name = f"{migrated}_{self.path.parent.name}"
        if name not in self._on_postgres:
            server.drop_database(name)
            server.create_database(name, template=migrated)
            engine = make_engine(server.url(name))
            store = KeyStore(self._postgres_keys(name))
            self._on_postgres[name] = _build_in(Database(engine), self.build, store)
            engine.dispose()  # a template must have no open connections when copied
        return name

    def _postgres_keys(self, database: str) -> Path:
        """Where the key store of this template's PostgreSQL copy is kept."""
        return self.path.parent / f"keys-for-{database}"


def _server() -> PostgresServer:
    from pgserver import server_for_tests

    return server_for_tests()


def _build_in(sessions: Database, build: Callable[[Database], T], store: KeyStore) -> T:
    settings.ensure_install(sessions, store)
    return build(sessions)


def make_template(
    factory: pytest.TempPathFactory, name: str, build: Callable[[Database], T]
) -> Template[T]:
    """A template holding what ``build`` makes in a freshly installed database."""
    path = factory.mktemp(name) / "kiosk.db"
    sessions = open_database(sqlite_url(path))
    engine = sessions.engine
    built = _build_in(sessions, build, KeyStore(path.parent))
    engine.dispose()  # checkpoints the WAL into the file that is copied
    return Template(name, path, built, build)


def make_empty_template(factory: pytest.TempPathFactory) -> Template[None]:
    """A template with the newest schema and no rows: what the migrations make."""
    path = factory.mktemp("migrated") / "kiosk.db"
    engine = open_database(sqlite_url(path)).engine
    engine.dispose()
    return Template("migrated", path, None, None)


def postgres_database(request: pytest.FixtureRequest, *, migrated: bool) -> Iterator[str]:
    """A database of the test's own on the PostgreSQL test server, dropped afterwards. When
    the test uses ``engine``, the engine's template makes it (one CREATE DATABASE, not
    two); otherwise it is made here, empty or ``migrated``."""
    server = _server()
    if "engine" in request.fixturenames:
        with server.reserved_database() as url:
            yield url
    else:
        with server.fresh_database(migrated=migrated) as url:
            yield url


def sqlite_or_postgres(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[str]:
    """The ``database_url`` fixture's body for folders whose tests may ask for PostgreSQL."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield sqlite_url(data_dir / "kiosk.db")
        return
    yield from postgres_database(request, migrated=True)


def small_school(sessions: Database) -> DemoSchool:
    """The root ``school`` fixture's school: 30 pupils, 20 slots (2 reserved), staff."""
    return build_school(sessions, pupils=30, slot_count=20, reserved=2)


# Fixtures for a conftest that wants every test's database to start as a copy of the
# small school, even when the test does not ask for ``school`` itself:
# ``from school_copies import engine_on_a_copy, school_on_a_copy``.


@pytest.fixture(name="engine")
def engine_on_a_copy(database_url: str, school_template: Template[DemoSchool]) -> Iterator[Engine]:
    yield from school_template.engine_for(database_url)


@pytest.fixture(name="school")
def school_on_a_copy(
    sessions: Database, database_url: str, school_template: Template[DemoSchool]
) -> DemoSchool:
    return school_template.built_for(database_url)
