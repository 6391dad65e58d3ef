"""Every core test runs twice: on a SQLite file and on PostgreSQL.

A PostgreSQL test gets a database of its own, dropped afterwards. A test that uses the
``engine`` fixture (directly or through ``sessions``/``school``) gets a copy of a template
that already has the migrations applied, which is much faster than migrating each time; a
test that asks only for ``database_url`` gets an empty database, so migration tests really
build the schema from nothing on PostgreSQL too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pgserver import server_for_tests


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{data_dir / 'kiosk.db'}"
        return
    server = server_for_tests()
    with server.fresh_database(migrated="engine" in request.fixturenames) as url:
        yield url
