"""Run every benchmark in this folder, each in its own process with a time limit, and print
one combined table.

    .venv/bin/python benchmarks/run_all.py            # the full runs (30-40 minutes)
    .venv/bin/python benchmarks/run_all.py --quick    # short runs (about 10 minutes)
    .venv/bin/python benchmarks/run_all.py --only handin memory

Every ``*.py`` here except this file and ``_*.py`` helpers is a benchmark, including ones
added later. ``--quick`` is passed on to the scripts that accept it. Each script's own
tables are printed as it finishes (and kept in ``--log-dir``); the combined table at the
end lists the headline figures the scripts reported through ``_support.record`` and, for a
script that reports none, its exit status and the last lines of its output. Exit status 1
if any script failed or ran out of time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from _support import RESULTS_ENV, load_note
from _table import print_table

HERE = Path(__file__).resolve().parent
FULL_LIMIT_S, QUICK_LIMIT_S = 45 * 60, 10 * 60


@dataclass
class Outcome:
    script: str
    status: str  # "ok", "exit N", "timed out after N s"
    seconds: float
    output: str
    results: list[dict[str, str]] = field(default_factory=list)


def benchmarks(only: list[str], skip: list[str]) -> list[Path]:
    found = sorted(
        p for p in HERE.glob("*.py") if not p.name.startswith("_") and p.name != Path(__file__).name
    )
    if only:
        found = [p for p in found if p.stem in only]
    return [p for p in found if p.stem not in skip]


def accepts_quick(script: Path) -> bool:
    return '"--quick"' in script.read_text(encoding="utf-8")


def run(script: Path, *, quick: bool, limit: float, log_dir: Path) -> Outcome:
    results = log_dir / f"{script.stem}.results.jsonl"
    results.unlink(missing_ok=True)
    command = [sys.executable, str(script)]
    if quick and accepts_quick(script):
        command.append("--quick")
    env = {**os.environ, RESULTS_ENV: str(results)}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(f"\n=== {script.name} {' '.join(command[2:])}", flush=True)
    began = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            cwd=HERE.parent,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=limit,
            check=False,
        )
        output, status = done.stdout, "ok" if done.returncode == 0 else f"exit {done.returncode}"
    except subprocess.TimeoutExpired as expired:
        output = _text(expired.stdout)
        status = f"timed out after {limit:.0f} s"
    seconds = time.perf_counter() - began
    (log_dir / f"{script.stem}.log").write_text(output, encoding="utf-8")
    print(output, flush=True)
    print(f"=== {script.name}: {status} in {seconds:.0f} s", flush=True)
    return Outcome(script.stem, status, seconds, output, _read_results(results))


def _text(value: bytes | str | None) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value or ""


def _read_results(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def combined_rows(outcomes: list[Outcome]) -> list[list[object]]:
    rows: list[list[object]] = []
    for outcome in outcomes:
        for r in outcome.results:
            rows.append([outcome.script, r["measure"], r["value"], r["target"], r["met"]])
        if not outcome.results or outcome.status != "ok":
            rows.append([outcome.script, "script", _last_words(outcome), "runs to the end", ""])
        rows.append(
            [outcome.script, "wall time", f"{outcome.seconds:.0f} s ({outcome.status})", "", ""]
        )
    return rows


def _last_words(outcome: Outcome) -> str:
    if outcome.status == "ok":
        return "ok (its own tables above)"
    lines = [line.strip() for line in outcome.output.splitlines() if line.strip()]
    return f"{outcome.status}: {lines[-1][:80] if lines else 'no output'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs (passes --quick on)")
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME", help="e.g. handin")
    parser.add_argument("--skip", nargs="+", default=[], metavar="NAME")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per script")
    parser.add_argument("--log-dir", type=Path, default=None, help="keep each script's output")
    args = parser.parse_args()
    limit = args.timeout or (QUICK_LIMIT_S if args.quick else FULL_LIMIT_S)
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="kiosk-benchmarks-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    scripts = benchmarks(args.only, args.skip)
    print(f"Running {len(scripts)} benchmarks ({'quick' if args.quick else 'full'}); {load_note()}")
    outcomes = [run(s, quick=args.quick, limit=limit, log_dir=log_dir) for s in scripts]
    print_table(
        f"All benchmarks ({'quick' if args.quick else 'full'} runs); {load_note()} at the end. "
        f"Each script's output is in {log_dir}.",
        ["benchmark", "measure", "value", "target", "met"],
        combined_rows(outcomes),
    )
    return 0 if all(o.status == "ok" for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
