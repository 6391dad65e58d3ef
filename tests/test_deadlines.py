"""kiosk.db_limits.deadline: one watchdog thread gives up what a thread waits on when its
deadline passes, for any number of deadlines, nested or on several threads."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from kiosk.config import sqlite_url
from kiosk.db import Database, make_engine
from kiosk.db_limits import deadline
from kiosk.errors import DatabaseUnavailable

# Counts to a billion: runs for minutes unless it is interrupted.
_ENDLESS = text(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000)"
    " SELECT count(*) FROM n"
)


@pytest.fixture
def database(tmp_path: Path) -> Database:
    return Database(make_engine(sqlite_url(tmp_path / "kiosk.db")))


def test_a_passed_deadline_ends_the_statement_it_waits_on(database: Database) -> None:
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailable), deadline(0.3) as limit, database.connect() as conn:
        conn.execute(_ENDLESS)
    assert limit.passed and time.monotonic() - started < 5


def test_deadlines_that_do_not_pass_end_nothing(database: Database) -> None:
    with deadline(0.2) as inner_passes, deadline(30) as outer:
        time.sleep(0.5)
    with deadline(30) as quick, database.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    assert inner_passes.passed and not outer.passed and not quick.passed


def test_each_thread_loses_only_its_own_statement(database: Database) -> None:
    outcomes: dict[str, object] = {}

    def run(name: str, seconds: float, statement: object) -> None:
        try:
            with deadline(seconds), database.connect() as conn:
                outcomes[name] = conn.execute(statement).scalar()  # type: ignore[call-overload]
        except DatabaseUnavailable as error:
            outcomes[name] = error

    slow = threading.Thread(target=run, args=("slow", 0.3, _ENDLESS))
    slow.start()
    run("quick", 30, text("SELECT 2"))
    slow.join(10)
    assert outcomes["quick"] == 2 and isinstance(outcomes["slow"], DatabaseUnavailable)
