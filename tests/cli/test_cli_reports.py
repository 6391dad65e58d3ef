"""`kiosk export / purge / backup / restore` as an admin would run them, on a copy of the
test history, through ``kiosk.__main__.main`` (cli/commands.py: the same code as the
`kiosk` command, without an interpreter start each time; test_cli.py starts the command
as a process), the PIN in KIOSK_PIN as a script gives it."""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from cli_pins import demo_pin
from fixtures.reports import *  # noqa: F403 (the reports tests' fixtures)
from school_copies import copy_school

from cli.commands import Ran
from cli.commands import kiosk as run_kiosk

ADMIN = ("--as", "Alex Admin")
SENIOR = ("--as", "Sam Senior (DSL)")
OFFICE = ("--as", "Olivia Office")
PERIOD = ("--from", "2026-03-23", "--to", "2026-03-31")


@pytest.fixture
def kiosk() -> Callable[..., Ran]:
    def run(data_dir: Path, *args: str, pin: str | None = None) -> Ran:
        return run_kiosk(data_dir, *args, pin=pin if pin is not None else demo_pin(args))

    return run


@pytest.fixture
def school_dir(tmp_path: Path, history_template) -> Path:
    data_dir = tmp_path / "school"
    data_dir.mkdir()
    copy_school(history_template.path, data_dir / "kiosk.db")
    return data_dir


def test_export_xlsx_to_the_file_asked_for(school_dir, kiosk, tmp_path):
    out = tmp_path / "log.xlsx"
    result = kiosk(school_dir, "export", *PERIOD, "--format", "xlsx", "--out", str(out), *SENIOR)
    assert result.returncode == 0, result.stderr
    assert f"Wrote {out}" in result.stdout
    sheet = openpyxl.load_workbook(out, read_only=True)["Custody log"]
    assert sum(1 for _ in sheet.iter_rows(min_row=2)) > 20


def test_export_defaults_to_the_exports_folder_and_filters(school_dir, kiosk):
    result = kiosk(
        school_dir,
        "export",
        *PERIOD,
        "--format",
        "csv",
        "--kind",
        "audit",
        "--year",
        "7",
        *ADMIN,
    )
    assert result.returncode == 0, result.stderr
    [written] = (school_dir / "exports").glob("audit-log_2026-03-23_to_2026-03-31_*.csv")
    with written.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    assert rows and {row[8] for row in rows} == {"7"}


def test_export_pdf_summary(school_dir, kiosk, tmp_path):
    out = tmp_path / "governors.pdf"
    result = kiosk(school_dir, "export", *PERIOD, "--format", "pdf", "--out", str(out), *ADMIN)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((*PERIOD, "--format", "csv", *OFFICE), "role does not allow"),
        (("--from", "2026-03-31", "--to", "2026-03-01", "--format", "csv", *ADMIN), "before"),
        ((*PERIOD, "--format", "csv", "--out", "/nonexistent/x.csv", *ADMIN), "does not exist"),
        ((*PERIOD, "--format", "csv", "--as", "Nobody Here"), "no active staff member"),
    ],
)
def test_export_refusals_are_plain_words(school_dir, kiosk, args, words):
    result = kiosk(school_dir, "export", *args)
    assert result.returncode == 2
    assert words in result.stderr and "Traceback" not in result.stderr
    assert not (school_dir / "exports").exists() or not any((school_dir / "exports").iterdir())


def test_a_wrong_pin_is_refused_in_words(school_dir, kiosk):
    result = kiosk(school_dir, "export", *PERIOD, "--format", "csv", *ADMIN, pin="9999")
    assert result.returncode == 2
    assert "Wrong PIN" in result.stderr and "Traceback" not in result.stderr


def test_a_bad_date_is_explained(school_dir, kiosk):
    result = kiosk(
        school_dir,
        "export",
        "--from",
        "31/13/2026",
        "--to",
        "2026-03-31",
        "--format",
        "csv",
        *ADMIN,
    )
    assert result.returncode == 2 and "not a date like 2026-09-01" in result.stderr


def test_purge_dry_run_then_purge(school_dir, kiosk):
    dry = kiosk(school_dir, "purge", "--dry-run", *ADMIN)
    assert dry.returncode == 0, dry.stderr
    assert "Would purge 1 pupil" in dry.stdout
    refused = kiosk(school_dir, "purge", *ADMIN)  # not a terminal and no --yes
    assert refused.returncode == 2 and "--yes" in refused.stderr
    done = kiosk(school_dir, "purge", "--yes", *ADMIN)
    assert done.returncode == 0, done.stderr
    assert "Purged 1 pupil" in done.stdout
    check = kiosk(school_dir, "verify-log")
    assert check.returncode == 0 and "intact" in check.stdout


def test_purge_needs_an_admin(school_dir, kiosk):
    result = kiosk(school_dir, "purge", "--dry-run", *SENIOR)
    assert result.returncode == 2 and "role does not allow" in result.stderr


RESTORE_AS = ("--as", "Alex Admin")  # the PIN: KIOSK_PIN (cli_pins) or the prompt


def test_backup_list_and_restore(school_dir, kiosk):
    made = kiosk(school_dir, "backup")
    assert made.returncode == 0, made.stderr
    [path] = (school_dir / "backups").glob("kiosk-*-manual.db")
    listed = kiosk(school_dir, "backup", "--list")
    assert str(path) in listed.stdout
    unconfirmed = kiosk(school_dir, "restore", str(path), *RESTORE_AS)
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    wrong = kiosk(school_dir, "restore", str(path), "--yes", *RESTORE_AS, pin="9999")
    assert wrong.returncode == 2 and "Not restored: Wrong PIN" in wrong.stderr
    restored = kiosk(school_dir, "restore", str(path), "--yes", *RESTORE_AS)
    assert restored.returncode == 0, restored.stderr
    assert "audit chain intact" in restored.stdout and "pre-restore" in restored.stdout


def test_a_second_backup_keeps_the_first_and_help_says_the_rule(school_dir, kiosk):
    assert kiosk(school_dir, "backup").returncode == 0
    second = kiosk(school_dir, "backup")
    assert second.returncode == 0 and "kept until you delete it" in second.stdout
    assert len(list((school_dir / "backups").glob("kiosk-*-manual.db"))) == 2
    rule = " ".join(kiosk(school_dir, "backup", "--help").stdout.split())
    assert "never deleted by the kiosk" in rule
    assert "last 14 days that have one, of the last 8 weeks and of the last 12 months" in rule
    assert "fails part-way (a full disk) is removed" in rule


def test_restore_needs_an_admin_name(school_dir, kiosk):
    assert kiosk(school_dir, "backup").returncode == 0
    [path] = (school_dir / "backups").glob("kiosk-*-manual.db")
    result = kiosk(school_dir, "restore", str(path), "--yes")
    assert result.returncode == 2 and "--as" in result.stderr


def test_restore_refuses_a_tampered_backup(school_dir, kiosk, tmp_path):
    assert kiosk(school_dir, "backup").returncode == 0
    [path] = (school_dir / "backups").glob("kiosk-*-manual.db")
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER audit_events_no_update")
        conn.execute("UPDATE audit_events SET actor_name = 'someone else' WHERE seq = 12")
    result = kiosk(school_dir, "restore", str(path), "--yes", *RESTORE_AS)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "trigger 'audit_events_no_update' on audit_events is missing" in result.stderr


def test_backup_on_postgresql_points_to_pg_dump(tmp_path, kiosk):
    (tmp_path / "config.toml").write_text('database_url = "postgresql+psycopg://k@nowhere/k"\n')
    result = kiosk(tmp_path, "backup")
    assert result.returncode == 2
    assert "pg_dump" in result.stderr and "Traceback" not in result.stderr


def test_uk_dates_are_understood(school_dir, kiosk, tmp_path):
    out = tmp_path / "log.csv"
    result = kiosk(
        school_dir,
        "export",
        "--from",
        "23/03/2026",
        "--to",
        "31/03/2026",
        "--out",
        str(out),
        *ADMIN,
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--format", "xlsx", "--out", "x.csv"), "does not match the file name"),
        (("--format", "pdf", "--kind", "audit"), "--kind is for the CSV and XLSX logs"),
        (("--out", "x.txt"), "must end in .csv, .xlsx or .pdf"),
        ((), "say which format"),
    ],
)
def test_a_format_that_does_not_fit_the_file_is_refused(school_dir, kiosk, tmp_path, args, words):
    args = tuple(str(tmp_path / a) if a.startswith("x.") else a for a in args)
    result = kiosk(school_dir, "export", *PERIOD, *args, *ADMIN)
    assert result.returncode == 2 and words in result.stderr
    assert not any(tmp_path.glob("x.*"))


def test_the_format_follows_the_file_name(school_dir, kiosk, tmp_path):
    out = tmp_path / "log.xlsx"
    result = kiosk(school_dir, "export", *PERIOD, "--kind", "audit", "--out", str(out), *ADMIN)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"PK\x03\x04")
