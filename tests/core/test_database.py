"""The Database handle: a drop-in for a sessionmaker, one snapshot reader, named errors."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from kiosk.config import sqlite_url
from kiosk.db import Database, make_engine
from kiosk.errors import DatabaseUnavailable, KioskError
from kiosk.tables import Setting


def test_it_works_as_a_sessionmaker_does(sessions: Database) -> None:
    with sessions.begin() as session:
        session.add(Setting(key="probe", value="1"))
    with sessions() as session:
        assert session.scalar(select(Setting.value).where(Setting.key == "probe")) == "1"
    with sessions.transaction() as conn:
        conn.execute(text("UPDATE settings SET value = '2' WHERE key = 'probe'"))
    with sessions.connect() as conn:
        assert conn.scalar(text("SELECT value FROM settings WHERE key = 'probe'")) == "2"
    if sessions.dialect == "sqlite":
        assert sessions.file is not None and sessions.file.is_file()
    else:
        assert sessions.dialect == "postgresql" and sessions.file is None


def test_a_snapshot_reads_without_holding_up_writes(sessions: Database) -> None:
    with sessions.snapshot() as reader, reader() as session:
        before = session.scalar(select(Setting.value).where(Setting.key == "school_name"))
        with sessions.begin() as writer:  # the kiosk writes meanwhile: not held up
            writer.get(Setting, "school_name").value = "Changed meanwhile"  # type: ignore[union-attr]
        again = session.scalar(select(Setting.value).where(Setting.key == "school_name"))
        assert again == before != "Changed meanwhile"  # one consistent snapshot


def test_an_sqlite_snapshot_cannot_write(sessions: Database) -> None:
    if sessions.dialect != "sqlite":
        pytest.skip("the read-only reader is SQLite's (PostgreSQL's is REPEATABLE READ)")
    with sessions.snapshot() as reader:
        with pytest.raises(DatabaseUnavailable) as raised, reader.begin() as session:
            session.execute(text("DELETE FROM settings"))
        assert isinstance(raised.value, KioskError)
        assert isinstance(raised.value.__cause__, OperationalError)
        assert "readonly" in raised.value.detail
        with pytest.raises(DatabaseUnavailable), reader() as session:
            session.execute(text("DELETE FROM settings"))
            session.commit()


def test_a_fault_in_the_kiosk_is_not_called_unavailable(sessions: Database) -> None:
    with pytest.raises(DBAPIError) as raised, sessions.begin() as session:
        session.execute(text("SELECT * FROM no_such_table"))
    assert not isinstance(raised.value, DatabaseUnavailable)


def test_a_damaged_file_is_named_unavailable(tmp_path) -> None:
    damaged = tmp_path / "kiosk.db"
    damaged.write_bytes(b"this is not an SQLite database, it was overwritten" * 100)
    database = Database(make_engine(sqlite_url(damaged)))
    try:
        with pytest.raises(DatabaseUnavailable) as raised, database.begin() as session:
            session.execute(select(Setting.value))
        assert "not a database" in raised.value.detail
    finally:
        database.dispose()
