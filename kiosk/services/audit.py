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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol

from sqlalchemy import String, bindparam, func, insert, select, text, type_coerce, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from kiosk.clock import utcnow
from kiosk.db import Sessions
from kiosk.errors import AuditChainDamaged
from kiosk.tables import AuditEvent, Setting

GENESIS_HASH = "0" * 64
HEAD_KEY = "audit_head"  # "seq:hash" of the newest event: deleting the newest rows shows
REDACTED_DETAILS = '{"redacted":true}'
# The retention purge's own event lists the events it redacted as [first, last] seq ranges;
# verify() requires every redacted event to be listed by a later purge event.
PURGE_KIND = "retention_purge"
PURGE_RANGES_KEY = "redacted_seq_ranges"
PURGE_PUPILS_KEY = "purged_pupil_ranges"  # the pupil ids it removed, as [first, last] runs


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
) -> AuditEvent:
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
    event = AuditEvent(
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


def _event_row(event: AuditEvent) -> dict[str, Any]:
    return {column: getattr(event, column) for column in _EVENT_COLUMNS}


def _chain_end(conn: Connection) -> tuple[int, str, bool]:
    """The seq and hash a new event follows, and whether the chain head exists. The head
    is written by every append in the same transaction and read here fresh (never from an
    ORM session's identity map). Continuing from it rather than from the newest row means
    events removed from the end show as a gap at the next append instead of being papered
    over. A chain with events but no usable head is damaged: nothing is appended to it
    (continuing from the newest row would hide the removal of the events after it)."""
    head = conn.execute(_READ_HEAD).scalar()
    if head:
        seq, _, hashed = head.partition(":")
        if seq.isdigit() and len(hashed) == 64:
            return int(seq), hashed, True
    if conn.execute(_NEWEST_EVENT).first() is not None:
        raise AuditChainDamaged()
    return 0, GENESIS_HASH, head is not None


# Every service's transaction runs these: built once (building a statement costs more than
# running it on SQLite).
_READ_HEAD = select(Setting.value).where(Setting.key == HEAD_KEY)
_NEWEST_EVENT = select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
_WRITE_HEAD = update(Setting).where(Setting.key == HEAD_KEY).values(value=bindparam("head"))
_INSERT_HEAD = insert(Setting).values(key=HEAD_KEY, value=bindparam("head"))
_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(7410001)")
_LOWEST_SEQ = select(func.min(AuditEvent.seq))
_EVENT_COLUMNS = tuple(column.key for column in AuditEvent.__table__.columns)
_INSERT_EVENT = insert(AuditEvent)


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
    digest = details_digest(event.details, event.details_salt)
    if not event.redacted and digest != event.details_digest:
        return "its details were changed after it was written"
    if event.redacted and (event.details != REDACTED_DETAILS or event.details_salt is not None):
        return "it is marked redacted but still holds details"
    if event_hash(event) != event.hash:
        return "its contents were changed after it was written"
    return None


# verify() reads plain tuples in this column order; "at" comes as the database gives it (a
# string on SQLite), because parsing 600,000 datetimes would cost more than the hashing.
_VERIFY_COLUMNS = (
    AuditEvent.seq,
    type_coerce(AuditEvent.at, String),
    AuditEvent.kind,
    AuditEvent.actor_id,
    AuditEvent.actor_name,
    AuditEvent.pupil_id,
    AuditEvent.slot_number,
    AuditEvent.custody_id,
    AuditEvent.details,
    AuditEvent.details_digest,
    AuditEvent.redacted,
    AuditEvent.prev_hash,
    AuditEvent.hash,
    AuditEvent.details_salt,
)
_json_string: Callable[[str], str] = json.encoder.encode_basestring  # as json.dumps uses
_sha256 = hashlib.sha256


def _iter_rows(session: Session, after: int = 0, batch: int = 20000) -> Iterator[Sequence[Any]]:
    """The events after seq ``after`` as plain rows, streamed in order (Core rows, not ORM
    objects: several times faster, and memory stays flat)."""
    query = select(*_VERIFY_COLUMNS).where(AuditEvent.seq > after)
    query = query.order_by(AuditEvent.seq).execution_options(yield_per=batch)
    yield from session.connection().execute(query)


# The same columns in plain SQL for the DBAPI cursor on SQLite.
_RANGE_SQL = (
    "SELECT seq, at, kind, actor_id, actor_name, pupil_id, slot_number, custody_id, details,"
    " details_digest, redacted, prev_hash, hash, details_salt FROM audit_events"
    " WHERE seq > ? ORDER BY seq"
)


def _iter_batches(
    session: Session, after: int = 0, batch: int = 20000
) -> Iterator[Sequence[Sequence[Any]]]:
    """Every event in order, in lists of plain rows. On SQLite straight from the DBAPI
    cursor (a third of verify's time was SQLAlchemy's Row objects); elsewhere through
    ``_iter_rows``, which streams with a server-side cursor."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        rows = iter(_iter_rows(session, after, batch))
        while chunk := list(islice(rows, batch)):
            yield chunk
        return
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(_RANGE_SQL, (after,))
        while chunk := cursor.fetchmany(batch):
            yield chunk
    finally:
        cursor.close()


def _scan(
    rows: Sequence[Sequence[Any]], expected: int, prev_hash: str, unlisted: set[int]
) -> tuple[int, int, str]:
    """The checks of ``_check_event`` over a batch of _VERIFY_COLUMNS rows, written for
    speed (the canonical JSON text is built directly), and the purge-listing bookkeeping.
    Returns (rows that passed, the next expected seq, the last hash): stops at the first
    row it doubts (an unusual stored time, a value of an unexpected type, a mismatch),
    which the exact check then decides."""
    sha, enc, done = _sha256, _json_string, 0
    redacted_text, purge_kind = REDACTED_DETAILS, PURGE_KIND
    irepr = int.__repr__
    for row in rows:
        (seq, at, kind, actor_id, actor_name, pupil_id, slot, custody_id) = row[:8]
        (details, digest, redacted, row_prev, stored, salt) = row[8:]
        if seq != expected or row_prev != prev_hash or type(at) is not str:
            break
        if len(at) != 26 or at[10] != " ":
            break
        try:
            if redacted:
                if details != redacted_text or salt is not None:
                    break
            elif sha((details if salt is None else salt + details).encode()).hexdigest() != digest:
                break
            text = (
                f"[{irepr(seq)},{enc(f'{at[:10]}T{at[11:]}')},{enc(kind)},"
                f"{'null' if actor_id is None else irepr(actor_id)},"
                f"{'null' if actor_name is None else enc(actor_name)},"
                f"{'null' if pupil_id is None else irepr(pupil_id)},"
                f"{'null' if slot is None else irepr(slot)},"
                f"{'null' if custody_id is None else irepr(custody_id)},"
                f'{enc(digest)},"{row_prev}"]'
            )
            if sha(text.encode()).hexdigest() != stored:
                break
        except (TypeError, ValueError, AttributeError):
            break
        if redacted:
            unlisted.add(seq)
        elif kind == purge_kind and unlisted:
            unlisted.difference_update(_purge_listed(details, seq))
        prev_hash, expected, done = stored, seq + 1, done + 1
    return done, expected, prev_hash


def _purge_listed(details: str, before_seq: int) -> Iterator[int]:
    """The redacted event seqs a retention purge event lists (only earlier events count)."""
    try:
        ranges = json.loads(details).get(PURGE_RANGES_KEY, [])
        for first, last in ranges:
            yield from range(int(first), min(int(last), before_seq - 1) + 1)
    except (ValueError, TypeError, AttributeError):
        return


@dataclass
class _Walk:
    """Where a walk along the chain has got to."""

    prev_hash: str = GENESIS_HASH
    expected: int = 1
    count: int = 0
    last: int | None = None
    unlisted: set[int] = field(default_factory=set)  # redacted, not yet listed by a purge


def _walk(session: Session, walk: _Walk) -> ChainReport | None:
    """Check the events after ``walk``, updating ``walk``; a report naming the first bad
    event, or None."""
    for batch in _iter_batches(session, walk.expected - 1):
        start = 0
        while start < len(batch):
            rows = batch[start:] if start else batch
            done, walk.expected, walk.prev_hash = _scan(
                rows, walk.expected, walk.prev_hash, walk.unlisted
            )
            walk.count += done
            start += done
            if done:
                walk.last = walk.expected - 1
            if start == len(batch):
                break
            row = batch[start]  # the fast path doubts it: the exact check decides
            event = session.get(AuditEvent, row[0])
            expected, prev_hash = walk.expected, walk.prev_hash
            problem = _check_event(event, expected, prev_hash) if event else "it is missing"
            if problem:
                return ChainReport(
                    False, walk.count, expected - 1 or None, prev_hash, expected, problem
                )
            seq, kind, details, redacted = row[0], row[2], row[8], row[10]
            if redacted:
                walk.unlisted.add(seq)
            elif kind == PURGE_KIND and walk.unlisted:
                walk.unlisted.difference_update(_purge_listed(details, seq))
            walk.prev_hash, walk.expected, walk.count, walk.last = (
                row[12],
                seq + 1,
                walk.count + 1,
                seq,
            )
            start += 1
    return None


def verify(sessions: Sessions) -> ChainReport:
    """Walk the whole chain from the first event, in one snapshot; name the first bad one."""
    with sessions.snapshot() as reader, reader() as session:
        walk = _Walk()
        broken = _walk(session, walk)
        if broken:
            return broken
        prev_hash, count, last, unlisted = walk.prev_hash, walk.count, walk.last, walk.unlisted
        lowest = session.scalar(_LOWEST_SEQ)
        if lowest is not None and lowest < 1:
            problem = "it is numbered 0 or below, outside the chain (an event was slipped in)"
            return ChainReport(False, count, last, prev_hash, lowest, problem)
        if count == 0 and session.scalar(select(func.count()).select_from(AuditEvent)):
            return ChainReport(False, 0, None, None, 1, "the first event is missing")
        head = session.get(Setting, HEAD_KEY)
        expected_head = f"{last}:{prev_hash}" if count else None
        if (head.value if head else None) != expected_head:
            bad = (last or 0) + 1
            problem = "the newest events were removed (the chain head does not match)"
            return ChainReport(False, count, last, prev_hash, bad, problem)
        if unlisted:
            problem = "its details were removed, but no retention purge event lists it"
            return ChainReport(False, count, last, prev_hash, min(unlisted), problem)
        return ChainReport(True, count, last, prev_hash if count else None)
