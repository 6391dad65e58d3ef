"""One side of benchmarks/handin_devices.py: runs in the tree whose ``kiosk`` is on its path
(the original commit's or this one's) on its own copy of the year database, and times the
hand-in batches it is sent on stdin, one a line ("batch DAY KIND FIRST COUNT"), answering each
with one JSON line of per-call wall and CPU milliseconds. "home DAY" (untimed) gives every
held device back, as home time does, so the next day's hand-ins find the slots free.

Kinds: ``phone`` (the morning's plain hand-in), ``late`` (after the hand-in window
closed), ``exam`` (pupils who sit an exam that day: this tree records the exam first; the
original code has no exams and hands them in plainly), ``watch`` (this tree: a phone and a
watch, the pupils' usual devices, in one scan; the original hands the same pupils' phones
in plainly).

    python benchmarks/_handin_side.py DATABASE_FILE
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import sys
import time
from typing import Any

from kiosk.config import sqlite_url
from kiosk.db import open_database
from kiosk.services import cards, custody, settings

try:  # this tree: the kiosk's scan carries a token, under the job's deadline
    from kiosk.db_limits import deadline
    from kiosk.services import outcome
except ImportError:  # the original code has neither
    outcome = None  # type: ignore[assignment]

FIRST_DAY = dt.date(2026, 7, 20)  # the Monday after the benchmark year
MORNING = dt.time(6, 30)  # UTC: 07:30 at school, the window open
AFTER_CLOSE = dt.time(9, 30)  # UTC: 10:30 at school, the year's window closed at 10:00
STARTS = {"phone": MORNING, "watch": MORNING, "exam": MORNING, "late": AFTER_CLOSE}


def prepare(database: str, day: dt.date, flavour: str, pupils: range) -> None:
    """What the flavour needs in this tree's database before its batch is timed."""
    rows = [(p,) for p in pupils]
    with sqlite3.connect(database) as raw:
        if flavour == "watch" and _has_column(raw, "pupils", "usual_devices"):
            raw.executemany("UPDATE pupils SET usual_devices = 'phone;watch' WHERE id = ?", rows)
        elif flavour == "exam" and _has_table(raw, "exam_sessions"):
            exam_id = raw.execute(
                "INSERT INTO exam_sessions (on_date, starts_at, title, created_by_id, created_at)"
                " VALUES (?, '09:00:00.000000', 'Benchmark paper 1', 1, ?) RETURNING id",
                (day.isoformat(), f"{day.isoformat()} 06:00:00.000000"),
            ).fetchone()[0]
            raw.executemany(
                "INSERT INTO exam_candidates (exam_id, pupil_id) VALUES (?, ?)",
                [(exam_id, p) for p in pupils],
            )


def _has_column(raw: sqlite3.Connection, table: str, name: str) -> bool:
    return any(row[1] == name for row in raw.execute(f"PRAGMA table_info({table})"))


def _has_table(raw: sqlite3.Connection, name: str) -> bool:
    found = raw.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
    return found.fetchone() is not None


def home_time(database: str, day: dt.date) -> None:
    with sqlite3.connect(database) as raw:
        raw.execute(
            "UPDATE custodies SET state = 'released', released_to = 'pupil', released_at = ?"
            " WHERE state = 'held'",
            (f"{day.isoformat()} 14:00:00.000000",),
        )


def main() -> None:
    database = sys.argv[1]
    opened: Any = open_database(sqlite_url(database))  # migrates this tree's copy
    sessions = opened[1] if isinstance(opened, tuple) else opened  # old: (engine, sessions)
    install = getattr(settings, "ensure_install", None)  # this tree: keys out of the database
    if install is not None:
        install(sessions)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        words = line.split()
        day = FIRST_DAY + dt.timedelta(days=int(words[1]))
        if words[0] == "home":
            home_time(database, day)
            print(json.dumps({"done": True}), flush=True)
            continue
        flavour, first, count = words[2], int(words[3]), int(words[4])
        pupils = range(first, first + count)
        prepare(database, day, flavour, pupils)
        texts = card_texts(sessions, database, pupils)
        start = dt.datetime.combine(day, STARTS[flavour])
        print(json.dumps(timed(sessions, texts, start)), flush=True)


def card_texts(sessions: Any, database: str, pupils: range) -> list[str]:
    """The pupils' current card texts, each made by the side's own code."""
    with sqlite3.connect(database) as raw:
        found = raw.execute(
            "SELECT pupil_id, serial FROM cards WHERE revoked_at IS NULL"
            " AND pupil_id BETWEEN ? AND ? ORDER BY pupil_id",
            (pupils.start, pupils.stop - 1),
        ).fetchall()
    with sessions() as session:
        return [cards.card_text(session, pupil, serial) for pupil, serial in found]


def scan(sessions: Any, text: str, now: dt.datetime) -> Any:
    """A scan as each tree's kiosk makes it. The original's calls hand_in_by_card; this
    tree's calls outcome.hand_in_trusted, which on success is this: the hand-in under the
    kiosk job's deadline, carrying the scan's token and deadline (``now`` is given here,
    for the benchmark's school day)."""
    if outcome is None:
        return custody.hand_in_by_card(sessions, text, now=now)
    job_s = sessions.limits.job_s
    with deadline(job_s):
        token, until = outcome.new_token(), time.monotonic() + job_s
        return custody.hand_in_by_card(sessions, text, now=now, token=token, deadline=until)


def timed(sessions: Any, texts: list[str], start: dt.datetime) -> dict[str, list[float]]:
    wall, cpu = [], []
    for index, text in enumerate(texts):
        now = start + dt.timedelta(seconds=3 * index)
        w, c = time.perf_counter(), time.process_time()
        result = scan(sessions, text, now)
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        assert result.slot_number is not None and not result.already_held
    return {"wall": wall, "cpu": cpu}


if __name__ == "__main__":
    main()
