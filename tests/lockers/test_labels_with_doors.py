"""Slot labels name each locker door's board and channel, for whoever wires the bank."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.db import Database
from kiosk.demo import DemoSchool
from kiosk.lockers.simulator import BoardSimulator
from kiosk.printing import labels
from kiosk.services import slot_labels

from .conftest import map_school


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_each_locker_slot_label_says_which_board_and_door_open_it(
    sessions: Database, school: DemoSchool, sim: BoardSimulator, tmp_path: Path
) -> None:
    map_school(sessions, school, sim.port)
    chosen = slot_labels.prepare_labels(sessions, school.actors["admin"], 15, 20)
    assert [label.door for label in chosen] == [
        "board 0 door 15",
        "board 0 door 16",
        "board 1 door 1",
        "board 1 door 2",
        "board 1 door 3",
        "board 1 door 4",
    ]
    pdf = tmp_path / "labels.pdf"
    labels.write_label_sheet(chosen, pdf)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Cabinet Lockers, board 1 door 4" in text
