"""Issue 17's side-by-side: the hand-in on the year database (the original tree's
benchmarks/reports.py school: 1,500 pupils, ~600,000 audit events), the original commit's
code beside this tree's, in one run, each side on its own copy of the database (this tree's
copy migrated first: every past custody becomes one phone item). Each round is a school
day: a batch of each kind of hand-in, the sides taking turns of 20 scans (none always
first), then home time gives every device back. Wall time is what a pupil waits; CPU is the
side's own process time.

Kinds: a phone in the morning; a late hand-in (after the window closed); a pupil who sits
an exam that day (this tree records the exam session first and reminds them; the original
has no exams and hands them in plainly); and a phone and a watch (the pupils' usual
devices) in one scan, against the original's plain hand-in of the same pupils.

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
from reports import original_year

HERE = Path(__file__).resolve().parent
TREE = HERE.parent
RUNNER = HERE / "_handin_side.py"
TARGET_RATIO = 1.2
TURN = 20  # scans a side makes before the other takes its turn
PUPILS = 1500  # in the year
KINDS = {
    "phone": "phone",
    "late": "phone, late",
    "exam": "phone, exam day",
    "watch": "phone + watch (one scan)",
}


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
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}

    def run(self, day: int, flavour: str, first: int, count: int) -> None:
        answer = self._ask(f"batch {day} {flavour} {first} {count}")
        # the first call of each kind pays for connecting and compiling: left out
        skip = 0 if flavour in self.wall else 1
        self.wall.setdefault(flavour, []).extend(answer["wall"][skip:])
        self.cpu.setdefault(flavour, []).extend(answer["cpu"][skip:])

    def home_time(self, day: int) -> None:
        self._ask(f"home {day}")

    def _ask(self, line: str) -> dict[str, Any]:
        stdin: IO[str] | None = self.process.stdin
        assert stdin is not None
        stdin.write(line + "\n")
        stdin.flush()
        return self._answer()

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


def kind_words(side: Side, flavour: str) -> str:
    if flavour == "watch" and side.name == "original":
        return "phone (the watch pupils)"  # the original has no watches: a plain hand-in
    return KINDS[flavour]


def row(side: Side, flavour: str) -> list[object]:
    wall, cpu = side.wall[flavour], side.cpu[flavour]
    return [
        side.name,
        kind_words(side, flavour),
        len(wall),
        *(f"{percentile(wall, share):.2f}" for share in (0.5, 0.95, 0.99)),
        *(f"{percentile(cpu, share):.2f}" for share in (0.5, 0.95, 0.99)),
    ]


def ratio_line(new: Side, old: Side, flavour: str, against: str) -> str:
    figures = []
    for measure in ("wall", "cpu"):
        mine, theirs = getattr(new, measure)[flavour], getattr(old, measure)[against]
        shares = ", ".join(
            f"p{round(share * 100)} {percentile(mine, share) / percentile(theirs, share):.2f}x"
            for share in (0.5, 0.95, 0.99)
        )
        figures.append(f"{measure} {shares}")
    return f"{new.name} {KINDS[flavour]} / {old.name} {kind_words(old, against)}: " + "; ".join(
        figures
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, default=Path("/work/baseline"))
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--also", help="NAME=TREE: a third side, timed like the original")
    args = parser.parse_args()
    if args.batch * len(KINDS) > PUPILS:
        parser.error(f"--batch at most {PUPILS // len(KINDS)}")
    year = original_year(args.baseline)
    work = Path(tempfile.mkdtemp(prefix="handin-devices-"))
    try:
        trees = [("original", args.baseline), ("this tree", TREE)]
        if args.also:
            name, _, tree = args.also.partition("=")
            trees.insert(1, (name, Path(tree)))
        print(f"Starting the sides on copies of {year} (each migrates its own)...", flush=True)
        sides = []
        for index, (name, tree) in enumerate(trees):
            shutil.copyfile(year, work / f"{index}.db")
            sides.append(Side(name, tree, work / f"{index}.db"))
        old, new = sides[0], sides[-1]
        for day in range(args.rounds):
            for index, flavour in enumerate(KINDS):
                first = 1 + index * args.batch  # each kind its own pupils, the same each day
                # turns of a few scans, so both sides meet the same moments of the shared
                # machine's load (a whole batch a turn left a kind's ratio to the load)
                for turn, start in enumerate(range(first, first + args.batch, TURN)):
                    count = min(TURN, first + args.batch - start)
                    for side in sides if (day + index + turn) % 2 == 0 else sides[::-1]:
                        side.run(day, flavour, start, count)
            for side in sides:
                side.home_time(day)
        for side in sides:
            side.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_table(
        f"Hand-in by card on the year database, ms, {args.rounds} days (first call of each"
        f" kind left out); {load_note()}",
        ["code", "hand-in", "n", "wall p50", "wall p95", "wall p99", "cpu p50", "cpu p95",
         "cpu p99"],
        [row(side, flavour) for flavour in KINDS for side in sides],
    )  # fmt: skip
    print()
    for side in sides[1:-1]:
        print(ratio_line(new, side, "phone", "phone"))
    for flavour in KINDS:
        print(ratio_line(new, old, flavour, flavour))
    ratio = percentile(new.wall["phone"], 0.95) / percentile(old.wall["phone"], 0.95)
    print(f"target: phone wall p95 <= {TARGET_RATIO}x the original's; this run {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
