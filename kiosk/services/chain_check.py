"""Checking the audit log's hash chain (``kiosk.services.audit`` writes it): every event
from #1 on in order, each one's link, details digest and hash as written, the chain head
matching the newest event, and every redacted event listed by a later retention purge. The
first bad event is named."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.services.audit import (
    GENESIS_HASH,
    HEAD_KEY,
    PURGE_KIND,
    PURGE_RANGES_KEY,
    REDACTED_DETAILS,
    details_digest,
    event_hash,
)
from kiosk.tables import AuditEvent, Setting

_LOWEST_SEQ = select(func.min(AuditEvent.seq))


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


def verify(sessions: Database) -> ChainReport:
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
