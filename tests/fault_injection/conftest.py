"""Fixtures for the fault-injection tests: short deadlines (so a fault costs seconds of
test time, not minutes), a school on SQLite or on a PostgreSQL server of their own
(it is stopped, killed and paused, so never the shared one), and the helpers' limits."""

from __future__ import annotations

import copy
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pgserver import REQUIRE_ENV, PostgresServer, PostgresUnavailable, required
from sqlalchemy.engine import make_url

from kiosk.db import Database, open_database
from kiosk.db_limits import Limits
from kiosk.demo import DemoSchool, build_school
from kiosk.keystore import KeyStore
from kiosk.services import school_keys
from kiosk.services.school_keys import SchoolKeys

# Short waits for tests; the kiosk's own defaults are in kiosk.db_limits.Limits.
TEST_LIMITS = Limits(
    connect_s=2,
    statement_s=5.0,
    lock_s=2.0,
    idle_in_transaction_s=10.0,
    keepalive_idle_s=1,
    keepalive_interval_s=1,
    keepalive_count=2,
    tcp_user_timeout_ms=3000,
    sqlite_busy_ms=1000,
    job_s=1.0,
)
PUPILS = 60


_BUILT: dict[str, DemoSchool] = {}  # database name -> the school already in it
_KEYS: dict[str, SchoolKeys] = {}  # database name -> the keys it was built with
_SQLITE_TEMPLATE: list[tuple[Path, DemoSchool]] = []


def make_school(url: str, limits: Limits = TEST_LIMITS) -> tuple[Database, DemoSchool]:
    """The test school at ``url``, opened with ``limits``. Built once and copied: an
    SQLite file from a template made on first use, a PostgreSQL database made from the
    session's template by ``pg_url`` (building one takes seconds; copying, milliseconds)."""
    name = make_url(url).database or ""
    if url.startswith("sqlite"):
        template, school = _sqlite_template()
        with sqlite3.connect(template) as source, sqlite3.connect(name) as target:
            source.backup(target)
        _copy_keys(template.parent, Path(name).parent)
        return open_database(url, migrate=False, limits=limits), copy.deepcopy(school)
    if name in _BUILT:
        database = open_database(url, migrate=False, limits=limits)
        # A PostgreSQL database's keys are looked for in the data folder, which is each
        # test's own: give the copy the keys it was built with.
        school_keys.attach(database.engine, _KEYS[name])
        return database, copy.deepcopy(_BUILT[name])
    return _build(url, limits)


def _copy_keys(source: Path, target: Path) -> None:
    """The school's keys live beside its SQLite file (``kiosk.keystore``), never in it: a
    copy of the file needs them too."""
    keys, copied = KeyStore(source), KeyStore(target)
    for name in keys.names():
        data = keys.read(name)
        assert data is not None
        copied.write(name, data)


def _build(url: str, limits: Limits) -> tuple[Database, DemoSchool]:
    database = open_database(url, limits=limits)
    school = build_school(database, pupils=PUPILS, slot_count=PUPILS + 6, reserved=2)
    keys = school_keys.attached(database.engine)
    assert keys is not None  # provisioned by the install
    _KEYS[make_url(url).database or ""] = keys
    return database, school


def _sqlite_template() -> tuple[Path, DemoSchool]:
    if not _SQLITE_TEMPLATE:
        path = Path(tempfile.mkdtemp(prefix="kiosk-fault-school-")) / "kiosk.db"
        database, school = _build(f"sqlite:///{path}", TEST_LIMITS)
        database.dispose()
        _SQLITE_TEMPLATE.append((path, school))
    return _SQLITE_TEMPLATE[0]


@pytest.fixture(scope="session")
def own_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the fault tests alone (never the shared one): they stop and
    pause it. Durable
    (fsync and synchronous commit on): an immediate stop or a kill must lose nothing the
    server acknowledged, as on a real school's server."""
    try:
        server = PostgresServer(durable=True).start()
    except PostgresUnavailable as exc:
        if required():
            pytest.fail(f"PostgreSQL is required ({REQUIRE_ENV}=1) but: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL not available: {exc}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_school_template(own_server: PostgresServer) -> tuple[str, DemoSchool]:
    """A database with the test school, built once, to copy for each test."""
    name = own_server.create_database(template=own_server.migrated_template())
    database, school = _build(own_server.url(name), TEST_LIMITS)
    database.dispose()  # a template must have no open connections when copied
    return name, school


@pytest.fixture
def pg_url(own_server: PostgresServer, pg_school_template: tuple[str, DemoSchool]) -> Iterator[str]:
    template, school = pg_school_template
    name = own_server.create_database(template=template)
    _BUILT[name], _KEYS[name] = school, _KEYS[template]
    yield own_server.url(name)
    own_server.drop_database(name)


@pytest.fixture
def sqlite_school(data_dir: Path) -> Iterator[tuple[Database, DemoSchool]]:
    database, school = make_school(f"sqlite:///{data_dir / 'kiosk.db'}")
    yield database, school
    database.dispose()
