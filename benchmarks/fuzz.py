"""100,000 random and mutated scanner payloads through ``cards.pupil_for_card`` and
``custody.hand_in_by_card``, and mutated roster CSVs through ``roster_check.check_table`` (every
file) and ``roster.apply`` (one in ten), on a SQLite school. Counts crashes (anything but a
plain-words refusal or the right answer) and refusals that wrote something.

    .venv/bin/python benchmarks/fuzz.py [--quick] [--payloads 100000] [--rosters 10000]
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
from pathlib import Path

from _support import load_note, record
from _table import print_table
from reliability.fuzz import FuzzReport, card_world, chain_problem, fuzz_cards, fuzz_roster

from kiosk.db import open_database
from kiosk.demo import build_school
from kiosk.services import settings


def row(name: str, report: FuzzReport) -> list[object]:
    refusals = ", ".join(f"{kind} {count:,}" for kind, count in report.refusals.most_common())
    verdict = "no crash" if report.crash_count == 0 else f"{report.crash_count} CRASHES"
    record("fuzz", name, verdict, "no crash", report.crash_count == 0)
    return [
        name,
        f"{report.inputs:,}",
        f"{report.accepted:,}",
        refusals,
        report.crash_count,
        f"{report.inputs / report.seconds:.0f}",
        verdict,
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 payloads, 1,000 rosters")
    parser.add_argument("--payloads", type=int, default=None)
    parser.add_argument("--rosters", type=int, default=None)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    payloads = args.payloads or (10_000 if args.quick else 100_000)
    rosters = args.rosters or (1_000 if args.quick else 10_000)
    rows = []
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-fuzz-") as folder:
        sessions = open_database(f"sqlite:///{Path(folder) / 'fuzz.db'}")
        engine = sessions.engine
        settings.ensure_install(sessions)
        school = build_school(sessions, pupils=30, slot_count=20, reserved=2)
        world = card_world(sessions, school)
        report = fuzz_cards(sessions, school, world, payloads, args.seed)
        rows.append(row("scanner payloads", report))
        for crash in report.crashes[:10]:
            print(f"  {crash}")
        if importlib.util.find_spec("kiosk.services.roster") is not None:
            report = fuzz_roster(sessions, school, rosters, args.seed, apply_share=0.1)
            rows.append(row("roster CSV files", report))
            for crash in report.crashes[:10]:
                print(f"  {crash}")
        else:
            print("kiosk.services.roster is not there yet: roster files not fuzzed")
        problem = chain_problem(sessions)
        engine.dispose()
    print_table(
        f"Fuzzing the real entry points; {load_note()}. {problem or 'Audit chain intact.'}",
        ["input", "inputs", "accepted", "refused (plain words)", "crashes", "inputs/s", "verdict"],
        rows,
    )
    return 0 if all(r[-1] == "no crash" for r in rows) and problem is None else 1


if __name__ == "__main__":
    raise SystemExit(main())
