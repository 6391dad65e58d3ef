"""Helpers for core tests that must step around the database's own guards."""

from __future__ import annotations

from sqlalchemy import Engine, text


def disable_audit_guard(engine: Engine) -> None:
    """What an attacker with raw write access would do first: drop the append-only triggers,
    so the tests can show that verification still catches the tampering."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
        else:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
