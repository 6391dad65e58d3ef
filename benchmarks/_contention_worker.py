"""One process of benchmarks/contention.py: the kiosk's hand-ins, or a member of staff
logging in again and again. It imports only what the old and the new code both have
(``open_database``, ``custody.hand_in_by_card``, ``staff.check_pin``), so the same script
measures either: run it with the code's folder as the working directory and PYTHONPATH.

    python _contention_worker.py handin URL CARDS_FILE START_ISO GAP_MS SECONDS
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

from sqlalchemy import event

from kiosk.db import open_database
from kiosk.services import custody, staff


def _database(url: str) -> Any:
    opened = open_database(url, migrate=False)  # the old code returned (engine, sessions)
    return opened[1] if isinstance(opened, tuple) else opened


def _engine(url: str, sessions: Any) -> Any:
    engine = getattr(sessions, "engine", None)  # the new Database
    return engine if engine is not None else sessions.kw["bind"]  # the old sessionmaker


class LockWaits:
    """How long each BEGIN IMMEDIATE waited for the write lock: the part of a hand-in
    that other processes' transactions cost, apart from waiting for a CPU."""

    def __init__(self, engine: Any) -> None:
        self.total_ms = 0.0
        self._began: float | None = None
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine, "handle_error", self._after)  # "database is locked": waited too

    def _before(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("BEGIN"):
            self._began = time.perf_counter()

    def _after(self, *_args: Any) -> None:
        if self._began is not None:
            self.total_ms += (time.perf_counter() - self._began) * 1000
            self._began = None

    def take(self) -> float:
        taken, self.total_ms = self.total_ms, 0.0
        return taken


def _words(error: BaseException) -> str:
    cause = error.__cause__ or error
    return f"{type(error).__name__}: {str(getattr(cause, 'orig', cause)).splitlines()[0]}"


def hand_ins(url: str, cards_file: str, start: str, gap_ms: str, seconds: str) -> dict[str, Any]:
    """The cards handed in one after another, until all are in or ``seconds`` have gone."""
    sessions = _database(url)
    waits = LockWaits(_engine(url, sessions))
    cards = json.loads(Path(cards_file).read_text())
    first = dt.datetime.fromisoformat(start)
    wall: list[float] = []
    cpu: list[float] = []
    lock: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + float(seconds)
    for i, card in enumerate(cards):
        if time.monotonic() > deadline:
            break
        now = first + dt.timedelta(seconds=3 * i)
        began, began_cpu = time.perf_counter(), time.process_time()
        try:
            custody.hand_in_by_card(sessions, card, now=now)
        except Exception as error:  # counted and named: "database is locked" is the point
            errors.append(_words(error))
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
        lock.append(waits.take())
        time.sleep(int(gap_ms) / 1000)
    return {"wall_ms": wall, "cpu_ms": cpu, "lock_ms": lock, "errors": errors}


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
