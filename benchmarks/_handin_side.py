"""One side of benchmarks/handin_devices.py: runs in the tree whose ``kiosk`` is on its path
(the original commit's or this one's) on its own copy of the year database, and times the
hand-in batches it is sent on stdin, one a line ("FIRST COUNT DEVICES"), answering each
with one JSON line of per-call wall and CPU milliseconds.

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
from kiosk.services import cards, custody

MORNING = dt.datetime(2026, 7, 20, 6, 30)  # the Monday after the benchmark year, UTC


def main() -> None:
    database = sys.argv[1]
    opened: Any = open_database(sqlite_url(database))  # migrates this tree's copy
    sessions = opened[1] if isinstance(opened, tuple) else opened  # old: (engine, sessions)
    print(json.dumps({"ready": True}), flush=True)
    calls = 0
    for line in sys.stdin:
        first, count, devices = (int(x) for x in line.split())
        pupils = range(first, first + count)
        if devices > 1:  # this tree only: the pupils' usual devices, set before timing
            with sqlite3.connect(database) as raw:
                raw.executemany(
                    "UPDATE pupils SET usual_devices = 'phone;watch' WHERE id = ?",
                    [(p,) for p in pupils],
                )
        with sessions() as session:
            texts = [c.text for p in pupils if (c := cards.current_card(session, p))]
        wall, cpu = [], []
        for text in texts:
            now = MORNING + dt.timedelta(seconds=3 * calls)
            calls += 1
            w, c = time.perf_counter(), time.process_time()
            result = custody.hand_in_by_card(sessions, text, now=now)
            wall.append((time.perf_counter() - w) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            assert result.slot_number is not None and not result.already_held
        print(json.dumps({"wall": wall, "cpu": cpu}), flush=True)


if __name__ == "__main__":
    main()
