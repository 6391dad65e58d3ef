"""Shared fixtures: a real SQLite file per test, a copy of a template that the real Alembic
scripts migrated once per session (see school_copies.py)."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from fixtures.reports import History, build_history
from school_copies import Template, make_empty_template, make_template, small_school
from sqlalchemy import Engine

from kiosk.db import Database
from kiosk.demo import DemoSchool
from kiosk.services import settings, staff
from kiosk.ui.collector import collect_due

ARTIFACTS = Path(os.environ.get("KIOSK_TEST_ARTIFACTS", Path(__file__).parent.parent / "artifacts"))


@pytest.fixture(scope="session", autouse=True)
def quick_pin_hashes() -> Iterator[PasswordHasher]:
    """PINs are hashed at argon2id's cheapest cost in the tests' own process (the kiosk's
    cost, a fifth of a second of CPU a check, is the larger part of a suite that logs in a
    thousand times); a hash records its cost, so every check still runs the real argon2id.
    Gives the kiosk's own hasher, whose cost test_staff.py checks. Kiosks the tests start
    as processes of their own hash at the kiosk's cost."""
    kiosks = staff._hasher
    staff._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    yield kiosks
    staff._hasher = kiosks


@pytest.fixture(scope="session", autouse=True)
def garbage_on_the_main_thread() -> Iterator[None]:
    """As the kiosk does (kiosk.ui.collector): no cyclic collection on a worker thread,
    where it could destroy a widget left from an earlier test and abort the process."""
    gc.disable()
    yield
    gc.enable()


@pytest.fixture(autouse=True)
def collect_after_each_test() -> Iterator[None]:
    yield
    collect_due()


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
def engine(request: pytest.FixtureRequest, database_url: str) -> Iterator[Engine]:
    """The test's database, at the newest schema: a copy of the small school when the test
    uses ``school``, otherwise of the empty migrated template."""
    wanted = "school_template" if "school" in request.fixturenames else "empty_template"
    template: Template[object] = request.getfixturevalue(wanted)
    yield from template.engine_for(database_url)


@pytest.fixture
def sessions(engine: Engine) -> Database:
    made = Database(engine)
    settings.ensure_install(made)
    return made


@pytest.fixture
def school(
    sessions: Database, database_url: str, school_template: Template[DemoSchool]
) -> DemoSchool:
    """A small school: admin/office/senior staff (PINs in kiosk.demo.DEMO_STAFF), 20 slots
    (18 ordinary, 2 reserved for confiscations), 30 pupils each with a card. The test's
    database is a copy of it (see ``engine``)."""
    return school_template.built_for(database_url)


@pytest.fixture(scope="session")
def school_template(tmp_path_factory: pytest.TempPathFactory) -> Template[DemoSchool]:
    """The small school built once into a SQLite file that tests copy."""
    return make_template(tmp_path_factory, "school", small_school)


@pytest.fixture(scope="session")
def history_template(tmp_path_factory: pytest.TempPathFactory) -> Template[History]:
    """The reports tests' school with days of history (``fixtures.reports``), built once:
    defined there, star-imported into each module that uses it, it was built once a module."""
    return make_template(tmp_path_factory, "reports-school", build_history)


@pytest.fixture(scope="session")
def empty_template(tmp_path_factory: pytest.TempPathFactory) -> Template[None]:
    """The schema the migrations make, built once; tests copy it instead of migrating."""
    return make_empty_template(tmp_path_factory)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where tests put screenshots and rendered PDFs to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
