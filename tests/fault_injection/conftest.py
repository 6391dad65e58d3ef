"""Fixtures for the fault-injection tests: short deadlines (so a fault costs seconds of
test time, not minutes), a school on SQLite or on a PostgreSQL server of the module's own
(it is stopped, killed and paused, so never the shared one), and the helpers' limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pgserver import REQUIRE_ENV, PostgresServer, PostgresUnavailable, required

from kiosk.db import Database, open_database
from kiosk.db_limits import Limits
from kiosk.demo import DemoSchool, build_school

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


def make_school(url: str, limits: Limits = TEST_LIMITS) -> tuple[Database, DemoSchool]:
    database = open_database(url, limits=limits)
    school = build_school(database, pupils=PUPILS, slot_count=PUPILS + 6, reserved=2)
    return database, school


@pytest.fixture(scope="module")
def own_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for this module alone: its tests stop and pause it. Durable
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


@pytest.fixture
def pg_url(own_server: PostgresServer) -> Iterator[str]:
    with own_server.fresh_database(migrated=True) as url:
        yield url


@pytest.fixture
def sqlite_school(data_dir: Path) -> Iterator[tuple[Database, DemoSchool]]:
    database, school = make_school(f"sqlite:///{data_dir / 'kiosk.db'}")
    yield database, school
    database.dispose()
