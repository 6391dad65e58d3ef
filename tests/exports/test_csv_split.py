"""A long CSV export written in two processes (``kiosk.exports.csv_half`` writes the later
part): the bytes of one process, whatever the rows hold and whichever filter; a change
committed between the two snapshots, a second process that cannot start or fails, and a
cancel all leave the file as one process writes it (or no file); the second process
imports no SQLAlchemy and nothing from where it is run."""
# ruff: noqa: F811 (the fixtures imported from test_csv and helper_python are parameters)

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from fixtures.helper_python import (  # noqa: F401 (fixtures)
    helper_python,
    modules_imported_by,
    split,
)
from fixtures.reports import *  # noqa: F403 (the reports tests' fixtures)
from sqlalchemy import update

import kiosk.exports.csv as csv_export
from exports.test_csv import (
    FILTERS,
    YEAR,
    add_dangling_custodies,
    add_odd_events,
    awkward,  # noqa: F401 (a fixture)
    export_bytes,
)
from kiosk.exports import csv_half
from kiosk.exports.run import ExportCancelled, ExportRequest, run_export
from kiosk.services import audit
from kiosk.tables import Pupil

REPORTS = ["custody", "audit"]


def one_and_two(sessions, actor, tmp_path, monkeypatch, report, which) -> tuple[bytes, bytes]:
    tmp_path.mkdir(exist_ok=True)
    monkeypatch.setattr(csv_export, "SPLIT_FROM", 2**62)
    one = export_bytes(sessions, actor, tmp_path / "one", report, which)
    monkeypatch.setattr(csv_export, "SPLIT_FROM", 1)
    two = export_bytes(sessions, actor, tmp_path / "two", report, which)
    return one, two


@pytest.mark.parametrize("report", REPORTS)
def test_two_processes_write_the_bytes_of_one_for_every_filter(
    awkward, sessions, database_url, tmp_path, monkeypatch, split, report
):
    """Awkward text in every field, clock changes, dangling look-ups, odd events: the
    second process wrote its part (the later seqs or times) and the file is one process's."""
    add_dangling_custodies(database_url)
    add_odd_events(database_url)
    for n, which in enumerate(FILTERS):
        split.clear()
        one, two = one_and_two(sessions, awkward, tmp_path / str(n), monkeypatch, report, which)
        assert two == one, which
        rows = one.count(b"\r\n") - 1  # lines (a quoted line break is "\r\n" too: at most)
        if which.year_group is None and not which.reg_group:  # lean: split
            (answer,) = split
            assert answer is not None and not answer["moved"], which
            if which.custody_kind is None:  # (a kind's later events may all be daily)
                assert 0 < answer["rows"] < rows, which
        else:
            assert split == [], which  # joined by pupil: one process


@pytest.mark.parametrize("report", REPORTS)
def test_a_change_committed_before_the_second_process_reads_is_not_in_the_file(
    awkward, sessions, tmp_path, monkeypatch, split, report
):
    """A pupil renamed (with its audit event) after this process took its snapshot: the
    second process sees a newer record, says so, and this process writes that part."""
    monkeypatch.setattr(csv_export, "SPLIT_FROM", 2**62)
    before = export_bytes(sessions, awkward, tmp_path / "before", report, YEAR)
    job = csv_export._job  # made just before the second process starts

    def renamed_first(*args: Any) -> Any:
        with sessions.begin() as s:
            s.execute(update(Pupil).values(surname="Renamed"))
            audit.append(s, "pupil_updated", audit.KIOSK_ACTOR, details={})
        return job(*args)

    monkeypatch.setattr(csv_export, "_job", renamed_first)
    monkeypatch.setattr(csv_export, "SPLIT_FROM", 1)
    during = export_bytes(sessions, awkward, tmp_path / "during", report, YEAR)
    assert during == before and b"Renamed" not in during
    (answer,) = split
    assert answer is not None and answer["moved"] is True
    monkeypatch.setattr(csv_export, "_job", job)
    after = export_bytes(sessions, awkward, tmp_path / "after", report, YEAR)
    assert b"Renamed" in after


@pytest.mark.parametrize("report", REPORTS)
def test_a_second_process_that_cannot_start_leaves_its_part_to_this_one(
    awkward, sessions, tmp_path, monkeypatch, split, caplog, report
):
    monkeypatch.setattr(csv_export, "HALF_MODULE", "kiosk.exports.no_such_half")
    one, two = one_and_two(sessions, awkward, tmp_path, monkeypatch, report, YEAR)
    assert two == one and split == []
    assert "in this process" in caplog.text and "No module named" in caplog.text


@pytest.mark.parametrize("report", REPORTS)
def test_a_cancelled_split_export_leaves_no_file_and_no_part(
    awkward, sessions, tmp_path, monkeypatch, split, report
):
    monkeypatch.setattr(csv_export, "SPLIT_FROM", 1)
    monkeypatch.setattr(csv_export, "CHUNK", 5)
    out = tmp_path / "out" / f"{report}.csv"
    out.parent.mkdir()
    with pytest.raises(ExportCancelled):
        run_export(
            sessions, awkward, ExportRequest(report, "csv", YEAR), out, cancelled=lambda: True
        )
    assert list(out.parent.iterdir()) == []


def test_the_second_process_imports_no_sqlalchemy(helper_python):
    modules = modules_imported_by(helper_python, "kiosk.exports.csv_half")
    assert not [m for m in modules if m.startswith(("sqlalchemy", "cryptography", "alembic"))]


def test_its_failure_is_an_answer_in_words(helper_python, tmp_path):
    job = {"database": str(tmp_path / "none.db"), "log": "audit", "sql": {}, "newest": 0}
    done = subprocess.run(
        [helper_python, "-I", "-m", "kiosk.exports.csv_half"],
        input=json.dumps({**job, "out": str(tmp_path / "part"), "mapped": 0}),
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    assert json.loads(done.stdout)["error"].startswith("OperationalError: unable to open")


HIJACK = 'raise SystemExit("imported from the folder it was run in")\n'


def test_nothing_where_it_is_run_is_imported(helper_python, tmp_path):
    """Files named like the modules it imports, in the folder it is started from and on
    PYTHONPATH: none is imported (``python -I``)."""
    for name in ("sqlite3.py", "json.py", "csv.py", "functools.py"):
        (tmp_path / name).write_text(HIJACK)
    (tmp_path / "kiosk").mkdir()
    (tmp_path / "kiosk" / "__init__.py").write_text(HIJACK)
    done = subprocess.run(
        [helper_python, "-I", "-m", "kiosk.exports.csv_half"],
        input=json.dumps({"database": str(tmp_path / "x.db"), "log": "audit"}),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    assert "error" in json.loads(done.stdout) and "imported from" not in done.stderr
    assert csv_half.FIELDS.keys() == {"audit", "custody"}
