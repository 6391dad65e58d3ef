"""Issue 13's side-by-side: the original commit's code and this tree's, on the same year of
a large school (benchmarks/reports.py builds it: ~600,000 audit events), interleaved, for
the four exports, verify-log and the dashboard; wall and CPU time (CPU includes the old
code's worker processes). Beside each CSV export, the ``sqlite3`` shell's own ``.mode csv``
dump of the same joined rows: the practical floor.

The hand-in p95 (benchmarks/handin.py --quick, SQLite, the same year) and scan-to-paint
p95 (benchmarks/scan_to_paint.py, a new hand-in by scanner burst) run in the same rounds:
this tree's scripts, each run once with the old code on its import path and once with the
new, reporting their figures through ``_support.record``. Cold start is
benchmarks/coldstart_side.py's: each tree's own demo school with today's backup made,
``kiosk run`` spawned to ready, old and new alternated.

    .venv/bin/python benchmarks/redesign.py [--baseline /work/baseline] [--rounds 3]

The old side runs with cwd and import path at ``--baseline`` (a checkout of the commit
before the redesign), the new side in this tree; each on a private copy of the year: the
old side's built by the old tree's own reports.py at its schema and hashing (this tree's
cache has a newer schema and salted audit details the old code cannot verify), the same
pupils, days and events.
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

import coldstart_side
from _table import print_table
from reports import CACHE, YEAR, build, original_year, working_copy
from sqlalchemy.dialects import sqlite

from kiosk.services.reports import audit_log, custody_log

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
}
TAKES_YEAR = {"hand-in p95 ms"}  # given the side's own year with --year
COLD_START = "cold start s"
COLD_RUNS = 3  # a side's starts a round; their medians are its figures
TASKS = (*IN_RUNNER, *SCRIPTS, COLD_START)


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


class ColdStarts:
    """Cold start by coldstart_side.py's own steps: each tree's demo school, built by its
    own code with today's backup made (else each start redoes part of it), then ``kiosk
    run`` spawned to ready, the sides' starts alternated."""

    def __init__(self, trees: dict[str, Path], scratch: Path) -> None:
        self.trees = trees
        self.folders = {name: scratch / f"coldstart-{name}" for name in trees}
        self.cards: dict[str, str] = {}

    def round(self, order: tuple[str, ...]) -> dict[str, dict[str, Any]]:
        for name in order:
            if name not in self.cards:
                self.cards[name] = coldstart_side.prepare(self.trees[name], self.folders[name])
                self._start(name)  # warms the bytecode cache and the OS's
        starts: dict[str, list[dict[str, Any]]] = {name: [] for name in order}
        for _ in range(COLD_RUNS):
            for name in order:
                starts[name].append(self._start(name))
        return {
            name: {
                "wall": statistics.median(start["ready"] for start in runs),
                "cpu": statistics.median(start["cpu"] for start in runs),
                "rows": 1,
            }
            for name, runs in starts.items()
        }

    def _start(self, name: str) -> dict[str, Any]:
        tree, folder = self.trees[name], self.folders[name]
        return coldstart_side.one_start(tree, folder, self.cards[name], "ready", False)


def turn_order(round_: int) -> tuple[str, str]:
    """Old first in even rounds, new first in odd ones: neither side always goes first."""
    return ("old", "new") if round_ % 2 == 0 else ("new", "old")


def clean_up(sides: dict[str, Side], scratch: Path, copies: dict[str, Path]) -> None:
    """Stop the sides' processes; delete the scratch folder and the database copies."""
    for side in sides.values():
        side.close()
    shutil.rmtree(scratch, ignore_errors=True)
    for copy in copies.values():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)


def run_script(task: str, tree: Path, scratch: Path, year: Path) -> dict[str, Any]:
    """One run of a benchmark script of this tree with ``tree``'s kiosk on its import path
    (and, where it takes one, ``year`` as its year database); its figures for ``task``
    (wall, cpu). A run that gives no figure is tried once more, then counted as failed
    (its error printed) rather than ending the whole comparison."""
    arguments, wall_figure, cpu_figure = SCRIPTS[task]
    if task in TAKES_YEAR:
        arguments = [*arguments, "--year", str(year)]
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
        received = (which.starts, which.ends)
        query = custody_log.custody_query(which, received)
    else:
        first, last = YEAR_SEQS
        query = audit_log.audit_query(which, (first, last))
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
    trees = {"old": args.baseline.resolve(), "new": args.tree.resolve()}
    years = {"old": original_year(trees["old"]), "new": CACHE}
    copies = {side: working_copy(years[side]) for side in ("old", "new")}
    copies["floor"] = working_copy(CACHE)
    sides = {name: Side(name, trees[name], copies[name], scratch) for name in trees}
    cold_starts = ColdStarts(trees, scratch)
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    try:
        for round_ in range(args.rounds):
            for task in args.tasks:
                order = turn_order(round_)
                if task == COLD_START:
                    answers = cold_starts.round(order)
                for name in order:
                    if task == COLD_START:
                        answer = answers[name]
                    elif task in SCRIPTS:
                        answer = run_script(task, trees[name], scratch, years[name])
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
        clean_up(sides, scratch, copies)


def _walls(runs: list[dict[str, Any]]) -> list[float]:
    return [run["wall"] for run in runs if run["wall"] == run["wall"]]  # NaN: a failed run


def _cpus(runs: list[dict[str, Any]]) -> list[float]:
    return [run["cpu"] for run in runs if run["cpu"] == run["cpu"]]


def _figure(value: float) -> str:
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"  # the dashboard's are ~0.01 s


def _least_and_median(values: list[float]) -> str:
    """The least and the median of the runs (the CPU columns are the ones to compare on a
    busy machine: the load moves CPU time far less than wall time)."""
    if not values:
        return "failed"
    return f"{_figure(min(values))} ({_figure(statistics.median(values))})"


def _ratio(new: list[float], old: list[float]) -> str:
    if not new or not old:
        return "failed"
    least = min(new) / min(old)
    return f"{least:.2f}x ({statistics.median(new) / statistics.median(old):.2f}x)"


def _rows(task: str, results: dict[tuple[str, str], list[dict[str, Any]]]) -> str:
    """The new side's row count (a range: the exports add their own audit events, which
    verify then counts), and the old side's where it differs."""
    if task not in IN_RUNNER:
        return ""

    def counts(side: str) -> str:
        rows = [run["rows"] for run in results[(task, side)]]
        low, high = min(rows), max(rows)
        return f"{low:,}" if low == high else f"{low:,}-{high:,}"

    new, old = counts("new"), counts("old")
    return new if old == new else f"{new} (old {old})"


def show(results: dict[tuple[str, str], list[dict[str, Any]]], tasks: list[str], n: int) -> None:
    rows = []
    for task in tasks:
        old, new = results[(task, "old")], results[(task, "new")]
        floor_cells = ["", "", ""]
        if (task, "floor") in results:
            floor = results[(task, "floor")]
            floor_wall, floor_cpu = min(_walls(floor)), min(_cpus(floor))
            floor_cells = [
                f"{floor_wall:.2f} / {floor_cpu:.2f}",
                f"{min(_walls(new)) / floor_wall:.2f}x / {min(_cpus(new)) / floor_cpu:.2f}x",
                f"{floor[0]['rows']:,}",
            ]
        rows.append(
            [
                task,
                _rows(task, results),
                _least_and_median(_walls(old)),
                _least_and_median(_walls(new)),
                _least_and_median(_cpus(old)),
                _least_and_median(_cpus(new)),
                _ratio(_walls(new), _walls(old)),
                _ratio(_cpus(new), _cpus(old)),
                *floor_cells,
            ]
        )
    headers = [
        "task",
        "rows",
        "old wall best (median)",
        "new wall best (median)",
        "old cpu least (median)",
        "new cpu least (median)",
        "new/old wall",
        "new/old cpu",
        "sqlite3 .mode csv wall / cpu s",
        "new/floor wall / cpu",
        "floor rows",
    ]
    title = (
        f"Old (baseline) and new code, interleaved, {n} rounds; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (at the start: {LOAD_AT_START}). "
        "Seconds, cpu including worker processes; ratios best/best (median/median); new/floor "
        "is best over best. For the scripts' tasks, wall is their figure in ms (p95 "
        "or median) and cpu theirs (hand-in: CPU p95 ms; scan: CPU ms a scan, the worker's "
        f"included); cold start: spawn to ready, the median of {COLD_RUNS} starts a round, "
        "and their median CPU s."
    )
    print_table(title, headers, rows)


if __name__ == "__main__":
    main()
