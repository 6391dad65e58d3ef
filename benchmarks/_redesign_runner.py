"""One side of benchmarks/redesign.py: runs in the tree whose ``kiosk`` is on its path (the
old commit's or this one's), measures the tasks it is sent on stdin, one a line, and
answers each with one JSON line: rows, wall and CPU seconds (its own and any worker
process's it waited for).

    python benchmarks/_redesign_runner.py DATABASE_FILE OUT_DIR
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from kiosk.config import sqlite_url
from kiosk.db import open_database
from kiosk.services import audit, console
from kiosk.services.audit import Actor

try:
    from kiosk.exports.run import ExportRequest, run_export
except ImportError:  # the old tree: the package itself
    from kiosk.exports import ExportRequest, run_export  # type: ignore[no-redef]
try:
    from kiosk.services.reports.filter import ReportFilter
except ImportError:  # the old tree: one reports module
    from kiosk.services.reports import ReportFilter  # type: ignore[no-redef]
try:
    from kiosk.services.chain_check import verify as verify_chain
except ImportError:  # the old tree: the chain check is in the audit module
    verify_chain = audit.verify  # type: ignore[attr-defined]

YEAR = ReportFilter(dt.date(2025, 9, 1), dt.date(2026, 7, 31))
ADMIN = Actor(1, "Alex Admin")  # the first staff member benchmarks/reports.py makes


def main() -> None:
    database, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    opened: Any = open_database(sqlite_url(database), migrate=False)
    sessions = opened[1] if isinstance(opened, tuple) else opened  # old: (engine, sessions)

    def export(report: str, fmt: str) -> int:
        request = ExportRequest(report, fmt, YEAR)  # type: ignore[arg-type]
        out = out_dir / f"{report}.{fmt}"
        rows = run_export(sessions, ADMIN, request, out).rows
        out.unlink()
        return rows

    def verify() -> int:
        report = verify_chain(sessions)
        assert report.intact, report.describe()
        return report.events

    def summary_figures() -> int:
        from kiosk.services.reports import governors

        summary = governors.summary(sessions, YEAR, verify_chain=False)
        return summary.handins + summary.confiscations

    def dashboard() -> int:
        board = console.dashboard(sessions)
        return len(getattr(board, "slots", ()) or ())

    tasks = {
        "custody CSV": lambda: export("custody", "csv"),
        "audit CSV": lambda: export("audit", "csv"),
        "custody XLSX": lambda: export("custody", "xlsx"),
        "audit XLSX": lambda: export("audit", "xlsx"),
        "verify-log": verify,
        "dashboard": dashboard,
        "summary PDF": lambda: export("summary", "pdf"),  # with the audit chain's check
        "summary figures": summary_figures,  # the governors' counts alone, no PDF, no check
    }
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        task = line.strip()
        wall, cpu, workers = time.perf_counter(), time.process_time(), _children_cpu()
        rows = tasks[task]()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        workers = _children_cpu() - workers  # the old code's second process, if it started one
        answer = {"task": task, "rows": rows, "wall": wall, "cpu": cpu + workers}
        print(json.dumps(answer), flush=True)


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


if __name__ == "__main__":
    main()
