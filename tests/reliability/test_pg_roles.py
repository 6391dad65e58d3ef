"""On PostgreSQL the kiosks connect as a role that may only add to the audit log: the
owner migrates and grants (``kiosk db grant``); the kiosk role works normally but cannot
switch the append-only trigger off, change or remove an event. On the real server the
tests start."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from kiosk.db import make_engine, open_database
from kiosk.demo import build_school
from kiosk.errors import InvalidInput
from kiosk.services import audit, chain_check, custody, pg_roles, settings

pytestmark = pytest.mark.postgres
KIOSK_ROLE, OWNER_ROLE = "kiosk_app", "kiosk_owner"


def as_role(url: str, role: str) -> str:
    return make_url(url).set(username=role).render_as_string(hide_password=False)


@pytest.fixture
def roles(data_dir) -> Iterator[tuple[str, str]]:
    """A database owned and migrated by a plain (not super) owner role, and a kiosk role
    with the rights ``pg_roles.grant`` gives: (owner URL, kiosk URL)."""
    from pgserver import server_for_tests

    server = server_for_tests()
    for role in (OWNER_ROLE, KIOSK_ROLE):
        create = f"CREATE ROLE {role} LOGIN"
        server.execute(f"DO $$ BEGIN {create}; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    name = server.create_database()
    server.execute(f'ALTER DATABASE "{name}" OWNER TO {OWNER_ROLE}')
    server.execute(f'GRANT CONNECT ON DATABASE "{name}" TO {KIOSK_ROLE}')
    with make_engine(server.url(name)).begin() as conn:  # PostgreSQL 15+: public is not open
        conn.execute(text(f"ALTER SCHEMA public OWNER TO {OWNER_ROLE}"))
    owner_url = as_role(server.url(name), OWNER_ROLE)
    sessions = open_database(owner_url)  # the owner migrates
    engine = sessions.engine
    settings.ensure_install(sessions)
    build_school(sessions, pupils=4, slot_count=4, reserved=0)
    pg_roles.grant(engine, KIOSK_ROLE)
    engine.dispose()
    try:
        yield owner_url, as_role(server.url(name), KIOSK_ROLE)
    finally:
        server.drop_database(name)


def refused(url: str, statement: str) -> str:
    engine = make_engine(url)
    try:
        with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
            conn.exec_driver_sql(statement)
        return str(caught.value.orig)
    finally:
        engine.dispose()


def test_the_kiosk_role_works_but_cannot_touch_the_audit_log(roles):
    _owner, kiosk = roles
    sessions = open_database(kiosk)  # at the newest schema: nothing to migrate
    engine = sessions.engine
    try:
        settings.ensure_install(sessions)
        with sessions() as session:
            pupil = session.execute(text("SELECT min(id) FROM pupils")).scalar_one()
        done = custody.hand_in(sessions, pupil)  # ordinary work, with its audit event
        assert done.custody_id is not None
        assert chain_check.verify(sessions).intact
    finally:
        engine.dispose()
    for statement in (
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
        "ALTER TABLE audit_events DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_events_append_only ON audit_events",
        "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS "
        "$$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql",
        "UPDATE audit_events SET kind = 'collected' WHERE seq = 1",
        "UPDATE audit_events SET details = '{\"redacted\":true}', redacted = true WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 1",
        "TRUNCATE audit_events",
        "ALTER TABLE audit_events RENAME TO old_events",
        "SET session_replication_role = replica",
    ):
        words = refused(kiosk, statement)
        assert "permission denied" in words or "must be owner" in words, (statement, words)


def test_the_kiosk_role_records_searches_but_cannot_delete_one(roles):
    from searching.forms import complete_form

    from kiosk.services import search_records

    _owner, kiosk = roles
    sessions = open_database(kiosk)
    try:
        with sessions() as session:
            pupil = session.execute(text("SELECT min(id) FROM pupils")).scalar_one()
            senior = session.execute(text("SELECT id FROM staff WHERE role = 'senior'")).scalar()
        actor = audit.Actor(senior, "Sam Senior (DSL)")
        draft = search_records.save_draft(sessions, actor, complete_form(pupil))
        search_records.record(sessions, actor, complete_form(pupil), draft.id)
    finally:
        sessions.engine.dispose()
    words = refused(kiosk, "DELETE FROM search_records")
    assert "permission denied" in words, words


def test_the_owner_is_refused_as_the_kiosk_role(roles):
    owner, _kiosk = roles
    with pytest.raises(InvalidInput, match="must not be the owner"):
        pg_roles.grant(make_engine(owner), OWNER_ROLE)
    with pytest.raises(InvalidInput, match="There is no role 'nobody_here'"):
        pg_roles.grant(make_engine(owner), "nobody_here")
    with pytest.raises(InvalidInput, match="not a usable role name"):
        pg_roles.grant_statements('x"; DROP TABLE staff; --', ["staff"])
