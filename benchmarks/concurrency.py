"""Four kiosks at once on one database: 4 processes x 500 hand-ins (and the collections
between them) on one SQLite file and on PostgreSQL. Checks, as the tests do, that no slot was
ever double-booked (the audit log replayed in chain order), that every acknowledged hand-in
and collection is in the database, and that the audit chain verifies; prints throughput and
the latency each kiosk saw while waiting for the others.

    .venv/bin/python benchmarks/concurrency.py [--quick] [--kiosks 4] [--rounds 500]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _support import load_note, percentile, postgres_or_none, record
from _table import print_table
from reliability.kiosks import KioskRun, build_shared_school, check_database, run_kiosks

HEADERS = ["backend", "kiosks x rounds", "hand-ins", "collections", "repeat scans", "calls/s"]
HEADERS += ["p50 ms", "p95 ms", "max ms", "checks"]


def one_backend(name: str, url: str, kiosks: int, rounds: int) -> list[object]:
    school = build_shared_school(url, kiosks)
    began = time.perf_counter()
    runs: list[KioskRun] = run_kiosks(url, school, kiosks, rounds)
    wall = time.perf_counter() - began
    problems = check_database(url, runs)
    for problem in problems[:10]:
        print(f"  {name}: {problem}")
    calls = [ms for run in runs for ms in run.latencies_ms]
    hand_ins = sum(len(run.hand_ins) for run in runs)
    collections = sum(len(run.collections) for run in runs)
    verdict = "all checks pass" if not problems else f"{len(problems)} PROBLEMS"
    record("concurrency", f"{kiosks} x {rounds}, {name}", verdict, "no problems", not problems)
    return [
        name,
        f"{kiosks} x {rounds}",
        hand_ins,
        collections,
        sum(run.repeat_scans for run in runs),
        f"{len(calls) / wall:.0f}",
        f"{percentile(calls, 0.5):.1f}",
        f"{percentile(calls, 0.95):.1f}",
        f"{max(calls):.0f}",
        verdict,
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 x 100")
    parser.add_argument("--kiosks", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=None, help="hand-ins per kiosk (500)")
    args = parser.parse_args()
    rounds = args.rounds or (100 if args.quick else 500)
    rows = []
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-concurrency-") as folder:
        rows.append(
            one_backend("SQLite", f"sqlite:///{Path(folder) / 'shared.db'}", args.kiosks, rounds)
        )
    server = postgres_or_none()
    if server is not None:
        try:
            url = server.url(server.create_database())
            rows.append(one_backend("PostgreSQL", url, args.kiosks, rounds))
        finally:
            server.stop()
    print_table(
        f"{args.kiosks} kiosk processes on one database; {load_note()}. Latency is per "
        "service call (hand-in or collection), waits for the other kiosks included.",
        HEADERS,
        rows,
    )
    return 0 if all(row[-1] == "all checks pass" for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
