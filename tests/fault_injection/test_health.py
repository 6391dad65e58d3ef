"""The health line on the staff dashboard: what it says when all is well, and that it says
"cannot be reached" (in time, without hanging) when the database is hung."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pgserver import PostgresServer

from fault_injection import pgfaults
from fault_injection.conftest import TEST_LIMITS, make_school
from kiosk.config import Config
from kiosk.services import custody, health


def test_the_health_line_names_records_last_write_camera_and_scanner(data_dir: Path, sqlite_school):
    database, school = sqlite_school
    custody.hand_in(database, school.pupil_ids[0])
    health.DEVICES.camera_is("lost")
    health.DEVICES.scanner_heard()
    config = Config(data_dir, str(database.engine.url), "k", "0", False)
    found = health.check(database, config)
    assert found.database == "reachable" and found.last_write is not None
    words = found.words()
    assert words.startswith("Records: reachable · last saved ")
    assert "camera: lost" in words and "scanner: used 0 s ago" in words


@pytest.mark.postgres
def test_a_hung_database_reads_cannot_be_reached_within_the_deadline(
    own_server: PostgresServer, pg_url: str, data_dir: Path
):
    database, _school = make_school(pg_url)
    config = Config(data_dir, pg_url, "k", "", False)
    assert health.check(database, config).database == "reachable"
    frozen = pgfaults.pause(own_server)
    try:
        started = time.monotonic()
        found = health.check(database, config)
        took = time.monotonic() - started
    finally:
        pgfaults.resume(frozen)
    assert found.database == "cannot be reached"
    assert took <= TEST_LIMITS.job_s + TEST_LIMITS.connect_s + 1
    database.dispose()
