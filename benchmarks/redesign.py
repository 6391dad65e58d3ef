"""Issue 13's side-by-side: the original commit's code and this tree's, on the same year of
a large school (benchmarks/reports.py builds it: ~600,000 audit events), interleaved, for
the four exports, verify-log and the dashboard; wall and CPU time (CPU includes the old
code's worker processes). Beside each CSV export, the ``sqlite3`` shell's own ``.mode csv``
dump of the same joined rows: the practical floor.

The hand-in p95 (benchmarks/handin.py --quick, SQLite, the same year), scan-to-paint p95
(benchmarks/scan_to_paint.py, a new hand-in by scanner burst) and cold start
(benchmarks/coldstart.py, spawn to scan-ready with a USB scanner) run in the same rounds:
this tree's scripts, each run once with the old code on its import path and once with the
new, reporting their figures through ``_support.record``.

    .venv/bin/python benchmarks/redesign.py [--baseline /work/baseline] [--rounds 3]

The old side runs with cwd and import path at ``--baseline`` (a checkout of the commit
before the redesign), the new side in this tree; each on a private copy of the database.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from _table import print_table
from reports import CACHE, YEAR, build, working_copy
from sqlalchemy.dialects import sqlite

from kiosk.services.reports import audit_log, custody_log, filter

HERE = Path(__file__).resolve().parent
TREE = HERE.parent
RUNNER = HERE / "_redesign_runner.py"
IN_RUNNER = ("custody CSV", "audit CSV", "custody XLSX", "audit XLSX", "verify-log", "dashboard")
# task: (script and its arguments, the figure taken as wall, the figure taken as CPU)
SCRIPTS = {
    "hand-in p95 ms": (
        ["handin.py", "--quick", "--backend", "sqlite"],
        "hand-in p95, SQLite",
        "hand-in CPU p95, SQLite",
    ),
    "scan-to-paint p95 ms": (
        ["scan_to_paint.py", "--scans", "40"],
        "p95, new hand-in, scanner burst",
        "CPU a scan, new hand-in, scanner burst",
    ),
    "cold start s": (
        ["coldstart.py", "--runs", "3"],
        "spawn to scan-ready, scanner",
        "CPU of a run, scanner",
    ),
}
TASKS = (*IN_RUNNER, *SCRIPTS)


class Side:
    """One tree's runner process, sent tasks one at a time."""

    def __init__(self, name: str, tree: Path, database: Path, out_dir: Path) -> None:
        self.name = name
        env = dict(os.environ, PYTHONPATH=str(tree))
        self.process = subprocess.Popen(
            [sys.executable, str(RUNNER), str(database), str(out_dir)],
            cwd=tree,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._answer()  # ready

    def run(self, task: str) -> dict[str, Any]:
        stdin: IO[str] | None = self.process.stdin
        assert stdin is not None
        stdin.write(task + "\n")
        stdin.flush()
        return self._answer()

    def _answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.name} side stopped")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def run_script(task: str, tree: Path, scratch: Path) -> dict[str, Any]:
    """One run of a benchmark script of this tree with ``tree``'s kiosk on its import path;
    its figures for ``task`` (wall, cpu). A run that gives no figure is tried once more,
    then counted as failed (its error printed) rather than ending the whole comparison."""
    arguments, wall_figure, cpu_figure = SCRIPTS[task]
    results = scratch / "figures.jsonl"
    env = dict(os.environ, PYTHONPATH=str(tree), KIOSK_BENCH_RESULTS=str(results))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    script = [sys.executable, str(HERE / arguments[0]), *arguments[1:]]
    error = ""
    for _attempt in range(2):
        results.unlink(missing_ok=True)
        done = subprocess.run(
            script, cwd=tree, env=env, capture_output=True, text=True, check=False
        )
        lines = results.read_text(encoding="utf-8").splitlines() if results.exists() else []
        figures = {}
        for line in lines:
            figure = json.loads(line)
            figures[figure["measure"]] = float(figure["value"].split()[0])
        if wall_figure in figures:
            cpu = figures.get(cpu_figure, float("nan"))
            return {"wall": figures[wall_figure], "cpu": cpu, "rows": 1}
        error = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "no output"
    print(f"{task} with {tree} failed twice: {error}", flush=True)
    return {"wall": float("nan"), "cpu": float("nan"), "rows": 0, "failed": error}


def joined_sql(kind: str) -> str:
    """The log's rows as one joined query (this tree's), the values written in."""
    which = YEAR.checked()
    if kind == "custody":
        query = custody_log.custody_query(which, filter.formula_safe)
    else:
        first, last = YEAR_SEQS
        query = audit_log.audit_query(which, (first, last), filter.formula_safe)
    compiled = query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
    return str(compiled)


LOAD_AT_START = ""
YEAR_SEQS = (1, 2**62)  # every event: the period covers the whole year's log


def sqlite_floor(database: Path, kind: str, out: Path) -> dict[str, float]:
    """The sqlite3 shell writing the same rows as CSV (no time zone, no words)."""
    script = f".mode csv\n.headers on\n.output {out}\n{joined_sql(kind)};\n"
    before, wall = os.times(), time.perf_counter()
    subprocess.run(["sqlite3", "-readonly", str(database)], input=script, text=True, check=True)
    wall, after = time.perf_counter() - wall, os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    rows = sum(1 for _ in out.open(encoding="utf-8", newline="")) - 1
    out.unlink()
    return {"wall": wall, "cpu": cpu, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, default=Path("/work/baseline"))
    parser.add_argument("--tree", type=Path, default=TREE, help="the new code (default: here)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tasks", nargs="*", default=list(TASKS))
    args = parser.parse_args()
    global LOAD_AT_START
    LOAD_AT_START = ", ".join(f"{load:.1f}" for load in os.getloadavg())
    if not CACHE.is_file():
        print(f"Building {CACHE} (once)...", flush=True)
        build(CACHE)
    scratch = Path(tempfile.mkdtemp(prefix="kiosk-bench-redesign-"))
    copies = {side: working_copy(CACHE) for side in ("old", "new", "floor")}
    sides = {
        "old": Side("old", args.baseline.resolve(), copies["old"], scratch),
        "new": Side("new", args.tree.resolve(), copies["new"], scratch),
    }
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    try:
        for round_ in range(args.rounds):
            for task in args.tasks:
                order = ("old", "new") if round_ % 2 == 0 else ("new", "old")
                for name in order:
                    if task in SCRIPTS:
                        tree = args.baseline if name == "old" else args.tree
                        answer = run_script(task, tree.resolve(), scratch)
                    else:
                        answer = sides[name].run(task)
                    results.setdefault((task, name), []).append(answer)
                if task.endswith("CSV"):
                    kind = task.split()[0]
                    floor = sqlite_floor(copies["floor"], kind, scratch / "floor.csv")
                    results.setdefault((task, "floor"), []).append(floor)
                print(f"round {round_ + 1}: {task} done", flush=True)
            show(results, args.tasks, round_ + 1)
    finally:
        for side in sides.values():
            side.close()
        shutil.rmtree(scratch, ignore_errors=True)
        for copy in copies.values():
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    done = [run for run in runs if run["wall"] == run["wall"]] or runs  # NaN: a failed run
    return min(done, key=lambda run: run["wall"])


def _median(runs: list[dict[str, Any]]) -> float:
    done = [run["wall"] for run in runs if run["wall"] == run["wall"]]
    return statistics.median(done) if done else float("nan")


def _cpu(runs: list[dict[str, Any]]) -> str:
    """The least and the median CPU time of the runs: the load moves CPU time far less
    than wall time, so these are the figures to compare on a busy machine."""
    done = [run["cpu"] for run in runs if run["cpu"] == run["cpu"]]
    if not done:
        return "failed"
    return f"{min(done):.2f} ({statistics.median(done):.2f})"


def show(results: dict[tuple[str, str], list[dict[str, Any]]], tasks: list[str], n: int) -> None:
    rows = []
    for task in tasks:
        old, new = _best(results[(task, "old")]), _best(results[(task, "new")])
        old_median, new_median = _median(results[(task, "old")]), _median(results[(task, "new")])
        floor_cells = ["", "", ""]
        if (task, "floor") in results:
            floor = _best(results[(task, "floor")])
            floor_cells = [
                f"{floor['wall']:.2f} / {floor['cpu']:.2f}",
                f"{new['wall'] / floor['wall']:.2f}x",
                f"{floor['rows']:,}",
            ]
        rows.append(
            [
                task,
                f"{new['rows']:,}" if task in IN_RUNNER else "",
                f"{old['wall']:.2f} ({old_median:.2f})",
                f"{new['wall']:.2f} ({new_median:.2f})",
                _cpu(results[(task, "old")]),
                _cpu(results[(task, "new")]),
                f"{new['wall'] / old['wall']:.2f}x",
                *floor_cells,
            ]
        )
    headers = [
        "task",
        "rows",
        "old wall s best (median)",
        "new wall s best (median)",
        "old cpu s least (median)",
        "new cpu s least (median)",
        "new/old wall",
        "sqlite3 .mode csv wall/cpu s",
        "new/floor",
        "floor rows",
    ]
    title = (
        f"Old (baseline) and new code, interleaved, best of {n} rounds; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (at the start: {LOAD_AT_START}). "
        "cpu includes worker processes; for the scripts' tasks, wall is their figure (p95 "
        "or median) and cpu theirs (hand-in: CPU p95 ms; scan: CPU ms a scan, the worker's "
        "included; cold start: the run's CPU s)."
    )
    print_table(title, headers, rows)


if __name__ == "__main__":
    main()
