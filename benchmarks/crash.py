"""kill -9 during 1,000 hand-ins: a kiosk process hands in and gives back devices and is
killed at a random point, again and again (on one SQLite file, then on PostgreSQL), until
1,000 hand-ins have been acknowledged. After every kill: every acknowledged hand-in and
collection is in the database, nothing is half-written, ``PRAGMA integrity_check`` is ok
(SQLite) and the audit chain verifies.

    .venv/bin/python benchmarks/crash.py [--quick] [--hand-ins 1000]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _support import load_note, postgres_or_none, record
from _table import print_table
from reliability.crash import CrashLog, crash_runs, prepare


def one_backend(name: str, url: str, hand_ins: int) -> list[object]:
    log: CrashLog = crash_runs(url, prepare(url), hand_ins=hand_ins, seed=20261122)
    for problem in log.problems[:10]:
        print(f"  {name}: {problem}")
    verdict = "all checks pass" if not log.problems else f"{len(log.problems)} PROBLEMS"
    record("crash", f"kill -9 x {log.kills}, {name}", verdict, "no problems", not log.problems)
    return [
        name,
        log.kills,
        len(log.hand_ins),
        len(log.collections),
        log.committed_unacknowledged,
        f"{log.seconds:.0f}",
        verdict,
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 hand-ins")
    parser.add_argument("--hand-ins", type=int, default=None, help="acknowledged hand-ins (1000)")
    args = parser.parse_args()
    hand_ins = args.hand_ins or (200 if args.quick else 1000)
    rows = []
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-crash-") as folder:
        rows.append(one_backend("SQLite", f"sqlite:///{Path(folder) / 'crash.db'}", hand_ins))
    server = postgres_or_none()
    if server is not None:
        try:
            rows.append(one_backend("PostgreSQL", server.url(server.create_database()), hand_ins))
        finally:
            server.stop()
    print_table(
        f"kill -9 at random points until {hand_ins:,} hand-ins were acknowledged; {load_note()}. "
        "'kept, not told' = steps the database kept whose acknowledgement the kill cut off.",
        ["backend", "kills", "hand-ins told", "collections told", "kept, not told", "s", "checks"],
        rows,
    )
    return 0 if all(row[-1] == "all checks pass" for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
