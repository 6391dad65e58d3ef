"""The Alembic migrations build exactly the schema that kiosk.tables describes, on both
backends, and can be undone and redone without leaving anything behind."""

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)
from sqlalchemy import Engine, inspect, text

from kiosk import migrate
from kiosk.db import make_engine, open_database
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


def test_the_head_read_from_the_scripts_is_alembics_own():
    scripts = ScriptDirectory.from_config(alembic_config())
    assert migrate.head_revision() == scripts.get_current_head()
    for script in scripts.walk_revisions():
        down = script.down_revision
        follows = (down,) if isinstance(down, str) else tuple(down or ())
        source = Path(script.path).read_text(encoding="utf-8")
        assert migrate.script_revision(source) == (script.revision, follows), script.path


@pytest.mark.parametrize(
    ("source", "read"),
    [
        ('revision = "0002"\ndown_revision = "0001"\n', ("0002", ("0001",))),
        ('revision: str = "0001"\ndown_revision: str | None = None\n', ("0001", ())),
        ("revision = 'm'\ndown_revision = ('a', 'b')\n", ("m", ("a", "b"))),
        ('revision = make_id()\ndown_revision = "0001"\n', None),  # not a plain literal
        ('revision = "0002"\n', None),  # no down_revision line
        ('revision = "0002"\nrevision = "0003"\ndown_revision = None\n', None),
        ("revision = 2\ndown_revision = None\n", None),
    ],
)
def test_a_script_s_revision_lines_are_read_only_when_plain(source, read):
    assert migrate.script_revision(source) == read


def test_a_database_at_the_head_is_not_handed_to_alembic(database_url, monkeypatch):
    engine = make_engine(database_url)
    assert migrate.database_revisions(engine) is None  # no version table yet
    assert not migrate.is_at_head(engine)
    upgrade(engine, "0013")
    assert migrate.database_revisions(engine) == ("0013",)
    assert not migrate.is_at_head(engine)
    upgrade(engine)  # Alembic brings it to the head
    assert migrate.is_at_head(engine)
    assert revision(engine) == migrate.head_revision()
    handed: list[str] = []
    monkeypatch.setattr(command, "upgrade", lambda _config, rev: handed.append(rev))
    upgrade(engine)
    assert handed == []  # at the head: checked without Alembic
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0013'"))
    upgrade(engine)
    assert handed == ["head"]  # behind: Alembic's to upgrade
    engine.dispose()


def test_starting_the_kiosk_leaves_alembic_unloaded(tmp_path):
    """The schema check at every start costs no Alembic import when there is nothing to
    upgrade (it was a third of the kiosk's start-up)."""
    url = f"sqlite:///{tmp_path / 'kiosk.db'}"
    open_database(url).dispose()  # made and upgraded: Alembic's work
    check = (
        "import sys; from kiosk.db import open_database; import kiosk.ui.app; "
        f"open_database({url!r}).dispose(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", check],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.stdout.strip() == "[]"
