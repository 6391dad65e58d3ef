"""The demo school is what a headteacher shows governors: it must look like a real week."""

from __future__ import annotations

import datetime as dt
import sqlite3
from itertools import pairwise
from pathlib import Path

from kiosk.db import open_database
from kiosk.demo import build_demo


def test_the_demo_week_never_double_books_a_slot_and_its_log_runs_forwards(tmp_path: Path):
    path = tmp_path / "kiosk.db"
    sessions = open_database(f"sqlite:///{path}")
    build_demo(sessions, pupils=120, slot_count=60, days=5)
    sessions.dispose()
    with sqlite3.connect(path) as conn:
        # The history starts with the first morning's hand-ins, after the school was set up.
        history = "seq >= (SELECT MIN(seq) FROM audit_events WHERE kind = 'hand_in')"
        times = [
            dt.datetime.fromisoformat(at)
            for (at,) in conn.execute(f"SELECT at FROM audit_events WHERE {history} ORDER BY seq")
        ]
        stays = conn.execute(
            "SELECT slot_id, received_at, COALESCE(released_at, '9999-12-31') FROM custodies "
            "WHERE slot_id IS NOT NULL ORDER BY slot_id, received_at"
        ).fetchall()
        days = {at[:10] for (at,) in conn.execute("SELECT received_at FROM custodies")}
    backwards = [(a, b) for a, b in pairwise(times) if b < a]
    assert backwards == []
    overlaps = [
        (first, second)
        for first, second in pairwise(stays)
        if first[0] == second[0] and second[1] < first[2]
    ]
    assert overlaps == []
    assert len(days) == 5
