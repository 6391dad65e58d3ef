"""One process of benchmarks/contention.py: the kiosk's hand-ins, or a member of staff
logging in again and again. It imports only what the old and the new code both have
(``open_database``, ``custody.hand_in_by_card``, ``staff.check_pin``), so the same script
measures either: run it with the code's folder as the working directory and PYTHONPATH.

    python _contention_worker.py handin URL CARDS_FILE START_ISO GAP_MS
    python _contention_worker.py login URL STAFF_ID PIN STOP_FILE

Prints one JSON object on its last line.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import sys
import time
from pathlib import Path
from typing import Any

from kiosk.db import open_database
from kiosk.services import custody, staff


def _database(url: str) -> Any:
    opened = open_database(url, migrate=False)  # the old code returned (engine, sessions)
    return opened[1] if isinstance(opened, tuple) else opened


def _words(error: BaseException) -> str:
    cause = error.__cause__ or error
    return f"{type(error).__name__}: {str(getattr(cause, 'orig', cause)).splitlines()[0]}"


def hand_ins(url: str, cards_file: str, start: str, gap_ms: str) -> dict[str, Any]:
    sessions = _database(url)
    cards = json.loads(Path(cards_file).read_text())
    first = dt.datetime.fromisoformat(start)
    wall: list[float] = []
    cpu: list[float] = []
    errors: list[str] = []
    for i, card in enumerate(cards):
        now = first + dt.timedelta(seconds=3 * i)
        began, began_cpu = time.perf_counter(), time.process_time()
        try:
            custody.hand_in_by_card(sessions, card, now=now)
        except Exception as error:  # counted and named: "database is locked" is the point
            errors.append(_words(error))
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
        time.sleep(int(gap_ms) / 1000)
    return {"wall_ms": wall, "cpu_ms": cpu, "errors": errors}


def log_ins(url: str, staff_id: str, pin: str, stop_file: str) -> dict[str, Any]:
    sessions = _database(url)
    takes_terminal = "terminal" in inspect.signature(staff.check_pin).parameters
    extra = {"terminal": "contention-bench"} if takes_terminal else {}
    done, errors, wall = 0, [], []
    while not Path(stop_file).exists():
        began = time.perf_counter()
        try:
            staff.check_pin(sessions, int(staff_id), pin, **extra)
            done += 1
        except Exception as error:
            errors.append(_words(error))
        wall.append((time.perf_counter() - began) * 1000)
    return {"done": done, "errors": errors, "wall_ms": wall}


if __name__ == "__main__":
    role, *args = sys.argv[1:]
    result = hand_ins(*args) if role == "handin" else log_ins(*args)
    result["cpu_s"] = time.process_time()
    print(json.dumps(result))
