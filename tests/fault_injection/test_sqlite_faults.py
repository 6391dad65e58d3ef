"""A loop of hand-ins while the SQLite data folder fails: files made immutable (read-only
even for root), the WAL index made immutable (the SIGBUS case), the disk full, and the
write lock held by another connection. Each asserts: no confirmed hand-in lost, none
stored twice, the pupil told the truth ("cannot be saved", not "cannot reach") within the
deadline, and recovery without a restart once the disk is well again."""

from __future__ import annotations

import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from fault_injection import disks
from fault_injection.conftest import TEST_LIMITS, make_school
from fault_injection.harness import ANSWERED, HandInLoop, LoopReport, check, wait_for
from kiosk.db import open_database
from kiosk.sqlite_guard import folder_problem

RECOVERY_BOUND_S = 5.0
ANSWER_BOUND_S = TEST_LIMITS.sqlite_busy_ms / 1000 + 1.0


@pytest.fixture
def disk(tmp_path: Path):
    """A small tmpfs of the test's own (it can be filled, and remounted read-only)."""
    with disks.tmpfs(tmp_path / "disk") as folder:
        yield folder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder on the machine's disk (ext4 here): there the immutable flag stops writes
    through files already open, and a mapped file's pages too (tmpfs lets those by)."""
    folder = tmp_path / "data"
    folder.mkdir()
    reason = disks.immutable_supported(folder)
    if reason:
        pytest.skip(f"chattr +i is not available here: {reason}")
    return folder


def files_of(folder: Path) -> list[Path]:
    return [folder / name for name in ("kiosk.db", "kiosk.db-wal", "kiosk.db-shm")]


def loop_through(
    folder: Path, start_fault, end_fault, refusals: int = 2
) -> tuple[LoopReport, float]:
    """Hand-ins before, during (until ``refusals`` scans were refused) and after a fault;
    returns the report and recovery time."""
    database, school = make_school(f"sqlite:///{folder / 'kiosk.db'}")
    loop = HandInLoop(database, school, pause_s=0.02)
    loop.start()
    try:
        wait_for(lambda: loop.confirmed_count() >= 5, 30, "hand-ins before the fault")
        began = time.monotonic()
        start_fault()
        try:
            wait_for(lambda: refused(loop.report, began) >= refusals, 20, "scans refused")
        finally:
            end_fault()
        ended = time.monotonic()
        back = wait_for(
            lambda: loop.report.first_slot_after(ended) is not None, 20, "a hand-in after"
        )
    finally:
        report = loop.stop()
    check(database, report)
    database.dispose()
    assert report.longest_wait() <= ANSWER_BOUND_S
    assert back - ended <= RECOVERY_BOUND_S, f"recovery took {back - ended:.1f} s"
    return report, back - ended


def said_during_fault(report: LoopReport) -> set[str]:
    return {t.said for t in report.told} - {"slot"}


def test_files_made_read_only_then_writable_again(folder: Path):
    files = files_of(folder)[:2]  # the database and its WAL; the index has its own test
    report, _ = loop_through(
        folder, lambda: disks.set_immutable(files, True), lambda: disks.set_immutable(files, False)
    )
    assert said_during_fault(report) == {"cannot be saved"}


def test_the_disk_full_then_freed(disk: Path):
    state: dict[str, object] = {}

    def fill() -> None:
        state["fill"] = disks.filled(disk)
        state["fill"].__enter__()  # type: ignore[attr-defined]

    def free() -> None:
        state["fill"].__exit__(None, None, None)  # type: ignore[attr-defined]

    report, _ = loop_through(disk, fill, free)
    assert said_during_fault(report) == {"cannot be saved"}


def test_the_write_lock_held_by_another_connection(folder: Path):
    disk = folder
    holder: dict[str, sqlite3.Connection] = {}

    def hold() -> None:
        conn = sqlite3.connect(disk / "kiosk.db", isolation_level=None, check_same_thread=False)
        conn.execute("BEGIN IMMEDIATE")
        holder["conn"] = conn

    def release() -> None:
        holder["conn"].execute("ROLLBACK")
        holder["conn"].close()

    report, _ = loop_through(disk, hold, release, refusals=1)  # each waits the busy timeout
    assert said_during_fault(report) == {"cannot reach"}  # "busy": nothing could be saved


def test_the_wal_index_made_immutable_does_not_kill_the_kiosk(folder: Path, tmp_path: Path):
    """The case that died of SIGBUS: the -shm file turns unwritable under a live mapping
    while the kiosk is idle between scans. The loop runs in a child process, so a SIGBUS
    fails this test instead of killing pytest. (A hand-in in flight at the very moment
    the flag is set can still die: benchmarks/faults.py measures how often; see
    kiosk.sqlite_guard.)"""
    url = f"sqlite:///{folder / 'kiosk.db'}"
    database, school = make_school(url)
    database.dispose()
    out = tmp_path / "child.json"
    idle, idling, stop = (Path(f"{out}.{name}") for name in ("idle", "idling", "stop"))
    child = disks.start_child_loop(url, school, 60, out)

    def child_has(what: str, condition: Callable[[LoopReport], bool]) -> None:
        """Wait until the child's report so far meets ``condition`` (or the child died)."""

        def met() -> bool:
            return child.poll() is not None or condition(disks.child_report(out))

        wait_for(met, 30, what)

    try:
        child_has("hand-ins before the fault", lambda report: len(report.confirmed()) >= 3)
        idle.touch()
        wait_for(lambda: idling.exists() or child.poll() is not None, 10, "the kiosk to be idle")
        disks.set_immutable([folder / "kiosk.db-shm"], True)
        began = time.monotonic()
        idle.unlink()
        child_has("scans refused during the fault", lambda report: refused(report, began) >= 3)
        disks.set_immutable([folder / "kiosk.db-shm"], False)
        ended = time.monotonic()
        child_has("a hand-in after the fault", lambda r: r.first_slot_after(ended) is not None)
    finally:
        disks.set_immutable([folder / "kiosk.db-shm"], False)
        stop.touch()
        _, errors = child.communicate(timeout=60)
    assert child.returncode != -signal.SIGBUS, f"the kiosk died of SIGBUS: {errors[-3000:]}"
    assert child.returncode == 0, errors[-2000:]
    report = disks.child_report(out)
    database = open_database(url, migrate=False)
    check(database, report)
    database.dispose()
    assert said_during_fault(report) == {"cannot be saved"}
    assert report.first_slot_after(ended) is not None, "no recovery after the fault"


def refused(report: LoopReport, since: float) -> int:
    return sum(1 for t in report.told if t.started >= since and t.said not in ANSWERED)


def test_a_data_folder_that_cannot_be_written_is_named_at_start(disk: Path):
    assert folder_problem(disk) is None
    disks._run("mount", "-o", "remount,ro", str(disk))
    try:
        problem = folder_problem(disk)
    finally:
        disks._run("mount", "-o", "remount,rw", str(disk))
    assert problem is not None and "cannot be written" in problem
