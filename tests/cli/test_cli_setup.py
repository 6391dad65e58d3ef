"""`kiosk setup`: the steps and what is done, and an admin marking one done or skipped (run
in-process, cli/commands.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from school_copies import copy_school

from cli.commands import kiosk
from kiosk.demo import DEMO_PINS

ADMIN_PIN, OFFICE_PIN = DEMO_PINS["admin"], DEMO_PINS["office"]


@pytest.fixture
def demo(school_template, tmp_path) -> Path:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    copy_school(school_template.path, data_dir / "kiosk.db")
    return data_dir


def test_the_steps_with_what_the_records_show(demo):
    shown = kiosk(demo, "setup")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("1. First admin") and "done" in lines[0]
    assert "20 slots in service" in shown.stdout or "18 slots in service" in shown.stdout
    assert "5. Times        to do" in shown.stdout
    assert lines[-1] == "The pupil screen takes scans: it has slots and pupils."


def test_an_admin_marks_a_step_and_nobody_else_can(demo):
    refused = kiosk(demo, "setup", "skip", "times", "--as", "Olivia Office", pin=OFFICE_PIN)
    assert refused.returncode == 2 and "role does not allow" in refused.stderr
    done = kiosk(demo, "setup", "done", "times", "--as", "Alex Admin", pin=ADMIN_PIN)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Setup step times: done."
    assert "5. Times        done" in kiosk(demo, "setup").stdout
    unsaid = kiosk(demo, "setup", "done", "times")
    assert unsaid.returncode == 2 and "--as NAME" in unsaid.stderr
    unknown = kiosk(demo, "setup", "done", "lunch", "--as", "Alex Admin", pin=ADMIN_PIN)
    assert unknown.returncode == 2 and "invalid choice: 'lunch'" in unknown.stderr
