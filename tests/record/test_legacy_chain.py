"""A chain written before this revision (plain digests, no CHECK) still verifies after
the upgrade, and goes on with salted events."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, insert, text

from kiosk.db import Database, make_engine
from kiosk.migrate import upgrade
from kiosk.record.check import verify_record
from kiosk.services import audit
from kiosk.tables import AuditEvent


def old_database(path) -> Engine:
    """A database as the kiosk wrote it before this revision: five plain-digest events."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, "0001")
    prev = audit.GENESIS_HASH
    with engine.begin() as conn:
        for seq in range(1, 6):
            body = audit.canonical_json({"n": seq})
            event = AuditEvent(
                seq=seq,
                at=dt.datetime(2026, 1, 5, 9, 0, seq),
                kind="handed_in",
                actor_id=None,
                actor_name="kiosk",
                pupil_id=seq,
                slot_number=seq,
                custody_id=seq,
                details=body,
                details_digest=audit.sha256_hex(body),  # the plain digest of before
                redacted=False,
                prev_hash=prev,
            )
            event.hash = prev = audit.event_hash(event)
            row = {c: getattr(event, c) for c in audit._EVENT_COLUMNS if c != "details_salt"}
            conn.execute(insert(AuditEvent.__table__).values(**row))
        conn.execute(
            text("INSERT INTO settings (key, value) VALUES (:k, :v)"),
            {"k": audit.HEAD_KEY, "v": f"5:{prev}"},
        )
    return engine


def test_an_old_chain_verifies_after_the_upgrade_and_continues_salted(data_dir) -> None:
    engine = old_database(data_dir / "kiosk.db")
    upgrade(engine)
    sessions = Database(engine)
    with sessions.begin() as session:
        new = audit.append(session, "kiosk_started", audit.KIOSK_ACTOR, details={"x": 1})
        assert new.seq == 6 and new.details_salt is not None
        assert new.details_digest != audit.sha256_hex(new.details)  # salted
    report = verify_record(sessions)
    assert report.intact, report.describe()
    assert report.summary.startswith("Audit chain intact: 6 events")
    with engine.connect() as conn:  # the upgrade kept the guards and added the CHECK
        triggers = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        assert {row[0] for row in triggers} == {"audit_events_no_delete", "audit_events_no_update"}
        ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'audit_events'"))
        assert "seq > 0" in ddl.scalar()
    engine.dispose()
