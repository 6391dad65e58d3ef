"""verify-log's chain check in one process and split in two (``kiosk.record.chain_half``),
side by side on a copy of reports.py's year: alternated rounds, as the machine is and beside
2 busy loops of its own; wall and CPU (this process's and its children's); and the second
process's cold start (spawn to answer on an empty range).

    PYTHONPATH=. .venv/bin/python benchmarks/verify_split.py [--rounds 5]

Run it with an interpreter whose ``python -I -m kiosk...`` finds this tree's package (the
kiosk's venv; from a git worktree, a venv whose .pth names the worktree)."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from reports import CACHE

from kiosk.db import Database, make_engine
from kiosk.services import chain_check, helper_process


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _busy() -> None:
    while True:
        pass


def timed(db: Database, split: bool) -> tuple[float, float]:
    chain_check.SPLIT_FROM = 100_000 if split else 2**62
    wall, cpu = time.perf_counter(), _cpu()
    report = chain_check.verify(db)
    assert report.intact, report.describe()
    return time.perf_counter() - wall, _cpu() - cpu


def cold_start(database: Path) -> float:
    wall = time.perf_counter()
    helper = helper_process.Helper(
        "kiosk.record.chain_half", {"database": str(database), "first": 1, "last": 0}
    )
    answer = helper.answer()
    assert answer is not None and answer["done"] == 0, answer
    return time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="kiosk-verify-split-"))
    year = scratch / "year.db"
    shutil.copy(CACHE, year)
    os.environ[helper_process.SWITCH] = "on"  # the figures are for both forms, load or not
    db = Database(make_engine(f"sqlite:///{year}"))
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    starts = [cold_start(year) for _ in range(10)]
    for n in range(args.rounds):
        for beside in ("as it is", "2 busy loops"):
            loops = [
                multiprocessing.Process(target=_busy)
                for _ in range(0 if beside == "as it is" else 2)
            ]
            for loop in loops:
                loop.start()
            try:
                for split in (n % 2 == 0, n % 2 == 1):
                    results.setdefault((beside, "two" if split else "one"), []).append(
                        timed(db, split)
                    )
            finally:
                for loop in loops:
                    loop.kill()
                    loop.join()
        print(f"round {n + 1}, load {os.getloadavg()[0]:.1f}", flush=True)
    print(
        f"second process cold start (10): min {min(starts) * 1000:.0f} ms,"
        f" median {statistics.median(starts) * 1000:.0f} ms"
    )
    print("| beside | processes | wall best (median) | CPU least (median) |")
    print("|---|---|---|---|")
    for (beside, form), runs in results.items():
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        print(
            f"| {beside} | {form} | {min(walls):.2f} ({statistics.median(walls):.2f}) "
            f"| {min(cpus):.2f} ({statistics.median(cpus):.2f}) |"
        )
    shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
