"""Every core test runs twice: on a SQLite file and on PostgreSQL.

A PostgreSQL test gets a database of its own, dropped afterwards. A test that uses the
``engine`` fixture (directly or through ``sessions``/``school``) gets a copy of a template
(migrated, and holding the small school when the test uses ``school``), which is much
faster than migrating and building each time; a test that asks only for ``database_url``
gets an empty database, so migration tests really build the schema from nothing on
PostgreSQL too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from school_copies import postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{data_dir / 'kiosk.db'}"
        return
    yield from postgres_database(request, migrated=False)
