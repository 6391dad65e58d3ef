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
import secrets
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from kiosk.clock import utcnow
from kiosk.errors import AuditChainDamaged
from kiosk.prepared import Prepared
from kiosk.record.chain_scan import PURGE_KIND as PURGE_KIND  # their home: the light scan
from kiosk.record.chain_scan import PURGE_RANGES_KEY as PURGE_RANGES_KEY
from kiosk.record.chain_scan import REDACTED_DETAILS as REDACTED_DETAILS
from kiosk.tables import AuditEvent, Setting

GENESIS_HASH = "0" * 64
HEAD_KEY = "audit_head"  # "seq:hash" of the newest event: deleting the newest rows shows
PURGE_PUPILS_KEY = "purged_pupil_ranges"  # the pupil ids it removed, as [first, last] runs


@dataclass(frozen=True)
class Actor:
    """Who did it: a staff member (id and name), or the self-service kiosk (id None)."""

    id: int | None
    name: str


KIOSK_ACTOR = Actor(None, "kiosk")


@dataclass(slots=True)
class NewEvent:
    """An event as ``append`` stored it (its row's fields), for reading: a plain object,
    not an ORM one, as every hand-in appends one and building an ORM instance cost more
    than the INSERT."""

    seq: int
    at: dt.datetime
    kind: str
    actor_id: int | None
    actor_name: str | None
    pupil_id: int | None
    slot_number: int | None
    custody_id: int | None
    details: str
    details_digest: str
    details_salt: str | None
    redacted: bool
    prev_hash: str
    hash: str = ""


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_hex(data: str) -> str:
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def details_digest(details: str, salt: str | None) -> str:
    """SHA-256 of the details, salted for events written since salting (salt None: an
    older event's plain digest). A redacted event has lost its salt, so its digest can no
    longer confirm a guess about what the details were."""
    return sha256_hex(details if salt is None else salt + details)


# Called after each append with (connection, seq, hash) of the new head, for the engine
# it was registered for: kiosk.record signs the head there (see kiosk.record.seal).
HeadSigner = Callable[[Connection, int, str], None]
HEAD_SIGNERS: weakref.WeakKeyDictionary[Engine, HeadSigner] = weakref.WeakKeyDictionary()


class HashedEvent(Protocol):
    """The fields the hash covers: an AuditEvent, or any object with these attributes."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> dt.datetime: ...
    @property
    def kind(self) -> str: ...
    @property
    def actor_id(self) -> int | None: ...
    @property
    def actor_name(self) -> str | None: ...
    @property
    def pupil_id(self) -> int | None: ...
    @property
    def slot_number(self) -> int | None: ...
    @property
    def custody_id(self) -> int | None: ...
    @property
    def details_digest(self) -> str: ...
    @property
    def prev_hash(self) -> str: ...


def event_hash(event: HashedEvent) -> str:
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


def lock_chain(conn: Connection) -> None:
    # On PostgreSQL, concurrent writers queue here so the chain stays linear. SQLite
    # transactions already start with BEGIN IMMEDIATE (see kiosk.db).
    if conn.dialect.name == "postgresql":
        conn.execute(_ADVISORY_LOCK)


def append(
    conn: Connection | Session,
    kind: str,
    actor: Actor,
    *,
    pupil_id: int | None = None,
    slot_number: int | None = None,
    custody_id: int | None = None,
    details: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> NewEvent:
    """Add one event to the chain inside the caller's transaction: an ORM session's (its
    pending rows are flushed first, as the event may refer to them) or a Core connection's.
    The event returned is for reading (seq, hash), not attached to any session."""
    if isinstance(conn, Session):
        conn.flush()
        conn = conn.connection()
    lock_chain(conn)
    last_seq, last_hash, head_exists = _chain_end(conn)
    details_text = canonical_json(details or {})
    salt = secrets.token_hex(16)
    event = NewEvent(
        seq=last_seq + 1,
        at=(at or utcnow()).replace(tzinfo=None),
        kind=kind,
        actor_id=actor.id,
        actor_name=actor.name,
        pupil_id=pupil_id,
        slot_number=slot_number,
        custody_id=custody_id,
        details=details_text,
        details_digest=details_digest(details_text, salt),
        details_salt=salt,
        redacted=False,
        prev_hash=last_hash,
    )
    event.hash = event_hash(event)
    conn.execute(_INSERT_EVENT, _event_row(event))
    head = {"head": f"{event.seq}:{event.hash}"}
    conn.execute(_WRITE_HEAD if head_exists else _INSERT_HEAD, head)
    signer = HEAD_SIGNERS.get(conn.engine)
    if signer is not None:
        signer(conn, event.seq, event.hash)
    return event


def _event_row(event: NewEvent) -> dict[str, Any]:
    return {column: getattr(event, column) for column in _EVENT_COLUMNS}


def _chain_end(conn: Connection) -> tuple[int, str, bool]:
    """The seq and hash a new event follows, and whether the chain head exists. The head
    is written by every append in the same transaction and read here fresh (never from an
    ORM session's identity map). Continuing from it rather than from the newest row means
    events removed from the end show as a gap at the next append instead of being papered
    over. A chain with events but no usable head is damaged: nothing is appended to it
    (continuing from the newest row would hide the removal of the events after it)."""
    head = conn.execute(_READ_HEAD.on(conn)).scalar()
    if head:
        seq, _, hashed = head.partition(":")
        if seq.isdigit() and len(hashed) == 64:
            return int(seq), hashed, True
    if conn.execute(_NEWEST_EVENT).first() is not None:
        raise AuditChainDamaged()
    return 0, GENESIS_HASH, head is not None


# Every service's transaction runs these: built once (building a statement costs more than
# running it on SQLite).
_READ_HEAD = Prepared(select(Setting.value).where(Setting.key == HEAD_KEY))  # kiosk.prepared
_NEWEST_EVENT = select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
_WRITE_HEAD = update(Setting).where(Setting.key == HEAD_KEY).values(value=bindparam("head"))
_INSERT_HEAD = insert(Setting).values(key=HEAD_KEY, value=bindparam("head"))
_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(7410001)")
_EVENT_COLUMNS = tuple(column.key for column in AuditEvent.__table__.columns)
_INSERT_EVENT = insert(AuditEvent)
