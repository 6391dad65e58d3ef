"""Checking the audit log's hash chain (``kiosk.services.audit`` writes it): every event
from #1 on in order, each one's link, details digest and hash as written, the chain head
matching the newest event, and every redacted event listed by a later retention purge. The
first bad event is named."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.record.chain_scan import RANGE_SQL, purge_listed, scan
from kiosk.services import helper_process
from kiosk.services.audit import (
    GENESIS_HASH,
    HEAD_KEY,
    PURGE_KIND,
    REDACTED_DETAILS,
    details_digest,
    event_hash,
)
from kiosk.tables import AuditEvent, Setting

HALF_MODULE = "kiosk.record.chain_half"  # the newer half's process (python -I -m)
ONE_PROCESS = "verify-log checks the whole chain in one process"

_LOWEST_SEQ = select(func.min(AuditEvent.seq))
_NO_END = 2**63 - 1
_HIGHEST_SEQ = select(func.max(AuditEvent.seq))
SPLIT_FROM = 100_000  # events: below this a second process's start is not worth it
# This process's share of the events. Both read with the sqlite3 module's own cursor and
# run one scan: measured one after the other on the year, 4.7 and 4.6 us an event.
PARENT_SHARE = 0.5


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


def _iter_rows(
    session: Session, after: int, until: int, batch: int = 20000
) -> Iterator[Sequence[Any]]:
    """The events after seq ``after`` up to ``until`` as plain rows, streamed in order (Core
    rows, not ORM objects: several times faster, and memory stays flat)."""
    query = select(*_VERIFY_COLUMNS).where(AuditEvent.seq > after)
    if until != _NO_END:  # (beyond PostgreSQL's integer)
        query = query.where(AuditEvent.seq <= until)
    query = query.order_by(AuditEvent.seq).execution_options(yield_per=batch)
    yield from session.connection().execute(query)


def _iter_batches(
    session: Session, after: int, until: int, batch: int = 20000
) -> Iterator[Sequence[Sequence[Any]]]:
    """The events after ``after`` up to ``until`` in order, in lists of plain rows. On
    SQLite straight from the DBAPI cursor (a third of verify's time was SQLAlchemy's Row
    objects); elsewhere through ``_iter_rows``, which streams with a server-side cursor."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        rows = iter(_iter_rows(session, after, until, batch))
        while chunk := list(islice(rows, batch)):
            yield chunk
        return
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(RANGE_SQL, (after + 1, until))
        while chunk := cursor.fetchmany(batch):
            yield chunk
    finally:
        cursor.close()


@dataclass
class _Walk:
    """Where a walk along the chain has got to."""

    prev_hash: str = GENESIS_HASH
    expected: int = 1
    count: int = 0
    last: int | None = None
    unlisted: set[int] = field(default_factory=set)  # redacted, not yet listed by a purge


def _walk(session: Session, walk: _Walk, until: int = _NO_END) -> ChainReport | None:
    """Check the events after ``walk`` up to seq ``until``, updating ``walk``; a report
    naming the first bad event, or None."""
    for batch in _iter_batches(session, walk.expected - 1, until):
        start = 0
        while start < len(batch):
            rows = batch[start:] if start else batch
            done, walk.expected, walk.prev_hash = scan(
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
                walk.unlisted.difference_update(purge_listed(details, seq))
            walk.prev_hash, walk.expected, walk.count, walk.last = (
                row[12],
                seq + 1,
                walk.count + 1,
                seq,
            )
            start += 1
    return None


def _walk_split(sessions: Database, session: Session, walk: _Walk) -> ChainReport | None:
    """On SQLite, for a long chain with a core to spare: the newer half's fast check in a second
    process (``kiosk.record.chain_half``) while this one checks the older half, joined
    where the halves meet. What it does not join (a row the fast check doubts, a link that
    does not meet, a purge since this snapshot) is left for ``_walk`` to check from there
    in this snapshot."""
    file, highest = sessions.file, session.scalar(_HIGHEST_SEQ) or 0
    if file is None or highest < SPLIT_FROM or not helper_process.worth_it():
        return None
    first = int(highest * PARENT_SHARE) + 1
    job = {"database": str(file.resolve()), "first": first, "last": highest}
    # a helper that cannot start or fails leaves the newer half to _walk, as one process
    with helper_process.started(HALF_MODULE, job, ONE_PROCESS) as helper:
        broken = _walk(session, walk, until=first - 1)
        if broken:
            return broken
        answer = helper.answer_or_none() if helper else None
    if answer and not answer["moved"] and answer["done"]:
        _join(walk, answer, first)
    return None


def _join(walk: _Walk, answer: dict[str, Any], first: int) -> None:
    """The newer half's answer joined to ``walk``, if the older half ends where it begins."""
    if walk.expected != first or answer["first_prev"] != walk.prev_hash:
        return
    for seq, details in answer["purges"]:
        walk.unlisted.difference_update(purge_listed(details, seq))
    walk.unlisted.update(answer["unlisted"])
    walk.count += answer["done"]
    walk.expected, walk.prev_hash = answer["expected"], answer["prev_hash"]
    walk.last = walk.expected - 1


def verify(sessions: Database) -> ChainReport:
    """Walk the whole chain from the first event, in one snapshot; name the first bad one."""
    with sessions.snapshot() as reader, reader() as session:
        walk = _Walk()
        broken = _walk_split(sessions, session, walk) or _walk(session, walk)
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
