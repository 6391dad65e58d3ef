"""The demo school is what a headteacher shows governors: it must look like a real week.
Checked on the demo exactly as `kiosk demo` builds it, by querying its database."""

from __future__ import annotations

import datetime as dt
import sqlite3
from itertools import pairwise
from pathlib import Path

import pytest

from kiosk.clock import to_local
from kiosk.db import open_database
from kiosk.demo import build_demo


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "kiosk.db"
    sessions = open_database(f"sqlite:///{path}")
    build_demo(sessions)  # the defaults: what `kiosk demo` shows
    sessions.dispose()
    return path


def _local(text: str) -> dt.datetime:
    return to_local(dt.datetime.fromisoformat(text)).replace(tzinfo=None)


def query(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_no_slot_holds_two_devices_at_once(demo_db):
    stays = query(
        demo_db,
        "SELECT slot_id, received_at, COALESCE(released_at, '9999-12-31'), id FROM custodies "
        "WHERE slot_id IS NOT NULL AND state != 'cancelled' ORDER BY slot_id, received_at",
    )
    overlaps = [
        (first[3], second[3])
        for first, second in pairwise(stays)
        if first[0] == second[0] and second[1] < first[2]
    ]
    assert overlaps == []
    assert len(stays) > 400


def test_the_audit_log_runs_forwards_and_every_stay_ends_after_it_starts(demo_db):
    # The history starts with the first morning's hand-ins, after the school was set up.
    times = query(
        demo_db,
        "SELECT at FROM audit_events WHERE seq >= "
        "(SELECT MIN(seq) FROM audit_events WHERE kind = 'hand_in') ORDER BY seq",
    )
    backwards = [(a, b) for (a,), (b,) in pairwise(times) if b < a]
    assert backwards == []
    ends = query(demo_db, "SELECT id, received_at, released_at FROM custodies")
    assert [row[0] for row in ends if row[2] is not None and row[2] <= row[1]] == []


def test_a_school_week_in_school_hours(demo_db):
    received = [_local(at) for (at,) in query(demo_db, "SELECT received_at FROM custodies")]
    days = sorted({at.date() for at in received})
    assert len(days) == 5 and all(day.weekday() < 5 for day in days)
    assert (days[-1] - days[0]).days in (4, 6)  # Monday to Friday, or across one weekend
    released = [
        _local(at)
        for (at,) in query(
            demo_db, "SELECT released_at FROM custodies WHERE released_at IS NOT NULL"
        )
    ]
    every = received + released
    assert all(dt.time(7, 0) <= at.time() <= dt.time(17, 0) for at in every)
    per_day = {day: sum(at.date() == day for at in received) for day in days}
    assert min(per_day.values()) > 80  # about a third of 300 pupils bring a phone


def test_confiscations_read_like_real_ones(demo_db):
    rows = query(
        demo_db,
        "SELECT c.reason_category, c.note, k.released_to_name, k.released_to_relationship, "
        "p.surname FROM confiscations c JOIN custodies k ON k.id = c.custody_id "
        "JOIN pupils p ON p.id = k.pupil_id",
    )
    assert len(rows) == 11  # two a day, and one referred to the DSL still held
    assert len({reason for reason, *_ in rows}) >= 3 and len({note for _r, note, *_ in rows}) >= 5
    collected = [row for row in rows if row[2] is not None]
    assert len(collected) == 10
    assert all(name.endswith(surname) for _r, _n, name, _rel, surname in collected)
    assert len({name for _r, _n, name, *_ in collected}) >= 5
