"""Bulk-built audit history for the benchmarks: events appended to the real hash chain
(the same hashing as ``audit.append``), thousands at a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.tables import AuditEvent, Setting


@dataclass(frozen=True)
class _Hashable:
    seq: int
    at: dt.datetime
    kind: str
    actor_id: int | None
    actor_name: str | None
    pupil_id: int | None
    slot_number: int | None
    custody_id: int | None
    details_digest: str
    prev_hash: str


class ChainWriter:
    """Appends events to the real hash chain in bulk (same hashing as audit.append)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        last = conn.execute(
            select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
        ).first()
        self.seq, self.prev = (last.seq, last.hash) if last else (0, audit.GENESIS_HASH)
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        when: dt.datetime,
        kind: str,
        actor: Actor,
        *,
        pupil_id: int | None = None,
        slot_number: int | None = None,
        custody_id: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.seq += 1
        text = audit.canonical_json(details or {})
        digest = audit.sha256_hex(text)
        fields = _Hashable(
            self.seq,
            when,
            kind,
            actor.id,
            actor.name,
            pupil_id,
            slot_number,
            custody_id,
            digest,
            self.prev,
        )
        self.prev = audit.event_hash(fields)
        self.rows.append(
            {
                "seq": self.seq,
                "at": when,
                "kind": kind,
                "actor_id": actor.id,
                "actor_name": actor.name,
                "pupil_id": pupil_id,
                "slot_number": slot_number,
                "custody_id": custody_id,
                "details": text,
                "details_digest": digest,
                "redacted": False,
                "prev_hash": fields.prev_hash,
                "hash": self.prev,
            }
        )
        if len(self.rows) >= 20_000:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.conn.execute(insert(AuditEvent), self.rows)
            self.rows = []
        self.conn.execute(
            update(Setting)
            .where(Setting.key == audit.HEAD_KEY)
            .values(value=f"{self.seq}:{self.prev}")
        )
