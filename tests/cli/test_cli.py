"""The `kiosk` command as a person or a script runs it. Most commands run in this process
(cli/commands.py: the real parser and command, the environment and standard input as a
script sets them); the checks about the process itself run it separately: the entry
point, exit statuses 0 and 2 as the shell sees them, PINs piped in with no terminal, a
PIN on the command line, a closed pipe, no display, no webcam."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from school_copies import copy_school

from cli.commands import kiosk, kiosk_process
from kiosk.demo import DEMO_PINS

ADMIN_PIN, OFFICE_PIN, SENIOR_PIN = (DEMO_PINS[role] for role in ("admin", "office", "senior"))


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    """A demo school made by `kiosk demo` (tests that change it work on a copy)."""
    data_dir = tmp_path_factory.mktemp("demo")
    result = kiosk(data_dir, "demo", "--no-run", "--pupils", "60", "--slots", "40", "--days", "2")
    assert result.returncode == 0, result.stderr
    assert f"PIN {OFFICE_PIN}" in result.stdout  # the demo PINs are shown once
    return data_dir


def test_help_lists_the_commands(tmp_path):
    result = kiosk_process(tmp_path, "--help")
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
    copy_school(demo_dir / "kiosk.db", copy)
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
    copy_school(demo_dir / "kiosk.db", tmp_path / "kiosk.db")
    return tmp_path


def test_an_admin_manages_staff_from_the_command_line(demo_dir, tmp_path):
    data = copy_of_demo(demo_dir, tmp_path)
    admin = ("--as", "Alex Admin")
    # Typed into a pipe with no terminal: the admin's PIN, then the new one twice.
    added = kiosk_process(
        data, "staff", "add", "--name", "Pat Parttime", *admin, typed=f"{ADMIN_PIN}\n8642\n8642\n"
    )
    assert added.returncode == 0, added.stderr
    changed = kiosk(
        data,
        "staff",
        "role",
        "--name",
        "pat parttime",
        "--role",
        "senior",
        *admin,
        typed=f"{ADMIN_PIN}\n",
    )
    assert changed.returncode == 0, changed.stderr
    reset = kiosk(
        data,
        "staff",
        "reset-pin",
        "--name",
        "Pat Parttime",
        *admin,
        typed=f"{ADMIN_PIN}\n957184\n957184\n",
    )
    assert reset.returncode == 0, reset.stderr
    gone = kiosk(
        data, "staff", "deactivate", "--name", "Pat Parttime", *admin, typed=f"{ADMIN_PIN}\n"
    )
    assert gone.returncode == 0, gone.stderr
    listed = kiosk(data, "staff", "list").stdout
    assert any(
        "Pat Parttime" in line and "senior" in line and "inactive" in line
        for line in listed.splitlines()
    )
    assert ADMIN_PIN not in listed and "957184" not in listed
    with sqlite3.connect(data / "kiosk.db") as conn:
        changes = "SELECT kind FROM audit_events WHERE kind != 'staff_login' ORDER BY seq DESC"
        kinds = [k for (k,) in conn.execute(changes + " LIMIT 4")]
        hashes = [
            h for (h,) in conn.execute("SELECT pin_hash FROM staff WHERE name = 'Pat Parttime'")
        ]
    assert kinds == ["staff_deactivated", "staff_pin_reset", "staff_role_changed", "staff_added"]
    assert hashes[0].startswith("sealed1$")  # kiosk.services.pin_seal
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
        typed=f"{OFFICE_PIN}\n",
    )
    assert office.returncode != 0 and "Traceback" not in office.stderr
    assert "role" in (office.stdout + office.stderr).lower()
    nobody = kiosk(
        data,
        "staff",
        "deactivate",
        "--name",
        "Nobody",
        "--as",
        "Alex Admin",
        typed=f"{ADMIN_PIN}\n",
    )
    assert nobody.returncode != 0 and "no single staff member" in nobody.stderr
    listed = kiosk(data, "staff", "list").stdout
    assert "inactive" not in listed


def test_a_script_gives_the_pin_in_kiosk_pin_not_on_the_command_line(demo_dir, tmp_path):
    data = copy_of_demo(demo_dir, tmp_path)
    args = ("staff", "role", "--name", "Olivia Office", "--role", "senior", "--as", "Alex Admin")
    assert kiosk(data, *args, pin="0000").returncode != 0
    done = kiosk(data, *args, pin=ADMIN_PIN)
    assert done.returncode == 0, done.stderr
    assert "PIN:" not in done.stderr  # not asked: taken from the environment


def test_a_pin_on_the_command_line_is_refused_without_being_echoed(demo_dir):
    result = kiosk_process(
        demo_dir, "staff", "add", "--name", "Pat", "--as", "Alex Admin", "--pin", ADMIN_PIN
    )
    assert result.returncode == 2
    assert ADMIN_PIN not in result.stdout + result.stderr
    assert "KIOSK_PIN" in result.stderr


def test_a_scheduled_command_without_a_pin_says_so_in_one_line(demo_dir):
    result = kiosk_process(
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
        pin=ADMIN_PIN,
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
        pin=ADMIN_PIN,
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
        pin=SENIOR_PIN,
    )
    assert result.returncode == 2
    assert "needs an admin" in result.stderr and "senior member" not in result.stderr


def test_a_closed_pipe_ends_the_listing_quietly(demo_dir, tmp_path):
    """`kiosk slots list | head -1`: head leaves after one line while the kiosk is still
    writing a listing longer than a pipe holds, so a write of the kiosk's fails."""
    data = copy_of_demo(demo_dir, tmp_path)
    with sqlite3.connect(data / "kiosk.db") as conn:
        conn.executemany(
            "INSERT INTO slots (number, cabinet, in_service, reserved_for_confiscation) "
            "VALUES (?, 'B', 1, 0)",
            [(number,) for number in range(41, 6001)],
        )
    listing = kiosk(data, "slots", "list").stdout
    assert len(listing.encode()) > 2 * 65536  # twice what a pipe holds (64 KiB on Linux)
    env = {**os.environ, "KIOSK_DATA_DIR": str(data)}
    shell = f"{sys.executable} -m kiosk slots list | head -1"
    result = subprocess.run(
        ["bash", "-c", shell], env=env, text=True, capture_output=True, timeout=120
    )
    assert result.stdout.splitlines() == listing.splitlines()[:1]
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_an_admin_unlocks_an_account_locked_by_wrong_pins(demo_dir, tmp_path):
    import datetime as dt

    from kiosk.config import sqlite_url
    from kiosk.db import opened
    from kiosk.errors import AccountLocked, WrongPin
    from kiosk.rules import PIN_HARD_LOCK_AT
    from kiosk.services import staff

    data = copy_of_demo(demo_dir, tmp_path)
    with opened(sqlite_url(data / "kiosk.db")) as database:
        olivia = next(m for m in staff.list_staff(database) if m.name == "Olivia Office")
        at = dt.datetime(2026, 11, 20, 9, 0)
        for _ in range(PIN_HARD_LOCK_AT):
            try:
                staff.check_pin(database, olivia.id, "000000", terminal="kiosk-1", now=at)
            except (WrongPin, AccountLocked) as error:
                at += getattr(error, "wait", dt.timedelta(0))
    listed = kiosk(data, "staff", "list").stdout
    assert any("Olivia Office" in line and "locked" in line for line in listed.splitlines())
    refused = kiosk(
        data,
        "staff",
        "role",
        "--name",
        "x",
        "--role",
        "office",
        "--as",
        "Olivia Office",
        pin=OFFICE_PIN,
    )
    assert refused.returncode == 2 and "an admin can unlock it" in refused.stderr
    done = kiosk(
        data, "staff", "unlock", "--name", "Olivia Office", "--as", "Alex Admin", pin=ADMIN_PIN
    )
    assert done.returncode == 0 and "Olivia Office can log in again" in done.stdout
    assert "locked" not in kiosk(data, "staff", "list").stdout
    with sqlite3.connect(data / "kiosk.db") as conn:
        (kind,) = conn.execute("SELECT kind FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    assert kind == "staff_unlocked"


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
    terminal; Ctrl-C (SIGINT to the terminal's process group) closes the kiosk cleanly."""
    if not shutil.which("xvfb-run"):
        pytest.skip("needs xvfb-run")
    data = copy_of_demo(demo_dir, tmp_path)
    env = {**os.environ, "KIOSK_DATA_DIR": str(data)}
    env.pop("QT_QPA_PLATFORM", None)
    command = [sys.executable, "-m", "kiosk", "run", "--windowed", "--camera", "0"]
    terminal = tmp_path / "terminal.txt"
    with terminal.open("w") as shown:
        process = subprocess.Popen(
            ["xvfb-run", "-a", *command],
            env=env,
            stdout=shown,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as at a terminal
        )
        try:
            log = data / "logs" / "kiosk.log"
            assert wait_for_line(log, "Kiosk kiosk-1 started", seconds=120), "it never started"
            wait_for_line(log, "Camera", seconds=10)  # no webcam: the camera has been tried
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    noise = [line for line in terminal.read_text().splitlines() if line.strip()]
    assert noise == []


def wait_for_line(log: Path, words: str, *, seconds: float) -> bool:
    """Whether a line of ``log`` holds ``words`` within ``seconds`` (looked at 10 times a
    second)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if log.is_file() and words in log.read_text(encoding="utf-8", errors="replace"):
            return True
        time.sleep(0.1)
    return False


def test_when_every_admin_is_locked_unlock_works_at_the_kiosk_pc_without_an_admin(
    demo_dir, tmp_path
):
    data = copy_of_demo(demo_dir, tmp_path)
    refused = kiosk(data, "staff", "unlock", "--name", "Alex Admin")
    assert refused.returncode == 2 and "An admin can still log in" in refused.stderr
    with sqlite3.connect(data / "kiosk.db") as conn:  # as 20 wrong PINs would leave it
        conn.execute("UPDATE staff SET pin_locked_at = '2026-11-20 09:00:00', failed_attempts = 20")
    done = kiosk(data, "staff", "unlock", "--name", "Alex Admin")
    assert done.returncode == 0 and "Alex Admin can log in again" in done.stdout
    with sqlite3.connect(data / "kiosk.db") as conn:
        row = conn.execute(
            "SELECT kind, actor_id, actor_name FROM audit_events ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    assert row == ("staff_unlocked", None, "kiosk-1 (command line)")
