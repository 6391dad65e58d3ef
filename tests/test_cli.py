"""The `kiosk` command as a person would run it, in a separate process."""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


def kiosk(
    data_dir: Path, *args: str, typed: str = "", pin: str | None = None, new_pin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the command; ``typed`` is what the person types at its prompts (PINs), ``pin``
    and ``new_pin`` go in KIOSK_PIN and KIOSK_NEW_PIN as a script would pass them."""
    env = {**os.environ, "KIOSK_DATA_DIR": str(data_dir), "QT_QPA_PLATFORM": "offscreen"}
    for name in ("KIOSK_DATABASE_URL", "KIOSK_PIN", "KIOSK_NEW_PIN"):
        env.pop(name, None)
    if pin is not None:
        env["KIOSK_PIN"] = pin
    if new_pin is not None:
        env["KIOSK_NEW_PIN"] = new_pin
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        env=env,
        input=typed,
        text=True,
        capture_output=True,
        timeout=300,
        start_new_session=True,  # no terminal: getpass reads the typed text from stdin
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


def copy_of_demo(demo_dir: Path, tmp_path: Path) -> Path:
    with (
        sqlite3.connect(demo_dir / "kiosk.db") as source,
        sqlite3.connect(tmp_path / "kiosk.db") as target,
    ):
        source.backup(target)
    return tmp_path


def test_an_admin_manages_staff_from_the_command_line(demo_dir, tmp_path):
    data = copy_of_demo(demo_dir, tmp_path)
    admin = ("--as", "Alex Admin")
    added = kiosk(
        data, "staff", "add", "--name", "Pat Parttime", *admin, typed="1470\n8642\n8642\n"
    )
    assert added.returncode == 0, added.stderr
    changed = kiosk(
        data, "staff", "role", "--name", "pat parttime", "--role", "senior", *admin, typed="1470\n"
    )
    assert changed.returncode == 0, changed.stderr
    reset = kiosk(
        data, "staff", "reset-pin", "--name", "Pat Parttime", *admin, typed="1470\n9753\n9753\n"
    )
    assert reset.returncode == 0, reset.stderr
    gone = kiosk(data, "staff", "deactivate", "--name", "Pat Parttime", *admin, typed="1470\n")
    assert gone.returncode == 0, gone.stderr
    listed = kiosk(data, "staff", "list").stdout
    assert any(
        "Pat Parttime" in line and "senior" in line and "inactive" in line
        for line in listed.splitlines()
    )
    assert "1470" not in listed and "9753" not in listed
    with sqlite3.connect(data / "kiosk.db") as conn:
        changes = "SELECT kind FROM audit_events WHERE kind != 'staff_login' ORDER BY seq DESC"
        kinds = [k for (k,) in conn.execute(changes + " LIMIT 4")]
        hashes = [
            h for (h,) in conn.execute("SELECT pin_hash FROM staff WHERE name = 'Pat Parttime'")
        ]
    assert kinds == ["staff_deactivated", "staff_pin_reset", "staff_role_changed", "staff_added"]
    assert hashes[0].startswith("$argon2id$")
    assert kiosk(data, "verify-log").returncode == 0


def test_staff_changes_are_refused_without_an_admin_pin(demo_dir, tmp_path):
    data = copy_of_demo(demo_dir, tmp_path)
    wrong = kiosk(
        data, "staff", "deactivate", "--name", "Olivia Office", "--as", "Alex Admin", typed="0000\n"
    )
    assert wrong.returncode != 0 and "Traceback" not in wrong.stderr
    office = kiosk(
        data,
        "staff",
        "deactivate",
        "--name",
        "Sam Senior (DSL)",
        "--as",
        "Olivia Office",
        typed="2580\n",
    )
    assert office.returncode != 0 and "Traceback" not in office.stderr
    assert "role" in (office.stdout + office.stderr).lower()
    nobody = kiosk(
        data, "staff", "deactivate", "--name", "Nobody", "--as", "Alex Admin", typed="1470\n"
    )
    assert nobody.returncode != 0 and "no single staff member" in nobody.stderr
    listed = kiosk(data, "staff", "list").stdout
    assert "inactive" not in listed


def test_a_script_gives_the_pin_in_kiosk_pin_not_on_the_command_line(demo_dir, tmp_path):
    data = copy_of_demo(demo_dir, tmp_path)
    args = ("staff", "role", "--name", "Olivia Office", "--role", "senior", "--as", "Alex Admin")
    assert kiosk(data, *args, pin="0000").returncode != 0
    done = kiosk(data, *args, pin="1470")
    assert done.returncode == 0, done.stderr
    assert "PIN:" not in done.stderr  # not asked: taken from the environment


def test_a_pin_on_the_command_line_is_refused_without_being_echoed(demo_dir):
    result = kiosk(demo_dir, "staff", "add", "--name", "Pat", "--as", "Alex Admin", "--pin", "1470")
    assert result.returncode == 2
    assert "1470" not in result.stdout + result.stderr
    assert "KIOSK_PIN" in result.stderr


def test_a_scheduled_command_without_a_pin_says_so_in_one_line(demo_dir):
    result = kiosk(
        demo_dir, "staff", "role", "--name", "x", "--role", "senior", "--as", "Alex Admin"
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "EOFError" not in result.stderr
    assert "set KIOSK_PIN" in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_new_pin_comes_from_kiosk_new_pin_in_a_script(demo_dir, tmp_path):
    data = copy_of_demo(demo_dir, tmp_path)
    added = kiosk(
        data,
        "staff",
        "add",
        "--name",
        "Pat Parttime",
        "--as",
        "Alex Admin",
        pin="1470",
        new_pin="864297",
    )
    assert added.returncode == 0, added.stderr
    login = kiosk(
        data,
        "staff",
        "role",
        "--name",
        "Pat Parttime",
        "--role",
        "office",
        "--as",
        "Alex Admin",
        pin="1470",
    )
    assert login.returncode == 0 and "Pat Parttime is now office" in login.stdout


def test_an_empty_database_says_how_to_add_the_first_admin(tmp_path):
    listed = kiosk(tmp_path, "staff", "list")
    assert listed.returncode == 0 and "kiosk staff add" in listed.stdout
    wrong_role = kiosk(tmp_path, "staff", "add", "--name", "Olivia", "--role", "office")
    assert wrong_role.returncode == 2
    assert "first staff account must be an admin" in wrong_role.stderr
    assert "PIN" not in wrong_role.stderr  # refused before any PIN was asked


def test_a_senior_running_an_admin_command_is_told_it_needs_an_admin(demo_dir, tmp_path):
    data = copy_of_demo(demo_dir, tmp_path)
    result = kiosk(
        data,
        "staff",
        "deactivate",
        "--name",
        "Olivia Office",
        "--as",
        "Sam Senior (DSL)",
        pin="3691",
    )
    assert result.returncode == 2
    assert "needs an admin" in result.stderr and "senior member" not in result.stderr


def test_a_closed_pipe_ends_the_listing_quietly(demo_dir):
    env = {**os.environ, "KIOSK_DATA_DIR": str(demo_dir)}
    shell = f"{sys.executable} -m kiosk slots list | head -1"
    for _ in range(3):
        result = subprocess.run(
            ["bash", "-c", shell], env=env, text=True, capture_output=True, timeout=120
        )
        assert len(result.stdout.splitlines()) == 1
        assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_with_no_display_the_kiosk_says_so_instead_of_blaming_a_library(demo_dir):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(KIOSK_DATA_DIR=str(demo_dir), QT_QPA_PLATFORM="xcb")
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "run", "--windowed"],
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "No display" in result.stderr and "xcb-cursor" not in result.stderr


def test_the_kiosk_starts_quietly_with_no_webcam(demo_dir, tmp_path):
    """Qt's and OpenCV's warnings (no PulseAudio, no /dev/video0) go to the log, not the
    terminal; Ctrl-C (SIGINT, sent by `timeout`) closes the kiosk cleanly."""
    if not shutil.which("xvfb-run"):
        pytest.skip("needs xvfb-run")
    env = {**os.environ, "KIOSK_DATA_DIR": str(copy_of_demo(demo_dir, tmp_path))}
    env.pop("QT_QPA_PLATFORM", None)
    command = [
        "timeout",
        "-s",
        "INT",
        "12",
        "xvfb-run",
        "-a",
        sys.executable,
        "-m",
        "kiosk",
        "run",
        "--windowed",
        "--camera",
        "0",
    ]
    result = subprocess.run(command, env=env, text=True, capture_output=True, timeout=120)
    noise = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert noise == []
