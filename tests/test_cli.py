"""The `kiosk` command as a person would run it, in a separate process."""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


def kiosk(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KIOSK_DATA_DIR": str(data_dir), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("KIOSK_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args], env=env, text=True, capture_output=True, timeout=300
    )


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("demo")
    result = kiosk(data_dir, "demo", "--no-run", "--pupils", "60", "--slots", "40", "--days", "2")
    assert result.returncode == 0, result.stderr
    assert "PIN 2580" in result.stdout  # the demo PINs are shown once
    return data_dir


def test_help_lists_the_commands(tmp_path):
    result = kiosk(tmp_path, "--help")
    assert result.returncode == 0
    for name in ("run", "demo", "verify-log", "db"):
        assert name in result.stdout


def test_demo_writes_only_inside_its_data_directory(demo_dir):
    assert (demo_dir / "kiosk.db").is_file()


def test_demo_again_keeps_the_existing_school(demo_dir):
    result = kiosk(demo_dir, "demo", "--no-run")
    assert result.returncode == 0 and "already holds a school" in result.stdout


def test_verify_log_says_the_demo_chain_is_intact(demo_dir):
    result = kiosk(demo_dir, "verify-log")
    assert result.returncode == 0, result.stderr
    assert "intact" in result.stdout


def test_verify_log_catches_a_tampered_copy_and_names_the_row(demo_dir, tmp_path):
    copy = tmp_path / "copy.db"
    with sqlite3.connect(demo_dir / "kiosk.db") as source, sqlite3.connect(copy) as target:
        source.backup(target)
    with sqlite3.connect(copy) as conn:
        conn.execute("DROP TRIGGER audit_events_no_update")
        conn.execute("UPDATE audit_events SET slot_number = 77 WHERE seq = 40")
    result = kiosk(tmp_path, "verify-log", "--db", str(copy))
    assert result.returncode == 1
    assert "BROKEN at event #40" in result.stdout


def test_db_upgrade_reports_up_to_date(demo_dir):
    result = kiosk(demo_dir, "db", "upgrade")
    assert result.returncode == 0 and "up to date" in result.stdout


def test_a_missing_file_is_a_clear_message_not_a_traceback(tmp_path):
    result = kiosk(tmp_path, "verify-log", "--db", str(tmp_path / "nope.db"))
    assert result.returncode == 2
    assert "no such file" in result.stderr and "Traceback" not in result.stderr


def test_an_unreachable_database_is_a_clear_message(tmp_path):
    env_dir = tmp_path / "d"
    env_dir.mkdir()
    blocker = env_dir / "kiosk.db"
    blocker.mkdir()  # a directory where the database file should be
    result = kiosk(env_dir, "verify-log")
    assert result.returncode == 2
    assert "cannot open the database" in result.stderr and "Traceback" not in result.stderr
    shutil.rmtree(blocker)
