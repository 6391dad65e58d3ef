"""The second process of ``kiosk verify-log`` on SQLite: the fast check of one range of the
audit chain, standard library only (it starts in tens of milliseconds, not the half second
of importing SQLAlchemy). Started by ``chain_check`` as ``python -I -m
kiosk.record.chain_half`` (isolated: no current folder, PYTHONPATH or user site on the
path, so no file where the command is run can stand in for a module). It reads one JSON
job from stdin and writes one JSON answer to stdout: data both ways, never code.

Job: ``{"database": path, "first": seq, "last": seq}``. Answer: ``{"kiosk": the package's
folder, "moved": bool, "first_prev": the first row's link, "done": rows that passed,
"expected": the next seq, "prev_hash": the last hash, "unlisted": [redacted seqs no purge
in the range lists], "purges": [[seq, details], ...]}``, or ``{"error": words}``.

The parent checks its own range from a snapshot it holds open; this process reads its own,
newer snapshot. The events up to ``last`` (the parent's newest) are the same in both unless
a retention purge redacted some in between: the only change the database lets an old event
take, and always with a purge event after ``last``. So an answer whose snapshot holds a
purge event after ``last`` says "moved", and the parent checks that range itself."""

from __future__ import annotations

import sqlite3
from typing import Any

from kiosk.helper_side import PACKAGE, read_only, serve
from kiosk.record.chain_scan import PURGE_KIND, RANGE_SQL, scan

BATCH = 20000
_PURGE_AFTER = "SELECT 1 FROM audit_events WHERE seq > ? AND kind = ? LIMIT 1"
_PURGES = "SELECT seq, details FROM audit_events WHERE seq >= ? AND seq < ? AND kind = ?"


def check_range(database: str, first: int, last: int) -> dict[str, Any]:
    """The answer for events ``first`` to ``last`` of the database file, read-only."""
    connection = read_only(database)
    try:
        answer: dict[str, Any] = {"kiosk": PACKAGE}
        answer["moved"] = (
            connection.execute(_PURGE_AFTER, (last, PURGE_KIND)).fetchone() is not None
        )
        if answer["moved"]:
            return answer
        answer.update(_scan_range(connection, first, last))
        purges = connection.execute(_PURGES, (first, answer["expected"], PURGE_KIND))
        answer["purges"] = [list(row) for row in purges]
        return answer
    finally:
        connection.close()


def _scan_range(connection: sqlite3.Connection, first: int, last: int) -> dict[str, Any]:
    cursor = connection.execute(RANGE_SQL, (first, last))
    expected, prev_hash, done, first_prev = first, "", 0, None
    unlisted: set[int] = set()
    while batch := cursor.fetchmany(BATCH):
        if first_prev is None:
            first_prev = prev_hash = batch[0][11]
        passed, expected, prev_hash = scan(batch, expected, prev_hash, unlisted)
        done += passed
        if passed < len(batch):  # a row the exact check must decide: the parent's
            break
    cursor.close()
    return {
        "first_prev": first_prev,
        "done": done,
        "expected": expected,
        "prev_hash": prev_hash,
        "unlisted": sorted(unlisted),
    }


def check_job(job: dict[str, Any]) -> dict[str, Any]:
    return check_range(str(job["database"]), int(job["first"]), int(job["last"]))


if __name__ == "__main__":
    serve(check_job)
