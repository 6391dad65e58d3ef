"""The Alembic migrations build exactly the schema that kiosk.tables describes, on both
backends, and can be undone and redone without leaving anything behind."""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from kiosk.db import make_engine
from kiosk.migrate import alembic_config, upgrade
from kiosk.tables import Base

APPEND_ONLY_TRIGGERS = {
    "sqlite": {"audit_events_no_delete", "audit_events_no_update"},
    "postgresql": {"audit_events_append_only"},
}


def differences_from_the_models(engine: Engine) -> list[object]:
    """What Alembic's autogenerate would add to make the database match kiosk.tables:
    tables, columns and their types, nullability, indexes, unique and foreign keys."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def triggers(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        return set(conn.execute(text(query)).scalars())


def schema(engine: Engine) -> dict[str, list[list[str]]]:
    """Everything the inspector reports about every table, and the triggers, as sorted
    JSON text (SQL fragments such as a partial index's WHERE as their text)."""
    inspector = inspect(engine)
    described = {"triggers": [sorted(triggers(engine))]}
    for table in inspector.get_table_names():
        described[table] = [
            plain(inspector.get_columns(table)),
            plain([inspector.get_pk_constraint(table)]),
            plain(inspector.get_foreign_keys(table)),
            plain(inspector.get_indexes(table)),
            plain(inspector.get_unique_constraints(table)),
            plain(inspector.get_check_constraints(table)),
        ]
    return described


def plain(items: Sequence[Mapping[str, Any]]) -> list[str]:
    return sorted(json.dumps(item, default=str, sort_keys=True) for item in items)


def test_migrations_build_the_whole_schema_from_empty(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    assert revision(engine) is not None
    assert differences_from_the_models(engine) == []
    tables = set(inspect(engine).get_table_names())
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    assert triggers(engine) == APPEND_ONLY_TRIGGERS[engine.dialect.name]
    engine.dispose()


def test_upgrading_again_changes_nothing(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    first, head = schema(engine), revision(engine)
    upgrade(engine)
    assert revision(engine) == head
    assert schema(engine) == first
    engine.dispose()


def test_the_migrations_downgrade_to_nothing_and_upgrade_to_the_same_schema(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    built = schema(engine)
    command.downgrade(alembic_config(engine), "base")
    assert revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert triggers(engine) == set()
    upgrade(engine)
    assert schema(engine) == built
    assert differences_from_the_models(engine) == []
    engine.dispose()


def test_sqlite_runs_with_wal_foreign_keys_and_full_sync(engine):
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
