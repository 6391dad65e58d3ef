"""What an insider with the database (and, for some, the kiosk's current key) does."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, text

from kiosk.services import audit
from kiosk.tables import AuditEvent
from tests.core.helpers import disable_audit_guard


def rewrite_and_recompute(engine: Engine, seq: int, **changes: Any) -> None:
    """Drop the triggers, change event ``seq``'s details, recompute its digest and every
    later hash and the chain head: the hash chain alone then says "intact"."""
    disable_audit_guard(engine)
    with engine.begin() as conn:
        row = conn.execute(
            text("SELECT details, details_salt FROM audit_events WHERE seq = :s"), {"s": seq}
        ).one()
        details = {**json.loads(row.details), **changes}
        body = audit.canonical_json(details)
        conn.execute(
            text("UPDATE audit_events SET details = :d, details_digest = :g WHERE seq = :s"),
            {"d": body, "g": audit.details_digest(body, row.details_salt), "s": seq},
        )
        recompute_from(conn, seq)


def recompute_from(conn: Any, seq: int) -> None:
    """Re-link and re-hash the chain from event ``seq`` to the end; rewrite the head."""
    prev = conn.execute(
        text("SELECT hash FROM audit_events WHERE seq = :s"), {"s": seq - 1}
    ).scalar()
    prev = prev or audit.GENESIS_HASH
    rows = conn.execute(
        text("SELECT * FROM audit_events WHERE seq >= :s ORDER BY seq"), {"s": seq}
    ).all()
    for row in rows:
        event = AuditEvent(**{**row._mapping, "prev_hash": prev})
        if isinstance(event.at, str):
            import datetime as dt

            event.at = dt.datetime.fromisoformat(event.at)
        new = audit.event_hash(event)
        conn.execute(
            text("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE seq = :s"),
            {"p": prev, "h": new, "s": row.seq},
        )
        prev = new
    last = rows[-1].seq if rows else seq - 1
    conn.execute(
        text("UPDATE settings SET value = :v WHERE key = :k"),
        {"v": f"{last}:{prev}", "k": audit.HEAD_KEY},
    )


def forge_event(engine: Engine, kind: str, details: dict[str, Any], **columns: Any) -> int:
    """Append an event by hand, hashed like the kiosk does (no signature: no key)."""
    import datetime as dt
    import secrets

    with engine.begin() as conn:
        head = conn.execute(
            text("SELECT value FROM settings WHERE key = :k"), {"k": audit.HEAD_KEY}
        ).scalar()
        last, _, prev = head.partition(":")
        body = audit.canonical_json(details)
        salt = secrets.token_hex(16)
        event = AuditEvent(
            seq=int(last) + 1,
            at=dt.datetime(2026, 12, 7, 12, 0, 0, 1),
            kind=kind,
            actor_id=columns.get("actor_id"),
            actor_name=columns.get("actor_name", "Admin"),
            pupil_id=columns.get("pupil_id"),
            slot_number=None,
            custody_id=None,
            details=body,
            details_digest=audit.details_digest(body, salt),
            details_salt=salt,
            redacted=False,
            prev_hash=prev,
        )
        event.hash = audit.event_hash(event)
        values = {c.key: getattr(event, c.key) for c in AuditEvent.__table__.columns}
        conn.execute(AuditEvent.__table__.insert(), values)
        conn.execute(
            text("UPDATE settings SET value = :v WHERE key = :k"),
            {"v": f"{event.seq}:{event.hash}", "k": audit.HEAD_KEY},
        )
        return event.seq


def resign_head(engine: Engine, sealer: Any) -> None:
    """The holder of the kiosk's current key signs whatever head the chain now has."""
    with engine.begin() as conn:
        seq, hashed, _ = audit._chain_end(conn)
        conn.execute(
            text(
                "UPDATE audit_heads SET epoch = :epoch, seq = :seq, hash = :hash,"
                " signature = :signature WHERE line = :line"
            ),
            sealer._head(seq, hashed),
        )
