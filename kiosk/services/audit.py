"""The append-only, hash-chained audit log.

Each event's ``hash`` is SHA-256 over its canonical JSON form, which includes the previous
event's hash and the SHA-256 of its details (not the details themselves): a redaction by the
retention purge replaces the details but keeps their digest, so the chain still verifies,
while any other UPDATE or DELETE of a past event breaks it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from kiosk.clock import utcnow
from kiosk.db import Sessions
from kiosk.tables import AuditEvent, Setting

GENESIS_HASH = "0" * 64
HEAD_KEY = "audit_head"  # "seq:hash" of the newest event: deleting the newest rows shows
REDACTED_DETAILS = '{"redacted":true}'


@dataclass(frozen=True)
class Actor:
    """Who did it: a staff member (id and name), or the self-service kiosk (id None)."""

    id: int | None
    name: str


KIOSK_ACTOR = Actor(None, "kiosk")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_hex(data: str) -> str:
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def event_hash(event: AuditEvent) -> str:
    fields = [
        event.seq,
        event.at.isoformat(timespec="microseconds"),
        event.kind,
        event.actor_id,
        event.actor_name,
        event.pupil_id,
        event.slot_number,
        event.custody_id,
        event.details_digest,
        event.prev_hash,
    ]
    return sha256_hex(canonical_json(fields))


def _lock_chain(session: Session) -> None:
    # On PostgreSQL, concurrent writers queue here so the chain stays linear. SQLite
    # transactions already start with BEGIN IMMEDIATE (see kiosk.db).
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7410001)"))


def append(
    session: Session,
    kind: str,
    actor: Actor,
    *,
    pupil_id: int | None = None,
    slot_number: int | None = None,
    custody_id: int | None = None,
    details: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    """Add one event to the chain inside the caller's transaction."""
    _lock_chain(session)
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    details_text = canonical_json(details or {})
    event = AuditEvent(
        seq=(last.seq + 1) if last else 1,
        at=(at or utcnow()).replace(tzinfo=None),
        kind=kind,
        actor_id=actor.id,
        actor_name=actor.name,
        pupil_id=pupil_id,
        slot_number=slot_number,
        custody_id=custody_id,
        details=details_text,
        details_digest=sha256_hex(details_text),
        redacted=False,
        prev_hash=last.hash if last else GENESIS_HASH,
    )
    event.hash = event_hash(event)
    session.add(event)
    _record_head(session, event)
    session.flush()
    return event


def _record_head(session: Session, event: AuditEvent) -> None:
    head = session.get(Setting, HEAD_KEY)
    value = f"{event.seq}:{event.hash}"
    if head is None:
        session.add(Setting(key=HEAD_KEY, value=value))
    else:
        head.value = value


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    events: int
    last_seq: int | None
    last_hash: str | None
    first_bad_seq: int | None = None
    problem: str | None = None

    def describe(self) -> str:
        if self.intact:
            return (
                f"Audit chain intact: {self.events} events, last #{self.last_seq}, "
                f"hash {self.last_hash}"
            )
        return f"Audit chain BROKEN at event #{self.first_bad_seq}: {self.problem}"


def _check_event(event: AuditEvent, expected_seq: int, prev_hash: str) -> str | None:
    if event.seq != expected_seq:
        return f"event #{expected_seq} is missing (next found is #{event.seq})"
    if event.prev_hash != prev_hash:
        return "its link to the previous event does not match (an event was removed or changed)"
    if not event.redacted and sha256_hex(event.details) != event.details_digest:
        return "its details were changed after it was written"
    if event.redacted and event.details != REDACTED_DETAILS:
        return "it is marked redacted but still holds details"
    if event_hash(event) != event.hash:
        return "its contents were changed after it was written"
    return None


def iter_events(session: Session, batch: int = 5000) -> Iterator[AuditEvent]:
    after = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq
        session.expunge_all()


def verify(sessions: Sessions) -> ChainReport:
    """Walk the whole chain from the first event; name the first bad one."""
    with sessions() as session:
        prev_hash, expected, count, last = GENESIS_HASH, 1, 0, None
        for event in iter_events(session):
            problem = _check_event(event, expected, prev_hash)
            if problem:
                return ChainReport(False, count, expected - 1 or None, prev_hash, expected, problem)
            prev_hash, expected, count, last = event.hash, event.seq + 1, count + 1, event.seq
        if count == 0 and session.scalar(select(func.count()).select_from(AuditEvent)):
            return ChainReport(False, 0, None, None, 1, "the first event is missing")
        head = session.get(Setting, HEAD_KEY)
        expected_head = f"{last}:{prev_hash}" if count else None
        if (head.value if head else None) != expected_head:
            bad = (last or 0) + 1
            problem = "the newest events were removed (the chain head does not match)"
            return ChainReport(False, count, last, prev_hash, bad, problem)
        return ChainReport(True, count, last, prev_hash if count else None)


def last_hash(session: Session) -> str | None:
    return session.scalar(select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1))
