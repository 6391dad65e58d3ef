"""Issue 16's CSV exports (every field quoted, control characters stripped, event kinds in
words beside their codes) against the code before, side by side: the custody and audit
CSV exports of reports.py's year (~600,000 audit events), each side a long-lived process
in its own tree on its own copy of the year, migrated to the newest schema first. The
sides take each task in turn, the order swapped every round; wall and CPU seconds.

    PYTHONPATH=. .venv/bin/python benchmarks/csv_quoting.py --baseline DIR [--rounds 5]

``--baseline`` is a checkout of the code before (``git archive main | tar -x -C DIR``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

from _table import print_table
from redesign import TREE, Side, clean_up, turn_order
from reports import build, working_copy

from kiosk.config import sqlite_url
from kiosk.db import open_database

TASKS = ("custody CSV", "audit CSV")
# A year built by this tree in a folder of its own (reports.py's shared cache can predate
# a migration whose revision id was later re-chained; its key store is beside it).
CACHE = Path(tempfile.gettempdir()) / "kiosk-bench-csv" / "year.db"


def migrated_copy() -> Path:
    """A copy of the year at the newest schema."""
    if not CACHE.is_file():
        print(f"Building {CACHE} (once, a minute or two)...", flush=True)
        CACHE.parent.mkdir(exist_ok=True)
        build(CACHE)
    work = working_copy(CACHE)
    open_database(sqlite_url(work), migrate=True).dispose()
    return work


def _copy(source: Path) -> Path:
    target = Path(tempfile.mkstemp(prefix="kiosk-csv-side-", suffix=".db", dir=source.parent)[1])
    shutil.copyfile(source, target)
    return target


def _cells(runs: list[dict[str, Any]]) -> tuple[str, str]:
    walls = [run["wall"] for run in runs]
    cpus = [run["cpu"] for run in runs]
    return (
        f"{min(walls):.2f} ({statistics.median(walls):.2f})",
        f"{min(cpus):.2f} ({statistics.median(cpus):.2f})",
    )


def show(results: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
    rows = []
    for task in TASKS:
        old, new = results[(task, "old")], results[(task, "new")]
        old_wall, old_cpu = _cells(old)
        new_wall, new_cpu = _cells(new)
        cpu_ratio = statistics.median(r["cpu"] for r in new) / statistics.median(
            r["cpu"] for r in old
        )
        wall_ratio = statistics.median(r["wall"] for r in new) / statistics.median(
            r["wall"] for r in old
        )
        rows.append(
            [
                task,
                f"{new[0]['rows']:,}",
                old_wall,
                new_wall,
                old_cpu,
                new_cpu,
                f"{wall_ratio:.2f}x",
                f"{cpu_ratio:.2f}x",
            ]
        )
    headers = [
        "task",
        "rows",
        "before wall s, best (median)",
        "after wall s",
        "before CPU s",
        "after CPU s",
        "after/before wall (medians)",
        "after/before CPU",
    ]
    print_table("CSV exports, before and after issue 16", headers, rows)
    print("load average:", ", ".join(f"{load:.1f}" for load in os.getloadavg()), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print("load average at start:", ", ".join(f"{x:.1f}" for x in os.getloadavg()), flush=True)
    source = migrated_copy()
    scratch = Path(tempfile.mkdtemp(prefix="kiosk-bench-csv-"))
    copies = {"old": _copy(source), "new": _copy(source)}
    sides = {
        "old": Side("old", args.baseline.resolve(), copies["old"], scratch),
        "new": Side("new", TREE, copies["new"], scratch),
    }
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    try:
        for round_ in range(args.rounds):
            for task in TASKS:
                for name in turn_order(round_):
                    results.setdefault((task, name), []).append(sides[name].run(task))
            print(f"round {round_ + 1} done", flush=True)
            show(results)
    finally:
        clean_up(sides, scratch, {**copies, "source": source})


if __name__ == "__main__":
    main()
