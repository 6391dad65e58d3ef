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
import os
import secrets
import sqlite3
import subprocess
import sys
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import String, bindparam, func, insert, select, text, type_coerce, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from kiosk import side_process
from kiosk.clock import utcnow
from kiosk.errors import AuditChainDamaged
from kiosk.tables import AuditEvent, Setting

if TYPE_CHECKING:  # kiosk.db (and the Alembic it loads) stays out of the verify worker
    from kiosk.db import Sessions

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


def _row_is_sound(row: Sequence[Any], expected_seq: int, prev_hash: str) -> bool:
    """The checks of ``_check_event`` on a row of _VERIFY_COLUMNS, written for speed: the
    canonical JSON text is built directly. Any doubt (an unusual stored time, a value of
    an unexpected type) gives False, which sends the event to the exact check."""
    seq, at, kind, actor_id, actor_name, pupil_id, slot, custody_id = row[:8]
    details, digest, redacted, row_prev, stored, salt = row[8:]
    if seq != expected_seq or row_prev != prev_hash:
        return False
    try:
        if redacted:
            if details != REDACTED_DETAILS or salt is not None:
                return False
        elif _sha256((details if salt is None else salt + details).encode()).hexdigest() != digest:
            return False
        if type(at) is str:
            if len(at) != 26 or at[10] != " ":  # not SQLAlchemy's own storage format
                return False
            at_text = f"{at[:10]}T{at[11:]}"
        else:
            at_text = at.isoformat(timespec="microseconds")
        # int.__repr__ refuses anything but an int (such as the text "null" put where a
        # NULL was): then the exact check decides.
        text = (
            f"[{int.__repr__(seq)},{_json_string(at_text)},{_json_string(kind)},"
            f"{'null' if actor_id is None else int.__repr__(actor_id)},"
            f"{'null' if actor_name is None else _json_string(actor_name)},"
            f"{'null' if pupil_id is None else int.__repr__(pupil_id)},"
            f"{'null' if slot is None else int.__repr__(slot)},"
            f"{'null' if custody_id is None else int.__repr__(custody_id)},"
            f'{_json_string(digest)},"{row_prev}"]'  # row_prev: the previous hash, hex digits
        )
        return bool(_sha256(text.encode()).hexdigest() == stored)
    except (TypeError, ValueError, AttributeError):
        return False


def _iter_rows(
    session: Session, after: int = 0, upto: int | None = None, batch: int = 20000
) -> Iterator[Sequence[Any]]:
    """The events after seq ``after`` (up to ``upto``) as plain rows, streamed in order
    (Core rows, not ORM objects: several times faster, and memory stays flat)."""
    query = select(*_VERIFY_COLUMNS).where(AuditEvent.seq > after)
    if upto is not None:
        query = query.where(AuditEvent.seq <= upto)
    query = query.order_by(AuditEvent.seq).execution_options(yield_per=batch)
    yield from session.connection().execute(query)


# The same columns in plain SQL for the DBAPI cursor on SQLite (and the worker process).
_RANGE_SQL = (
    "SELECT seq, at, kind, actor_id, actor_name, pupil_id, slot_number, custody_id, details,"
    " details_digest, redacted, prev_hash, hash, details_salt FROM audit_events"
    " WHERE seq > ? AND seq <= ? ORDER BY seq"
)
_NO_LIMIT = 2**63 - 1


def _iter_batches(
    session: Session, after: int = 0, upto: int | None = None, batch: int = 20000
) -> Iterator[Sequence[Sequence[Any]]]:
    """Every event in order, in lists of plain rows. On SQLite straight from the DBAPI
    cursor (a third of verify's time was SQLAlchemy's Row objects); elsewhere through
    ``_iter_rows``, which streams with a server-side cursor."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        rows = iter(_iter_rows(session, after, upto, batch))
        while chunk := list(islice(rows, batch)):
            yield chunk
        return
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(_RANGE_SQL, (after, _NO_LIMIT if upto is None else upto))
        while chunk := cursor.fetchmany(batch):
            yield chunk
    finally:
        cursor.close()


def _scan(
    rows: Sequence[Sequence[Any]], expected: int, prev_hash: str, unlisted: set[int]
) -> tuple[int, int, str]:
    """``_row_is_sound`` over a batch, inlined for speed, and the purge-listing bookkeeping.
    Returns (rows that passed, the next expected seq, the last hash): stops at the first
    row the fast path doubts."""
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


def _walk(session: Session, walk: _Walk, upto: int | None = None) -> ChainReport | None:
    """Check the events after ``walk`` (up to seq ``upto``), updating ``walk``; a report
    naming the first bad event, or None."""
    for batch in _iter_batches(session, walk.expected - 1, upto):
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


# -- verifying a long chain in two processes (SQLite files) ----------------------------------

PARALLEL_FROM = 100_000  # events; below this a second process costs more than it saves
# Bytes of the database file a long read maps into memory: its pages are read in place
# rather than copied in by a system call each (a tenth of the CPU of reading a year's log).
READ_MAPPED = 1 << 30
WORKER_SHARE = 0.47  # of the events, checked by the worker (balanced by measurement)


def _database_file(session: Session) -> str | None:
    bind = session.get_bind()
    database = bind.engine.url.database
    if bind.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:") or not os.path.isfile(database):
        return None
    return database


def _worker_scan(database: str, after: int, upto: int) -> dict[str, Any]:
    """The fast path over seqs ``after`` < seq <= ``upto`` on a connection of our own. The
    chunk counts as sound only if every row passes and the seqs run unbroken; the link into
    the chunk (the first row's prev_hash) is for the caller to check."""
    connection = sqlite3.connect(Path(database).as_uri() + "?mode=ro", uri=True, timeout=10)
    try:
        connection.execute(f"PRAGMA mmap_size={READ_MAPPED}")
        cursor = connection.execute(_RANGE_SQL, (after, upto))
        first = cursor.fetchmany(1)
        if not first or first[0][0] != after + 1:
            return {"sound": False}
        entry_link, expected, prev_hash = first[0][11], after + 1, first[0][11]
        unlisted: set[int] = set()
        purges: list[tuple[int, str]] = []
        batch: Sequence[Sequence[Any]] = first
        while batch:
            done, expected, prev_hash = _scan(batch, expected, prev_hash, unlisted)
            if done != len(batch):
                return {"sound": False}
            purges.extend((row[0], row[8]) for row in batch if row[2] == PURGE_KIND)
            batch = cursor.fetchmany(20000)
        return {
            "sound": expected == upto + 1,
            "entry_link": entry_link,
            "last_hash": prev_hash,
            "unlisted": sorted(unlisted),
            "purges": purges,
        }
    finally:
        connection.close()


def _worker_main() -> None:
    database, after, upto = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    try:
        result = _worker_scan(database, after, upto)
    except Exception:  # any trouble: the parent checks the chunk itself
        result = {"sound": False}
    json.dump(result, sys.stdout)


# The worker runs this file's own fast-path functions (and the constants they read) without
# importing the module, whose SQLAlchemy imports cost a third of a second before its first
# row (side_process.definitions_boot).
_WORKER_DEFINITIONS = (
    "READ_MAPPED",
    "REDACTED_DETAILS",
    "PURGE_KIND",
    "PURGE_RANGES_KEY",
    "_json_string",
    "_sha256",
    "_RANGE_SQL",
    "_scan",
    "_purge_listed",
    "_worker_scan",
    "_worker_main",
)


def _start_worker(database: str, after: int, upto: int) -> subprocess.Popen[str] | None:
    code = side_process.definitions_boot([(__file__, _WORKER_DEFINITIONS)], "_worker_main")
    return side_process.start(code, database, str(after), str(upto))


def _worker_result(worker: subprocess.Popen[str]) -> dict[str, Any]:
    return side_process.result(worker, timeout=600) or {"sound": False}


def _join(walk: _Walk, result: dict[str, Any], upto: int) -> bool:
    """Take the worker's chunk (after ``walk``, up to ``upto``) if it is sound, links to
    the parent's part and leaves no redaction unlisted; otherwise False (the caller
    walks the chunk itself, which names any problem exactly as a single walk would)."""
    if not result.get("sound") or result.get("entry_link") != walk.prev_hash:
        return False
    unlisted = set(walk.unlisted)
    for seq, details in result["purges"]:
        if unlisted:
            unlisted.difference_update(_purge_listed(details, seq))
    unlisted.update(result["unlisted"])
    if unlisted:  # rare (and maybe a purge between the two snapshots): check it here
        return False
    walk.count += upto - walk.expected + 1
    walk.unlisted = unlisted
    walk.prev_hash, walk.expected, walk.last = result["last_hash"], upto + 1, upto
    return True


def verify(sessions: Sessions) -> ChainReport:
    """Walk the whole chain from the first event; name the first bad one. A long chain in
    an SQLite file is checked in two halves at once: a worker process takes the later
    part, and any doubt about it is settled by the walk here."""
    with sessions() as session:
        walk = _Walk()
        worker, split, top = None, None, None
        database = _database_file(session)
        if database is not None:
            top = session.scalar(select(func.max(AuditEvent.seq)))
            if top is not None and top >= PARALLEL_FROM:
                split = top - int(top * WORKER_SHARE)
                worker = _start_worker(database, split, top)
        try:
            if worker is not None and split is not None and top is not None:
                broken = _walk(session, walk, split)
                if broken:
                    return broken
                if walk.expected == split + 1:
                    _join(walk, _worker_result(worker), top)
            broken = _walk(session, walk)
            if broken:
                return broken
        finally:
            if worker is not None and worker.poll() is None:
                worker.kill()
                worker.wait()
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


def last_hash(session: Session) -> str | None:
    return session.scalar(select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1))
