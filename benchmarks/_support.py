"""What the reliability and performance benchmarks share: import paths, the results file
``run_all.py`` reads, percentiles, and a throwaway PostgreSQL server.

A benchmark may report its headline figures to ``run_all.py`` by calling :func:`record`;
they are appended as JSON lines to the file named by ``KIOSK_BENCH_RESULTS`` (nothing
happens when it is unset, e.g. when the script is run on its own).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# kiosk, and the tests' pgserver and reliability helpers; appended, so that a benchmark
# module (e.g. reports.py, beside the script) wins over a tests/ folder of the same name.
for _path in (ROOT, ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.append(str(_path))

RESULTS_ENV = "KIOSK_BENCH_RESULTS"


def record(benchmark: str, measure: str, value: str, target: str = "", met: bool | None = None):
    """One headline figure for run_all's combined table."""
    path = os.environ.get(RESULTS_ENV)
    if not path:
        return
    line = {"benchmark": benchmark, "measure": measure, "value": value, "target": target}
    line["met"] = "" if met is None else ("yes" if met else "NO")
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share 0-1) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


def load_note() -> str:
    load = os.getloadavg()[0]
    return f"load average {load:.1f} on {os.cpu_count()} cores"


def postgres_or_none(*, durable: bool = True):  # type: ignore[no-untyped-def]
    """A throwaway PostgreSQL server (fsync on when ``durable``, for a fair comparison with
    SQLite's synchronous=FULL), or None with the reason printed."""
    from pgserver import PostgresServer, PostgresUnavailable

    try:
        return PostgresServer(durable=durable).start()
    except PostgresUnavailable as exc:
        print(f"PostgreSQL skipped: {exc}", flush=True)
        return None


def engine_and_sessions(opened: Any) -> tuple[Any, Any]:
    """``open_database``'s answer as (engine, sessions): a ``Database`` handle here, or the
    (engine, sessionmaker) pair of the tree before issue 13, which benchmarks/redesign.py
    runs these scripts against too."""
    if isinstance(opened, tuple):
        return opened[0], opened[1]
    return opened.engine, opened
