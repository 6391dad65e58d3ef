"""verify-log on PostgreSQL: the chain's fast scan as it was before it took the times
PostgreSQL's driver gives (every event then went to the exact check, a query an event)
and as it is now, side by side in one run on one chain.

    PYTHONPATH=. .venv/bin/python benchmarks/verify_postgres.py [--events 20000] [--rounds 3]
        [--before 9b6e49c]

Starts a throwaway PostgreSQL server (tests/pgserver.py), writes ``--events`` audit events
through ``audit.append``, then verifies the chain with each scan in turn; the scan before is
``kiosk/record/chain_scan.py`` at git revision ``--before``."""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "tests")]

from _support import load_note, postgres_or_none  # noqa: E402
from _table import print_table  # noqa: E402

from kiosk.db import open_database  # noqa: E402
from kiosk.services import audit, chain_check  # noqa: E402


def scan_before(revision: str) -> Any:
    source = subprocess.run(
        ["git", "show", f"{revision}:kiosk/record/chain_scan.py"],
        cwd=HERE.parent,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "chain_scan_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("chain_scan_before", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.scan


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", default="9b6e49c")
    args = parser.parse_args()
    scans = {"before": scan_before(args.before), "now": chain_check.scan}
    server = postgres_or_none()
    if server is None:
        return
    try:
        import psycopg

        with psycopg.connect(server.url().replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench")
        database = open_database(server.url("bench"))
        for start in range(0, args.events, 2000):
            with database.begin() as session:
                for n in range(start, min(start + 2000, args.events)):
                    audit.append(session, "kiosk_started", audit.KIOSK_ACTOR, details={"n": n})
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in scans}
        for _ in range(args.rounds):
            for name, scan in scans.items():
                chain_check.scan = scan
                wall, cpu = time.perf_counter(), time.process_time()
                report = chain_check.verify(database)
                assert report.intact and report.events == args.events, report
                times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
        rows = [
            [
                name,
                f"{min(w for w, _ in runs):.2f} ({statistics.median(w for w, _ in runs):.2f})",
                f"{min(c for _, c in runs):.2f} ({statistics.median(c for _, c in runs):.2f})",
            ]
            for name, runs in times.items()
        ]
        title = f"verify-log on PostgreSQL, {args.events:,} events, {args.rounds} rounds; "
        print_table(
            title + load_note(), ["scan", "wall s best (median)", "cpu s least (median)"], rows
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
