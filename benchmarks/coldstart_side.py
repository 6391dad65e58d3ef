"""Cold start, the old code and this tree side by side (issue 13: at most 1.1x the old).

Each tree builds its own demo school (300 pupils, 4 days, SQLite) with its own code; then
``kiosk run --windowed --camera none`` is spawned for each in turn, alternated, and stopped
at "ready" (the first turn of the event loop with the idle pupil screen shown), or at the
answer to one card scanned (``--stop answered``). Per run: CPU seconds of the process
(user + system), wall seconds to ready and to the end; with ``--callgrind N``, N more runs
each under ``valgrind --tool=callgrind`` for the instructions executed, which do not
depend on the machine's load. Bytecode is cached per tree (as an installed kiosk's is);
one run each first warms it and the OS cache.

    .venv/bin/python benchmarks/coldstart_side.py [--baseline /work/baseline] [--runs 7]
        [--callgrind 2] [--stop ready|answered]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TREE = HERE.parent


def prepare(tree: Path, folder: Path) -> str:
    """A demo school made by ``tree``'s own code in ``folder/data``, with today's backup
    made (else every start, stopped at ready, would redo part of it in the background, as
    only a kiosk's first start of the day does); a valid card text."""
    script = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[2]);"
        "from _support import engine_and_sessions;"
        "from kiosk.config import sqlite_url; from kiosk.db import open_database;"
        "from kiosk.demo import build_demo; from kiosk.services import settings;"
        "data = Path(sys.argv[1]) / 'data'; data.mkdir(parents=True);"
        "engine, sessions = engine_and_sessions(open_database(sqlite_url(data / 'kiosk.db')));"
        "settings.ensure_install(sessions);"
        "school = build_demo(sessions, pupils=300, slot_count=120, days=4); engine.dispose();"
        "from kiosk.config import load_config; from kiosk.services import backup;"
        "backup.ensure_daily_backup(load_config(data));"
        "print(school.card_texts[school.pupil_ids[0]])"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(folder), str(HERE)],
        cwd=tree,
        env=_env(tree, folder),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def _env(tree: Path, folder: Path) -> dict[str, str]:
    env = dict(
        os.environ,
        PYTHONPATH=str(tree),
        KIOSK_DATA_DIR=str(folder / "data"),
        QT_QPA_PLATFORM="offscreen",
        PYTHONPYCACHEPREFIX=str(folder / "bytecode"),
    )
    env.pop("KIOSK_DATABASE_URL", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


# The spawned process is coldstart.py's child: "ready" stops there, "scanner" (--stop
# answered) scans one card through the USB scanner's way in and stops at the answer.
CHILD_MODE = {"ready": "ready", "answered": "scanner"}


def one_start(tree: Path, folder: Path, card: str, stop: str, callgrind: bool) -> dict:
    command = [sys.executable, str(HERE / "coldstart.py"), "--child", CHILD_MODE[stop], card]
    if callgrind:
        out = folder / f"callgrind.{time.time_ns()}"
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    spawned = time.time()
    done = subprocess.run(
        command, cwd=tree, env=_env(tree, folder), capture_output=True, text=True, timeout=900
    )
    wall = time.time() - spawned
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{tree}: the kiosk did not report ready:\n{done.stderr[-2000:]}")
    marks = json.loads(lines[-1])
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    run = {"cpu": cpu, "ready": marks["ready"] - spawned, "wall": wall}
    if callgrind:
        run["instructions"] = int(re.findall(r"Collected : (\d+)", done.stderr)[-1])
        out.unlink()
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, default=Path("/work/baseline"))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--callgrind", type=int, default=0, help="runs under callgrind")
    parser.add_argument("--stop", choices=["ready", "answered"], default="ready")
    args = parser.parse_args()
    trees = {"old": args.baseline.resolve(), "new": TREE}
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-coldside-") as name:
        folders = {side: Path(name) / side for side in trees}
        cards = {side: prepare(trees[side], folders[side]) for side in trees}
        runs: dict[str, list[dict]] = {side: [] for side in trees}
        order = list(trees)
        for side in order:  # warm the bytecode and the OS cache
            one_start(trees[side], folders[side], cards[side], args.stop, False)
        for index in range(args.runs + args.callgrind):
            for side in order:
                callgrind = index >= args.runs
                run = one_start(trees[side], folders[side], cards[side], args.stop, callgrind)
                runs[side].append(run)
            order.reverse()
    print(f"spawn to {args.stop}; load average now {os.getloadavg()[0]:.1f}")
    print("| measure | old | new | new / old |\n| --- | --- | --- | --- |")
    for key, unit in (("instructions", "G"), ("cpu", "s"), ("ready", "s"), ("wall", "s")):
        counted = key == "instructions"  # CPU and times only of the runs without valgrind
        old = [r[key] for r in runs["old"] if ("instructions" in r) == counted]
        new = [r[key] for r in runs["new"] if ("instructions" in r) == counted]
        if not old:
            continue
        scale = 1e9 if key == "instructions" else 1
        o, n = statistics.median(old) / scale, statistics.median(new) / scale
        print(f"| {key} median of {len(old)} | {o:.3f} {unit} | {n:.3f} {unit} | {n / o:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
