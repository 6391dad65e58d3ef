"""``kiosk lockers``: map, list, export, test, open-all through the command line against
the simulator, and ``simulate`` as a process of its own."""

from __future__ import annotations

import csv
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.__main__ import main
from kiosk.db import Database
from kiosk.demo import DEMO_STAFF, DemoSchool
from kiosk.lockers import kerong as kr
from kiosk.lockers.driver import BusSettings
from kiosk.lockers.kerong import KerongCU16
from kiosk.lockers.simulator import BoardSimulator
from kiosk.services import custody, slots

ADMIN = DEMO_STAFF[0]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def admin_pin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_PIN", ADMIN.pin)


def run(*args: str) -> int:
    return main(["lockers", *args])


def test_an_admin_maps_slots_to_doors_lists_and_exports_them_with_labels(
    sessions: Database,
    school: DemoSchool,
    sim: BoardSimulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["--cabinet", "Bank A", "--port", sim.port, "--from", "3", "--to", "20"]
    assert run("map", *args, "--board", "1", "--first-channel", "9", "--as", ADMIN.name) == 0
    assert "board 1 door 9 to board 2 door 10" in capsys.readouterr().out
    assert run("list") == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].split() == [
        "3",
        "Bank",
        "A",
        "kerong-cu16",
        sim.port,
        "board",
        "1",
        "door",
        "9",
    ]
    out = tmp_path / "doors.csv"
    assert run("export", "--out", str(out)) == 0
    with out.open(encoding="utf-8-sig", newline="") as rows:
        table = list(csv.reader(rows))
    assert table[0] == ["slot", "label", "cabinet", "driver", "port", "board", "channel"]
    assert table[1][0] == "3" and table[-1][0] == "20" and table[-1][5:] == ["2", "10"]
    assert slots.list_slots(sessions)[2].cabinet == "Bank A"
    assert run("unmap", "--from", "19", "--to", "25", "--as", ADMIN.name) == 0
    assert "2 slots are manual again." in capsys.readouterr().out
    assert run("list") == 0
    assert capsys.readouterr().out.splitlines()[-1].split()[0] == "18"


def test_mapping_refuses_a_channel_already_used_and_a_board_the_bus_cannot_have(
    school: DemoSchool, sim: BoardSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--cabinet", "Bank A", "--port", sim.port, "--as", ADMIN.name]
    assert run("map", *common, "--from", "1", "--to", "4") == 0
    assert run("map", *common, "--from", "5", "--to", "6", "--first-channel", "4") == 2
    assert "Board 0 door 4 already opens slot 4" in capsys.readouterr().err
    assert (
        run("map", *common, "--from", "5", "--to", "6", "--board", "15", "--first-channel", "16")
        == 2
    )
    assert "Board address 16 does not exist" in capsys.readouterr().err


def test_the_technician_test_opens_each_door_and_names_the_ones_that_fail(
    sessions: Database, school: DemoSchool, sim: BoardSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--port", sim.port, "--as", ADMIN.name]
    assert run("map", "--cabinet", "Bank A", *common, "--from", "1", "--to", "16") == 0
    held = custody.hand_in_by_card(sessions, school.card_texts[school.device_owners[0]])
    assert held.slot_number == 1
    sim.jam(0, 3)
    capsys.readouterr()
    assert run("test", *common, "--doors", "1-4", "--wait", "0.05") == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "board 0 door  1: skipped (slot 1 holds a device)"
    assert lines[1] == "board 0 door  2: opened, empty"
    assert lines[2] == "board 0 door  3: did not open, empty"
    assert lines[-1] == "2 of 3 doors opened; 1 skipped."
    unlocked = {r.channel for r in sim.requests if r.command == kr.UNLOCK_ONE}
    assert 1 not in unlocked and not any(r.command == kr.UNLOCK_BOARD for r in sim.requests)
    assert sim.door(0, 1).closed  # the phone in slot 1 stayed locked in


def test_the_technician_test_says_when_a_board_does_not_answer(
    school: DemoSchool, sim: BoardSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("test", "--port", sim.port, "--boards", "5", "--as", ADMIN.name) == 1
    assert "board 5: board error (Locker board 5 did not answer.)" in capsys.readouterr().out


def test_open_all_asks_for_yes_then_opens_every_mapped_board(
    school: DemoSchool, sim: BoardSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--cabinet", "Bank A", "--port", sim.port, "--as", ADMIN.name]
    assert run("map", *common, "--from", "1", "--to", "20") == 0
    assert run("open-all", "--reason", "fire alarm", "--as", ADMIN.name) == 2
    assert not any(r.command == kr.UNLOCK_BOARD for r in sim.requests)
    assert run("open-all", "--reason", "fire alarm", "--yes", "--as", ADMIN.name) == 0
    assert sorted(r.board for r in sim.wait_for(kr.UNLOCK_BOARD, 2)) == [0, 1]
    assert "Cabinet Bank A board 1: every door opened." in capsys.readouterr().out


def test_simulate_prints_the_port_and_the_serial_driver_talks_to_it() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "lockers", "simulate", "--boards", "0,1", "--manual"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        first = process.stdout.readline()
        assert first.startswith("Simulated KR-CU16 boards 0, 1 on /dev/")
        driver = KerongCU16(BusSettings(first.split()[-1]))
        try:
            driver.open_door(1, 7)
            process.stdin.write("fill 1 7\nnoise\ncorrupt\n")  # the driver rides over both
            process.stdin.flush()
            deadline = time.monotonic() + 5
            while not (door := driver.read_board(1).door(7)).occupied:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            assert not door.closed
        finally:
            driver.close()
        process.stdin.write("quit\n")
        process.stdin.flush()
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()


def test_the_demo_bank_maps_the_slots_and_its_pretend_pupils_use_the_doors(
    sessions: Database, school: DemoSchool, capsys: pytest.CaptureFixture[str]
) -> None:
    from kiosk.cli_lockers import demo_bank
    from kiosk.services.lockers.bank import LockerBank

    sim = demo_bank(sessions, school.actors["admin"], 1, 20)
    bank = LockerBank.load(sessions)
    try:
        assert "slots 1-20 have doors" in capsys.readouterr().out
        bank.unlock(bank.doors[5])
        deadline = time.monotonic() + 10
        while not (sim.door(0, 5).closed and sim.door(0, 5).occupied):
            assert time.monotonic() < deadline, "no pretend pupil came"
            time.sleep(0.1)
    finally:
        bank.close()
        sim.stop()


def test_demo_lockers_needs_a_new_demo_that_runs(
    school: DemoSchool, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--lockers", "--no-run"]) == 2
    assert "leave out --no-run" in capsys.readouterr().err
