"""The second process of verify-log (``kiosk.record.chain_half``), started as
``python -I -m``: light, in words when it fails, and deaf to files where it is run."""

from __future__ import annotations

import json

import pytest
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)
from fixtures.helper_python import helper_python, modules_imported_by  # noqa: F401

from kiosk.errors import HelperFailed
from kiosk.record import chain_half
from kiosk.services import audit, helper_process

HIJACK = 'raise SystemExit("imported from the current folder")\n'


@pytest.fixture
def helper(monkeypatch, helper_python):  # noqa: F811 (the fixture above)
    monkeypatch.setattr(helper_process, "PYTHON", helper_python)
    return helper_python


@pytest.fixture
def chain(sessions, engine):
    """A SQLite file with 30 events."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the helper reads SQLite files")
    with sessions.begin() as s:
        for n in range(30):
            audit.append(s, "kiosk_started", audit.KIOSK_ACTOR, details={"n": n})
    assert sessions.file is not None
    return str(sessions.file.resolve())


def test_it_imports_no_sqlalchemy_and_nothing_outside_its_list(helper):
    modules = modules_imported_by(helper, "kiosk.record.chain_half")
    assert not [m for m in modules if m.startswith(("sqlalchemy", "cryptography", "alembic"))]
    kiosk_modules = {m for m in modules if m.startswith("kiosk")}
    assert kiosk_modules == {
        "kiosk",
        "kiosk.helper_side",
        "kiosk.record",
        "kiosk.record.chain_half",
        "kiosk.record.chain_scan",
    }


def test_it_checks_its_range_and_hands_back_the_seam(helper, chain):
    answer = helper_process.Helper(
        "kiosk.record.chain_half", {"database": chain, "first": 11, "last": 30}
    ).answer()
    assert answer is not None
    assert (answer["done"], answer["expected"], answer["moved"]) == (20, 31, False)
    assert answer == chain_half.check_range(chain, 11, 30)  # in-process: the same


def test_a_purge_after_the_parents_newest_event_says_the_range_moved(chain, sessions):
    with sessions.begin() as s:
        audit.append(s, audit.PURGE_KIND, audit.KIOSK_ACTOR, details={audit.PURGE_RANGES_KEY: []})
    assert chain_half.check_range(chain, 11, 30)["moved"] is True
    assert chain_half.check_range(chain, 11, 31)["moved"] is False


def test_a_failure_reaches_the_caller_in_words(helper, tmp_path):
    missing = {"database": str(tmp_path / "nothing.db"), "first": 1, "last": 9}
    with pytest.raises(HelperFailed, match="unable to open database file"):
        helper_process.Helper("kiosk.record.chain_half", missing).answer()
    with pytest.raises(HelperFailed, match="No module named"):
        helper_process.Helper("kiosk.record.no_such_module", missing).answer()
    with pytest.raises(HelperFailed, match="KeyError"):
        helper_process.Helper("kiosk.record.chain_half", {"first": 1}).answer()


def test_files_named_like_modules_where_it_runs_are_not_imported(
    helper, chain, tmp_path, monkeypatch
):
    folder = tmp_path / "where the command runs"
    (folder / "kiosk" / "record").mkdir(parents=True)
    for name in (
        "sqlite3.py",
        "json.py",
        "hashlib.py",
        "kiosk/__init__.py",
        "kiosk/record/__init__.py",
    ):
        (folder / name).write_text(HIJACK)
    monkeypatch.chdir(folder)
    monkeypatch.setenv("PYTHONPATH", str(folder))
    answer = helper_process.Helper(
        "kiosk.record.chain_half", {"database": chain, "first": 1, "last": 30}
    ).answer()
    assert answer is not None and answer["done"] == 30
    assert json.loads(json.dumps(answer)) == answer  # plain data


@pytest.mark.parametrize(("switch", "split"), [("on", True), ("off", False), ("OFF ", False)])
def test_the_switch_decides_over_the_load(monkeypatch, switch, split):
    monkeypatch.setenv(helper_process.SWITCH, switch)
    monkeypatch.setattr(helper_process.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert helper_process.worth_it() is split


@pytest.mark.parametrize(
    ("load", "split"), [(0.4, True), (1.0, True), (1.5, True), (1.6, False), (2.5, False)]
)
def test_without_the_switch_a_second_process_needs_half_a_core_spare(monkeypatch, load, split):
    monkeypatch.delenv(helper_process.SWITCH, raising=False)
    monkeypatch.setattr(helper_process.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(helper_process.os, "getloadavg", lambda: (load, 0.0, 0.0))
    assert helper_process.worth_it() is split


def test_without_a_load_average_two_cores_are_enough(monkeypatch):
    monkeypatch.delenv(helper_process.SWITCH, raising=False)
    monkeypatch.delattr(helper_process.os, "getloadavg")
    monkeypatch.setattr(helper_process.os, "cpu_count", lambda: 2)
    assert helper_process.worth_it() is True
    monkeypatch.setattr(helper_process.os, "cpu_count", lambda: 1)
    assert helper_process.worth_it() is False
