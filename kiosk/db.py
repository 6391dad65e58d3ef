"""Engine and session set-up, schema upgrades on start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "db"

Sessions = sessionmaker[Session]


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Every transaction takes the write lock up front: two kiosks or threads on one
        # file then queue instead of failing with "database is locked" half-way through,
        # and the audit chain's "read last hash, append" is serialised.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 10}, **kwargs)
        _configure_sqlite(engine)
        return engine
    # READ COMMITTED (stated, not left to the server's default): each statement sees what
    # other kiosks committed before it, which the audit chain and slot choice rely on once
    # they hold their advisory lock (see kiosk.services.audit).
    options: dict[str, Any] = {
        "pool_pre_ping": True,
        "isolation_level": "READ COMMITTED",
        "connect_args": {"connect_timeout": 10, "application_name": "handin-kiosk"},
    }
    return create_engine(url, **{**options, **kwargs})


def make_sessions(engine: Engine) -> Sessions:
    return sessionmaker(engine, expire_on_commit=False)


def engine_of(sessions: Sessions) -> Engine:
    """The engine behind ``sessions``: for the hot paths that run on a Core connection
    (an ORM session costs more than the few statements of a hand-in)."""
    engine: Engine = sessions.kw["bind"]
    return engine


def alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def open_database(url: str, *, migrate: bool = True) -> tuple[Engine, Sessions]:
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    return engine, make_sessions(engine)
