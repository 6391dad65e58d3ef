"""Faults, one after another, with the kiosk's own deadlines: per fault, the longest a
pupil waited for an answer, when they were told (the waiting words at the job's deadline),
and how long the kiosk took to work again once the fault ended, with no restart.

    python benchmarks/faults.py            # all (PostgreSQL parts need its binaries)
    python benchmarks/faults.py --quick    # shorter faults, fewer SIGBUS trials

Real parts: a PostgreSQL server of its own (stopped fast, immediate, killed, paused, and a
connection cut during COMMIT by a proxy), an SQLite file on the machine's disk (immutable
files, the write lock held, the WAL index made immutable in a child process), a small
tmpfs filled to the last byte, and a camera source that raises, blocks and vanishes
through the real capture loop. Each row is also checked: no confirmed hand-in lost, none
stored twice (the run stops with the reason if not).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import _support
from _table import print_table

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from fault_injection import disks, pgfaults
from fault_injection.harness import HandInLoop, check, wait_for

from kiosk.db import open_database
from kiosk.db_limits import DEFAULT_LIMITS, Limits
from kiosk.demo import build_school

CAMERA_WORDS = {
    "raise": "camera read raises",
    "block": "camera read blocks",
    "vanish": "camera unplugged",
}
HEADERS = (
    "fault",
    "scans",
    "lost",
    "twice",
    "longest answer (s)",
    "told by (s)",
    "recovery (s)",
)


def school_on(url: str, limits: Limits, pupils: int = 80):  # type: ignore[no-untyped-def]
    database = open_database(url, limits=limits)
    school = build_school(database, pupils=pupils, slot_count=pupils + 6, reserved=2)
    return database, school


def through(
    name: str,
    url: str,
    limits: Limits,
    start: Callable[[], None],
    end: Callable[[], None],
    hold_s: float,
) -> tuple[object, ...]:
    """A loop of hand-ins; ``start`` the fault, hold it, ``end`` it; measure and check."""
    database, school = school_on(url, limits)
    loop = HandInLoop(database, school, pause_s=0.05)
    loop.start()
    wait_for(lambda: loop.confirmed_count() >= 5, 60, "hand-ins before the fault")
    began = time.monotonic()
    start()
    time.sleep(hold_s)
    end()
    ended = time.monotonic()
    back = wait_for(lambda: loop.report.first_slot_after(ended) is not None, 60, "recovery")
    report = loop.stop()
    check(database, report)  # raises with the reason if anything was lost or doubled
    database.dispose()
    longest = report.longest_wait(since=began - 1)
    return (name, len(report.told), 0, 0, longest, min(longest, limits.job_s), back - ended)


def postgres_rows(limits: Limits, hold_s: float) -> list[tuple[object, ...]]:
    from pgserver import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer(durable=True).start()
    except PostgresUnavailable as exc:
        print(f"PostgreSQL skipped: {exc}")
        return []
    rows = []
    try:
        for how in ("fast", "immediate", "kill"):
            with server.fresh_database(migrated=True) as url:
                rows.append(
                    through(
                        f"PostgreSQL stopped ({how})",
                        url,
                        limits,
                        lambda how=how: pgfaults.halt(server, how),
                        lambda: pgfaults.start_again(server),
                        hold_s,
                    )
                )
        with server.fresh_database(migrated=True) as url:
            frozen: list[int] = []
            rows.append(
                through(
                    "PostgreSQL paused (SIGSTOP)",
                    url,
                    limits,
                    lambda: frozen.extend(pgfaults.pause(server)),
                    lambda: pgfaults.resume(frozen),
                    max(hold_s, limits.job_s + 3),
                )
            )
        with server.fresh_database(migrated=True) as url:
            rows.append(commit_cut(server, url, limits))
    finally:
        server.stop()
    return rows


def commit_cut(server, url: str, limits: Limits) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    cutter = pgfaults.CommitCutter(server.port)
    database, school = school_on(url.replace(f":{server.port}/", f":{cutter.port}/"), limits, 20)
    loop = HandInLoop(database, school)
    told = []
    for index, pupil in enumerate(school.pupil_ids[:10]):
        if index in (3, 6):
            cutter.arm("after" if index == 3 else "before")
        told.append(loop._scan(pupil))
    loop.report.told.extend(told)
    check(database, loop.report)
    assert [t.said for t in told] == ["slot"] * 10, [t.said for t in told]
    database.dispose()
    cutter.close()
    longest = max(t.seconds for t in told)
    return ("connection cut during COMMIT (x2)", 10, 0, 0, longest, longest, 0.0)


def sqlite_rows(limits: Limits, hold_s: float, work: Path) -> list[tuple[object, ...]]:
    rows = []
    folder = work / "disk"
    folder.mkdir()
    url = f"sqlite:///{folder / 'kiosk.db'}"
    files = [folder / "kiosk.db", folder / "kiosk.db-wal"]
    if disks.immutable_supported(folder) is None:
        rows.append(
            through(
                "SQLite files made immutable",
                url,
                limits,
                lambda: disks.set_immutable(files, True),
                lambda: disks.set_immutable(files, False),
                hold_s,
            )
        )
    else:
        print("chattr +i not available: immutable files skipped")
    shutil.rmtree(folder)
    folder.mkdir()
    holder: list[sqlite3.Connection] = []

    def hold() -> None:
        conn = sqlite3.connect(folder / "kiosk.db", isolation_level=None, check_same_thread=False)
        conn.execute("BEGIN IMMEDIATE")
        holder.append(conn)

    def release() -> None:
        holder[0].execute("ROLLBACK")
        holder[0].close()

    rows.append(
        through(
            "SQLite write lock held", url, limits, hold, release, limits.sqlite_busy_ms / 1000 + 2
        )
    )
    full = work / "small"
    with ExitStack() as stack:
        try:
            stack.enter_context(_tmpfs(full))
        except RuntimeError as exc:
            print(f"disk full skipped: {exc}")
            return rows
        filled = disks.filled(full)
        rows.append(
            through(
                "SQLite disk full",
                f"sqlite:///{full / 'kiosk.db'}",
                limits,
                filled.__enter__,
                lambda: filled.__exit__(None, None, None),
                hold_s,
            )
        )
    return rows


class _tmpfs:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        args = ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(self.folder)]
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip() or "mount not permitted")
        return self.folder

    def __exit__(self, *_exc: object) -> None:
        subprocess.run(["umount", "-l", str(self.folder)], check=False)


def sigbus_trials(trials: int, work: Path) -> list[tuple[object, ...]]:
    """The WAL index made immutable while a kiosk process hands in: how often it dies."""
    rows = []
    for pace, pause in (("continuous", 0.0), ("idle at the moment", None)):
        deaths = 0
        for trial in range(trials):
            folder = work / f"shm-{pace[:4]}-{trial}"
            folder.mkdir()
            if disks.immutable_supported(folder) is not None:
                return [("WAL index immutable", "skipped: no chattr")]
            url = f"sqlite:///{folder / 'kiosk.db'}"
            database, school = school_on(url, DEFAULT_LIMITS, 60)
            database.dispose()
            out = folder / "child.json"
            idle, idling = Path(f"{out}.idle"), Path(f"{out}.idling")
            child = disks.start_child_loop(url, school, 4, out)
            shm = folder / "kiosk.db-shm"
            wait_for(shm.exists, 30, "the child's first connection")
            time.sleep(0.5 + 0.037 * trial)
            if pause is None:
                idle.touch()
                wait_for(idling.exists, 10, "idle")
            disks.set_immutable([shm], True)
            idle.unlink(missing_ok=True)
            time.sleep(1.0)
            disks.set_immutable([shm], False)
            child.communicate(timeout=60)
            deaths += child.returncode == -signal.SIGBUS
        rows.append((f"WAL index made immutable ({pace})", f"{deaths} of {trials} died of SIGBUS"))
    return rows


def camera_rows() -> list[tuple[object, ...]]:
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from kiosk.scanning.camera import CameraService

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from fault_injection.test_camera_faults import FaultySource

    _app = QApplication.instance() or QApplication([])
    rows = []
    for fault in ("raise", "block", "vanish"):
        source = FaultySource()
        service = CameraService(source, preview_fps=5)
        events: list[tuple[str, float]] = []
        service.camera_lost.connect(lambda _w, e=events: e.append(("lost", time.monotonic())))
        service.camera_found.connect(lambda e=events: e.append(("found", time.monotonic())))
        service.start()
        _qt_wait(QTest, lambda e=events: bool(e), 5)
        broke = time.monotonic()
        source.fault = fault
        _qt_wait(QTest, lambda e=events: e[-1][0] == "lost", 10)
        lost = events[-1][1] - broke
        healed = time.monotonic()
        source.heal()
        _qt_wait(QTest, lambda e=events: e[-1][0] == "found", 10)
        rows.append((CAMERA_WORDS[fault], f"{lost:.1f}", f"{events[-1][1] - healed:.1f}"))
        service.stop(5000)
    return rows


def _qt_wait(qtest, condition, timeout_s: float) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        qtest.qWait(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    limits = DEFAULT_LIMITS if not args.quick else replace(DEFAULT_LIMITS, job_s=2.0)
    hold_s = 2.0 if args.quick else 4.0
    print(
        f"{_support.load_note()}; job deadline {limits.job_s:.0f} s, "
        f"SQLite busy timeout {limits.sqlite_busy_ms / 1000:.0f} s"
    )
    work = Path(tempfile.mkdtemp(prefix="kiosk-faults-"))
    try:
        rows = postgres_rows(limits, hold_s) + sqlite_rows(limits, hold_s, work)
        print_table(
            "Hand-ins through faults (lost/twice are checked against the database)", HEADERS, rows
        )
        print_table(
            "SQLite WAL index (-shm) made immutable under a live kiosk process",
            ("case", "outcome"),
            sigbus_trials(3 if args.quick else 8, work),
        )
        print_table(
            "Camera faults",
            ("fault", "reported lost after (s)", "found again after (s)"),
            camera_rows(),
        )
    finally:
        for path in work.rglob("*"):
            subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
