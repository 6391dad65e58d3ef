from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from kiosk.db import make_engine
from kiosk.migrate import upgrade
from kiosk.tables import Base


def test_migrations_build_the_whole_schema_from_empty(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() is not None
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    tables = set(inspect(engine).get_table_names())
    assert {"pupils", "cards", "slots", "custodies", "audit_events", "staff"} <= tables
    engine.dispose()


def test_upgrading_twice_changes_nothing(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    upgrade(engine)
    engine.dispose()


def test_sqlite_runs_with_wal_foreign_keys_and_full_sync(engine):
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
