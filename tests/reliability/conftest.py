"""Fixtures for the reliability tests: a database URL on each backend, for tests that
start their own processes (which open their own engines on it), and the school the
kiosk processes share, built once per session and copied into a test's database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from pgserver import server_for_tests
from school_copies import Template, make_template

from kiosk.demo import DemoSchool
from reliability.kiosks import shared_school

KIOSKS = 4  # kiosk processes in the concurrency tests; the school has pupils for each

CopySchool = Callable[[str], DemoSchool]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend_url(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[str]:
    """An empty database (no schema yet) on SQLite, then on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{data_dir / 'shared.db'}"
        return
    with server_for_tests().fresh_database(migrated=False) as url:
        yield url


@pytest.fixture(scope="session")
def shared_school_template(tmp_path_factory: pytest.TempPathFactory) -> Template[DemoSchool]:
    """reliability.kiosks.build_shared_school's school for four kiosks, built once."""
    return make_template(tmp_path_factory, "kiosks-school", partial(shared_school, kiosks=KIOSKS))


@pytest.fixture
def copy_shared_school(shared_school_template: Template[DemoSchool]) -> CopySchool:
    """Make the database at a URL a copy of the shared school; returns what it holds."""

    def copy_to(url: str) -> DemoSchool:
        shared_school_template.copy_to(url)
        return shared_school_template.built_for(url)

    return copy_to
