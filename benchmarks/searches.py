"""Search records at a busy school's scale: a year of searches (600 by default, several
with two versions) recorded through the real service on a SQLite file, then the senior's
list (every record checked against the audit log), one record opened, the governors'
counts, and the CSV and XLSX exports. Wall and CPU time side by side, p50/p95 where
repeated.

    .venv/bin/python benchmarks/searches.py [--searches 600] [--repeats 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _support  # noqa: F401 (puts the repository and tests/ on sys.path)
from _support import load_note, percentile, record
from _table import print_table
from searching.forms import complete_form

from kiosk.db import open_database
from kiosk.demo import build_school
from kiosk.exports.run import ExportRequest, run_export
from kiosk.services import search_records, searches
from kiosk.services.reports.filter import ReportFilter
from kiosk.services.search_form import FoundItem

START = dt.datetime(2025, 9, 3, 10, 0)
OUTCOMES = ("kept", "returned", "police", "disposed")


def _timed(job: Callable[[], Any]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    job()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def _repeat(job: Callable[[], Any], repeats: int) -> list[object]:
    runs = [_timed(job) for _ in range(repeats)]
    walls, cpus = [w for w, _ in runs], [c for _, c in runs]
    return [percentile(walls, 0.5), percentile(walls, 0.95), percentile(cpus, 0.5)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--searches", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(18)
    with tempfile.TemporaryDirectory() as folder:
        sessions = open_database(f"sqlite:///{Path(folder) / 'kiosk.db'}")
        school = build_school(sessions, pupils=1000, slot_count=40, reserved=4)
        senior = school.actors["senior"]
        now = START + dt.timedelta(days=400)
        writes: list[tuple[float, float]] = []
        for n in range(args.searches):
            at = START + dt.timedelta(hours=7 * n)
            items = tuple(
                FoundItem(f"item {k}", rng.choice(OUTCOMES)) for k in range(rng.randint(0, 3))
            )
            form = complete_form(
                rng.choice(school.pupil_ids), searched_at=at, items=items, found_nothing=not items
            )
            writes.append(
                _timed(lambda f=form: search_records.record(sessions, senior, f, now=now))
            )
            if n % 10 == 0:
                done = search_records.record(sessions, senior, form, now=now)
                search_records.correct(sessions, senior, done.id, form, "typo", now=now)
        year = ReportFilter(START.date(), (START + dt.timedelta(days=366)).date())
        listed = searches.search_list(sessions, senior)
        out = Path(folder)
        rows = [
            [
                "record one search (the service)",
                percentile([w for w, _ in writes], 0.5),
                percentile([w for w, _ in writes], 0.95),
                percentile([c for _, c in writes], 0.5),
            ],
            [
                "senior's list, all checked",
                *_repeat(lambda: searches.search_list(sessions, senior), args.repeats),
            ],
            [
                "open one record",
                *_repeat(
                    lambda: searches.search_detail(sessions, senior, listed.rows[0].id),
                    args.repeats,
                ),
            ],
            [
                "governors' counts, a year",
                *_repeat(
                    lambda: searches.outcome_counts(sessions, year.starts, year.ends), args.repeats
                ),
            ],
        ]
        for fmt in ("csv", "xlsx"):
            request = ExportRequest("searches", fmt, year)  # type: ignore[arg-type]
            job = lambda r=request, f=fmt: run_export(sessions, senior, r, out / f"s.{f}")  # noqa: E731
            rows.append([f"export {fmt.upper()}, a year", *_repeat(job, args.repeats)])
        sessions.dispose()
    title = f"Search records: {len(listed.rows)} searches listed ({load_note()})"
    print_table(title, ["what", "wall p50 ms", "wall p95 ms", "CPU p50 ms"], rows)
    record("searches", "senior's list of 600+ searches, p50", f"{rows[1][1]:.0f} ms")


if __name__ == "__main__":
    main()
