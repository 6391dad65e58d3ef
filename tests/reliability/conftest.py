"""Fixtures for the reliability tests: a database URL on each backend, for tests that
start their own processes (which open their own engines on it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pgserver import server_for_tests


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend_url(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[str]:
    """An empty database (no schema yet) on SQLite, then on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{data_dir / 'shared.db'}"
        return
    with server_for_tests().fresh_database(migrated=False) as url:
        yield url
