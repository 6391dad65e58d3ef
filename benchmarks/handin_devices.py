"""Issue 17's side-by-side: the hand-in on the year database (benchmarks/reports.py's school:
1,500 pupils, ~600,000 audit events), the original commit's code beside this tree's, in one
run, interleaved batch by batch, each side on its own copy of the database (this tree's
copy migrated first: every past custody becomes one phone item). Wall time is what a pupil
waits; CPU is the side's own process time. This tree also times pupils handing in a phone
and a watch with one scan (their usual devices), which the old code cannot do.

    .venv/bin/python benchmarks/handin_devices.py [--baseline /work/baseline] [--rounds 4]
        [--batch 100] [--also NAME=TREE]

``--also`` adds a third side (e.g. a checkout of main without this branch) to tell what this
branch costs apart from what else changed since the original.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

from _support import load_note, percentile
from _table import print_table
from reports import CACHE, build

HERE = Path(__file__).resolve().parent
TREE = HERE.parent
RUNNER = HERE / "_handin_side.py"
TARGET_RATIO = 1.2


class Side:
    def __init__(self, name: str, tree: Path, database: Path) -> None:
        self.name = name
        env = dict(os.environ, PYTHONPATH=str(tree))
        self.process = subprocess.Popen(
            [sys.executable, str(RUNNER), str(database)],
            cwd=tree,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._answer()
        self.wall: dict[int, list[float]] = {}
        self.cpu: dict[int, list[float]] = {}

    def run(self, first: int, count: int, devices: int) -> None:
        stdin: IO[str] | None = self.process.stdin
        assert stdin is not None
        stdin.write(f"{first} {count} {devices}\n")
        stdin.flush()
        answer = self._answer()
        # the first call of a side pays for connecting and compiling: left out
        skip = 0 if devices in self.wall else 1
        self.wall.setdefault(devices, []).extend(answer["wall"][skip:])
        self.cpu.setdefault(devices, []).extend(answer["cpu"][skip:])

    def _answer(self) -> dict[str, Any]:
        stdout: IO[str] | None = self.process.stdout
        assert stdout is not None
        line = stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.name} side stopped")
        return dict(json.loads(line))

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def row(side: Side, devices: int) -> list[object]:
    wall, cpu = side.wall[devices], side.cpu[devices]
    what = "phone" if devices == 1 else "phone + watch (one scan)"
    return [
        side.name,
        what,
        len(wall),
        f"{percentile(wall, 0.5):.2f}",
        f"{percentile(wall, 0.95):.2f}",
        f"{percentile(cpu, 0.5):.2f}",
        f"{percentile(cpu, 0.95):.2f}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, default=Path("/work/baseline"))
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--also", help="NAME=TREE: a third side, timed like the original")
    args = parser.parse_args()
    if not CACHE.is_file():
        print(f"Building {CACHE} (once; a minute or two)...", flush=True)
        build(CACHE)
    work = Path(tempfile.mkdtemp(prefix="handin-devices-"))
    try:
        trees = [("original", args.baseline), ("this tree", TREE)]
        if args.also:
            name, _, tree = args.also.partition("=")
            trees.insert(1, (name, Path(tree)))
        print("Starting the sides (each migrates its own copy)...", flush=True)
        sides = []
        for index, (name, tree) in enumerate(trees):
            shutil.copyfile(CACHE, work / f"{index}.db")
            sides.append(Side(name, tree, work / f"{index}.db"))
        old, new = sides[0], sides[-1]
        half = 750  # phone-only pupils from 1, phone-and-watch pupils from 751
        for r in range(args.rounds):
            first = 1 + r * args.batch
            for side in sides if r % 2 == 0 else sides[::-1]:  # none always goes first
                side.run(first, args.batch, 1)
            new.run(half + first, args.batch, 2)
        for side in sides:
            side.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_table(
        f"Hand-in by card on the year database, ms (first call of each left out); {load_note()}",
        ["code", "devices", "n", "wall p50", "wall p95", "cpu p50", "cpu p95"],
        [*(row(side, 1) for side in sides), row(new, 2)],
    )
    old_p95 = percentile(old.wall[1], 0.95)
    for side in sides[1:-1]:
        print(
            f"this tree / {side.name}, p95 (phone): "
            f"wall {percentile(new.wall[1], 0.95) / percentile(side.wall[1], 0.95):.2f}x, "
            f"cpu {percentile(new.cpu[1], 0.95) / percentile(side.cpu[1], 0.95):.2f}x"
        )
    for devices in (1, 2):
        ratio = percentile(new.wall[devices], 0.95) / old_p95
        cpu_ratio = percentile(new.cpu[devices], 0.95) / percentile(old.cpu[1], 0.95)
        print(
            f"this tree / original, p95 ({'phone' if devices == 1 else 'phone + watch'}): "
            f"wall {ratio:.2f}x, cpu {cpu_ratio:.2f}x (target <= {TARGET_RATIO}x)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
