"""Issue 18's side-by-side for the governors' PDF with its pages for inspectors: a tree
without them (``--baseline``, e.g. a checkout of main) and this tree, on the same year of
a large school (benchmarks/reports.py builds it: 1,500 pupils, 195 school days, ~600,000
audit events), interleaved, each side a long-lived process on its own copy (this tree's
copy migrated first). Tasks: "summary figures" (the counts alone: the one pass over the
year's custodies, where the evidence is tallied, and the small queries) and "summary PDF"
(the whole export: figures, the audit chain's check and the PDF). Wall and CPU seconds.

    PYTHONPATH=. .venv/bin/python benchmarks/governors.py --baseline /path/to/main [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _table import print_table
from redesign import Side, clean_up, turn_order
from reports import CACHE, build, working_copy

from kiosk.config import sqlite_url

TREE = Path(__file__).resolve().parent.parent
TASKS = ("summary figures", "summary PDF")


def _migrated(copy: Path, tree: Path) -> Path:
    """The copy at ``tree``'s newest schema. A cache built before migrations 0005, 0007 and
    0009 were chained in before 0006 says it is at 0006 while it lacks them: it is put back
    to 0004 (0006's table and column are dropped, both empty) and upgraded from there."""
    with sqlite3.connect(copy) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(custodies)")}
        if "late" not in columns:
            conn.execute("DROP TABLE IF EXISTS pin_tries")
            conn.execute("ALTER TABLE staff DROP COLUMN pin_locked_at")
            conn.execute("UPDATE alembic_version SET version_num = '0004'")
    script = "import sys; from kiosk.db import open_database; open_database(sys.argv[1])"
    env = dict(os.environ, PYTHONPATH=str(tree))
    subprocess.run([sys.executable, "-c", script, sqlite_url(copy)], cwd=tree, env=env, check=True)
    return copy


def _cell(runs: list[dict[str, Any]], key: str) -> str:
    values = [run[key] for run in runs]
    return f"{min(values):.2f} ({statistics.median(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    load_at_start = ", ".join(f"{load:.1f}" for load in os.getloadavg())
    if not CACHE.is_file():
        build(CACHE)
    scratch = Path(tempfile.mkdtemp(prefix="kiosk-bench-governors-"))
    print("Migrating each side's copy with its own tree (once)...", flush=True)
    copies = {
        "old": _migrated(working_copy(CACHE), args.baseline.resolve()),
        "new": _migrated(working_copy(CACHE), TREE),
    }
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
    finally:
        clean_up(sides, scratch, copies)
    rows = []
    for task in TASKS:
        old, new = results[(task, "old")], results[(task, "new")]
        ratio = min(r["wall"] for r in new) / min(r["wall"] for r in old)
        cpu_ratio = min(r["cpu"] for r in new) / min(r["cpu"] for r in old)
        rows.append(
            [
                task,
                _cell(old, "wall"),
                _cell(new, "wall"),
                _cell(old, "cpu"),
                _cell(new, "cpu"),
                f"{ratio:.2f}x",
                f"{cpu_ratio:.2f}x",
            ]
        )
    print_table(
        f"Without and with the inspectors' pages, interleaved, best (median) of "
        f"{args.rounds}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
        f"(at the start: {load_at_start})",
        [
            "task",
            "old wall s",
            "new wall s",
            "old cpu s",
            "new cpu s",
            "new/old wall",
            "new/old cpu",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
