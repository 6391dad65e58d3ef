"""PostgreSQL roles: the owner migrates, the kiosk may only add to the audit log.

Whoever owns a table can disable its triggers, alter or drop it: so the kiosks must not
connect as the owner. The owner role (the one that ran ``kiosk db upgrade``) owns every
table; the kiosk role is granted, table by table:

- ``audit_events``: SELECT and INSERT only (no UPDATE, DELETE, TRUNCATE; not being the
  owner, it cannot ALTER the table or disable, drop or replace its trigger, and
  ``session_replication_role`` needs a superuser);
- ``alembic_version``: SELECT (to see the schema is current; it cannot migrate);
- ``search_records``: no DELETE (a recorded search is corrected by a new version, and the
  retention purge runs as the owner);
- every other table: SELECT, INSERT, UPDATE, DELETE (the kiosk's ordinary work), and the
  sequences behind their ids.

The retention purge redacts audit events (an UPDATE the trigger allows): on PostgreSQL it
runs with the owner's connection, like migrations. ``kiosk db grant`` is idempotent: run it
after every upgrade, as a new table gets no rights until then.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, text

from kiosk.errors import InvalidInput

AUDIT_TABLE, VERSION_TABLE = "audit_events", "alembic_version"
KEPT_TABLES = frozenset({"search_records"})  # rows the kiosk adds and changes, never deletes
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _quoted(name: str) -> str:
    if not _ROLE.fullmatch(name):
        raise InvalidInput(f"'{name}' is not a usable role name (lower-case letters, digits, _).")
    return f'"{name}"'


def grant_statements(kiosk_role: str, tables: list[str]) -> list[str]:
    """The statements that give ``kiosk_role`` exactly the rights above on ``tables``."""
    role = _quoted(kiosk_role)
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}",
        f"REVOKE CREATE ON SCHEMA public FROM {role}",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
    ]
    for table in sorted(tables):
        name = _quoted(table)
        if table == AUDIT_TABLE:
            rights = "SELECT, INSERT"
        elif table == VERSION_TABLE:
            rights = "SELECT"
        elif table in KEPT_TABLES:
            rights = "SELECT, INSERT, UPDATE"
        else:
            rights = "SELECT, INSERT, UPDATE, DELETE"
        statements.append(f"GRANT {rights} ON {name} TO {role}")
    return statements


def grant(owner: Engine, kiosk_role: str) -> list[str]:
    """Run ``grant_statements`` as the owner (the engine's role); returns them."""
    if owner.dialect.name != "postgresql":
        raise InvalidInput("Roles are for PostgreSQL; a SQLite file is protected by its mode.")
    with owner.begin() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": kiosk_role})
        if exists.first() is None:
            raise InvalidInput(
                f"There is no role '{kiosk_role}': the database administrator creates it "
                f"first (CREATE ROLE {kiosk_role} LOGIN PASSWORD '...')."
            )
        owned = conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = :r"),
            {"r": kiosk_role},
        )
        if owned.first() is not None:
            raise InvalidInput(
                f"The role '{kiosk_role}' owns tables here: the kiosk's role must not be the "
                "owner (the owner can switch the audit log's protection off)."
            )
        tables = list(
            conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            .scalars()
            .all()
        )
        statements = grant_statements(kiosk_role, tables)
        for statement in statements:
            conn.execute(text(statement))
    return statements
