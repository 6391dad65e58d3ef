"""Hand-in latency while staff log in and the audit log is verified, old code beside new
(issue 15: the PIN check held the write lock while hashing, and every transaction, reads
included, began with BEGIN IMMEDIATE). Target: max under 100 ms, no "database is locked".

On benchmarks/reports.py's school year (about 600,000 audit events, a fresh copy per run;
the old code gets the year as the old code built it, cache version 1, as it cannot verify the
new salted digests), one process hands in pupils' cards one after another through
``custody.hand_in_by_card`` (``--gap`` ms apart; 400 of them, or as many as 180 s allow: the
old code under contention hands in a few a minute), each timed on its own: wall, the
process's own CPU, and the wait of its BEGIN IMMEDIATE for the write lock. In the contended
runs a second process logs a member of staff in again and again (``staff.check_pin``, the
right PIN) and a third runs the real ``kiosk verify-log`` on the live database over and over.
Each scenario runs with the old code (a checkout given by ``--baseline``, the same worker
script run with that folder as working directory and PYTHONPATH) and with this one. The
machine is shared: read CPU beside wall, and the load average printed.

    .venv/bin/python benchmarks/contention.py [--quick] [--baseline /work/baseline]
        [--old-year /tmp/kiosk-bench-reports-v1.db --old-pin 2580]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _support import ROOT, load_note, percentile, record
from _table import print_table

from kiosk.config import sqlite_url
from kiosk.db import open_database, opened
from kiosk.services import cards

WORKER = Path(__file__).resolve().parent / "_contention_worker.py"
TARGET_MAX_MS = 100.0
OFFICE_ID = 2  # reports.py's second member of staff, Olivia Office


@dataclass
class Run:
    code: str
    scenario: str
    hand_in: dict[str, Any] = field(default_factory=dict)
    log_in: dict[str, Any] = field(default_factory=dict)
    verifies: list[tuple[int, float, str]] = field(default_factory=list)  # status, s, words

    def row(self) -> list[object]:
        wall, cpu = self.hand_in["wall_ms"], self.hand_in["cpu_ms"]
        errors = self.hand_in["errors"]
        locked = sum("locked" in e for e in errors)
        row: list[object] = [self.code, self.scenario, len(wall), f"{len(errors)} ({locked})"]
        row += [f"{percentile(wall, q):.1f}" for q in (0.5, 0.95, 0.99)]
        row += [f"{max(wall):.0f}", f"{percentile(cpu, 0.5):.1f}", f"{percentile(cpu, 0.95):.1f}"]
        lock = self.hand_in["lock_ms"]
        row += [f"{percentile(lock, 0.95):.1f}", f"{max(lock):.0f}"]
        if not self.log_in:
            return [*row, "", "", ""]
        logins = f"{self.log_in['done']} ({len(self.log_in['errors'])} failed)"
        login_p50 = f"{percentile(self.log_in['wall_ms'] or [0.0], 0.5):.0f}"
        bad = sum(status != 0 for status, _s, _words in self.verifies)
        verifies = f"{len(self.verifies)} ({bad} failed)"
        return [*row, logins, login_p50, verifies]


def _worker(code_dir: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(code_dir), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        cwd=code_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = process.communicate(timeout=1800)
    if process.returncode != 0:
        raise RuntimeError(f"worker failed: {err.strip().splitlines()[-1:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _verify_loop(
    code: str, code_dir: Path, work: Path, stop: Path, into: list[tuple[int, float, str]]
) -> None:
    """``kiosk verify-log`` on the kiosk's live database again and again, as an admin would
    run it. (The old code reaches a file only through --db, which opens it as it is; the
    new --db checks a copied piece of evidence, so the new code is pointed at the database
    the usual way, KIOSK_DATABASE_URL.)"""
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-verify-") as data_dir:
        env = {**os.environ, "PYTHONPATH": str(code_dir), "KIOSK_DATA_DIR": data_dir}
        env["KIOSK_DATABASE_URL"] = sqlite_url(work)
        args = ["--db", str(work)] if code == "old" else []
        while not stop.exists():
            began = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "kiosk", "verify-log", *args],
                cwd=code_dir,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            lines = (done.stderr.strip() or done.stdout.strip()).splitlines()
            said = [line for line in lines if "Error" in line][-1:] or lines[-1:]
            into.append((done.returncode, time.perf_counter() - began, " ".join(said)))


def one_run(
    code: str, code_dir: Path, scenario: str, cache: Path, job: tuple[str, str, str, str, str]
) -> Run:
    import reports

    cards_file, start, gap, pin, seconds = job
    work = reports.working_copy(cache)
    stop = work.with_suffix(".stop")
    run = Run(code, scenario)
    try:
        url = sqlite_url(work)
        login = None
        verifier = None
        if scenario != "quiet":
            login = _worker(code_dir, "login", url, str(OFFICE_ID), pin, str(stop))
            verifier = threading.Thread(
                target=_verify_loop, args=(code, code_dir, work, stop, run.verifies)
            )
            verifier.start()
            time.sleep(3)  # both under way before the first pupil
        try:
            run.hand_in = _result(_worker(code_dir, "handin", url, cards_file, start, gap, seconds))
        finally:
            stop.touch()
            if login is not None:
                run.log_in = _result(login)
            if verifier is not None:
                verifier.join()
    finally:
        for suffix in ("", "-wal", "-shm", ".stop"):
            Path(f"{work}{suffix}" if suffix != ".stop" else stop).unlink(missing_ok=True)
    return run


def card_texts(cache: Path, count: int) -> list[str]:
    database = open_database(sqlite_url(cache), migrate=False)
    try:
        with database.read() as session:
            found = (cards.current_card(session, pupil) for pupil in range(1, count + 1))
            return [card.text for card in found if card is not None]
    finally:
        database.dispose()


def main() -> int:
    import reports
    from handin import MORNING

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="150 hand-ins or 60 s a run, not 400 or 180 s"
    )
    parser.add_argument("--baseline", type=Path, default=Path("/work/baseline"))
    parser.add_argument(
        "--old-year",
        type=Path,
        default=Path(tempfile.gettempdir()) / "kiosk-bench-reports-v1.db",
        help="the year as the old code built it (reports.py's cache version 1)",
    )
    parser.add_argument("--old-pin", default="2580", help="Olivia Office's PIN in --old-year")
    parser.add_argument("--gap", type=int, default=20, help="ms between two hand-ins")
    args = parser.parse_args()
    count, seconds = (150, 60) if args.quick else (400, 180)
    cache = reports.CACHE
    if not cache.is_file():
        print(f"Building {cache} (once; a minute or two)...", flush=True)
        reports.build(cache)
    with opened(sqlite_url(cache), migrate=True):  # the cache at this code's schema
        pass
    start = reports.at(MORNING, 7, 25).isoformat()
    # Each code on the year in its own format (the new code salts the details' digests,
    # which the old verify cannot read): same generator and seed, each with its own cards.
    codes = {
        "old": (args.baseline.resolve(), args.old_year, args.old_pin),
        "new": (ROOT, cache, reports.STAFF["office"][1]),
    }
    runs: list[Run] = []
    loads = [os.getloadavg()[0]]
    files = []
    try:
        jobs = {}
        for code, (_folder, year, pin) in codes.items():
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as out:
                json.dump(card_texts(year, count), out)
            files.append(Path(out.name))
            jobs[code] = (out.name, start, str(args.gap), pin, str(seconds))
        for scenario in ("quiet", "log-ins + verify-log"):
            for code, (folder, year, _pin) in codes.items():
                print(f"{code}, {scenario}...", flush=True)
                runs.append(one_run(code, folder, scenario, year, jobs[code]))
                loads.append(os.getloadavg()[0])
    finally:
        for file in files:
            file.unlink(missing_ok=True)
    report(runs, loads)
    return 0


def report(runs: list[Run], loads: list[float]) -> None:
    headers = ["code", "beside the hand-ins", "hand-ins", "errors (locked)", "p50 ms"]
    headers += ["p95 ms", "p99 ms", "max ms", "cpu p50", "cpu p95", "lock wait p95", "lock max"]
    headers += ["log-ins (failed)"]
    headers += ["log-in p50 ms", "verify-log runs (failed)"]
    print_table(
        f"Hand-in latency on a year of history, {load_note()} (between runs: "
        + ", ".join(f"{load:.1f}" for load in loads)
        + ")",
        headers,
        [run.row() for run in runs],
    )
    print("\nlock wait: ms a hand-in's BEGIN IMMEDIATE waited for the write lock.")
    for run in runs:
        for error in sorted(set(run.hand_in["errors"])):
            print(f"  {run.code}, {run.scenario}: hand-in failed: {error}")
        for status, seconds, words in run.verifies:
            if status != 0:
                failed = f"verify-log exit {status} after {seconds:.0f} s"
                print(f"  {run.code}, {run.scenario}: {failed}: {words}")
        for error in sorted(set(run.log_in.get("errors", []))):
            print(f"  {run.code}, {run.scenario}: log-in failed: {error}")
    for run in runs:
        if run.code == "new" and run.scenario != "quiet":
            worst = max(run.hand_in["wall_ms"])
            locked = sum("locked" in e for e in run.hand_in["errors"])
            met = worst < TARGET_MAX_MS and not locked
            target = f"< {TARGET_MAX_MS:g} ms, none locked"
            record("contention", "hand-in max, contended", f"{worst:.0f} ms", target, met)


if __name__ == "__main__":
    raise SystemExit(main())
