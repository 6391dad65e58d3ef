"""Shared fixtures: a real SQLite file per test, migrated with the real Alembic scripts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from school_copies import Template, make_template, small_school
from sqlalchemy import Engine

from kiosk.db import Database, Sessions, open_database
from kiosk.demo import DemoSchool
from kiosk.services import settings

ARTIFACTS = Path(os.environ.get("KIOSK_TEST_ARTIFACTS", Path(__file__).parent.parent / "artifacts"))


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private data directory: nothing a test writes lands outside it."""
    directory = tmp_path / "data"
    directory.mkdir()
    monkeypatch.setenv("KIOSK_DATA_DIR", str(directory))
    monkeypatch.delenv("KIOSK_DATABASE_URL", raising=False)
    return directory


@pytest.fixture
def database_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'kiosk.db'}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = open_database(database_url).engine
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> Sessions:
    made = Database(engine)
    settings.ensure_install(made)
    return made


@pytest.fixture
def school(sessions: Sessions) -> DemoSchool:
    """A small school: admin/office/senior staff (PINs in kiosk.demo.DEMO_STAFF), 20 slots
    (18 ordinary, 2 reserved for confiscations), 30 pupils each with a card."""
    return small_school(sessions)


@pytest.fixture(scope="session")
def school_template(tmp_path_factory: pytest.TempPathFactory) -> Template[DemoSchool]:
    """The same small school built once into a SQLite file, for folders whose tests copy
    it (see school_copies.py)."""
    return make_template(tmp_path_factory, "school", small_school)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where tests put screenshots and rendered PDFs to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
