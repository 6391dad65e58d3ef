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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import String, func, select, text, type_coerce
from sqlalchemy.orm import Session

from kiosk.clock import utcnow
from kiosk.db import Sessions
from kiosk.tables import AuditEvent, Setting

GENESIS_HASH = "0" * 64
HEAD_KEY = "audit_head"  # "seq:hash" of the newest event: deleting the newest rows shows
REDACTED_DETAILS = '{"redacted":true}'
# The retention purge's own event lists the events it redacted as [first, last] seq ranges;
# verify() requires every redacted event to be listed by a later purge event.
PURGE_KIND = "retention_purge"
PURGE_RANGES_KEY = "redacted_seq_ranges"


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
)
_json_string: Callable[[str], str] = json.encoder.encode_basestring  # as json.dumps uses
_sha256 = hashlib.sha256


def _row_is_sound(row: Sequence[Any], expected_seq: int, prev_hash: str) -> bool:
    """The checks of ``_check_event`` on a row of _VERIFY_COLUMNS, written for speed: the
    canonical JSON text is built directly. Any doubt (an unusual stored time, a value of
    an unexpected type) gives False, which sends the event to the exact check."""
    seq, at, kind, actor_id, actor_name, pupil_id, slot, custody_id = row[:8]
    details, digest, redacted, row_prev, stored = row[8:]
    if seq != expected_seq or row_prev != prev_hash:
        return False
    try:
        if redacted:
            if details != REDACTED_DETAILS:
                return False
        elif _sha256(details.encode()).hexdigest() != digest:
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


def _iter_rows(session: Session, batch: int = 20000) -> Iterator[Sequence[Any]]:
    """Every event as a plain row, streamed in order (Core rows, not ORM objects: several
    times faster, and memory stays flat)."""
    query = select(*_VERIFY_COLUMNS).order_by(AuditEvent.seq).execution_options(yield_per=batch)
    yield from session.connection().execute(query)


def _purge_listed(details: str, before_seq: int) -> Iterator[int]:
    """The redacted event seqs a retention purge event lists (only earlier events count)."""
    try:
        ranges = json.loads(details).get(PURGE_RANGES_KEY, [])
        for first, last in ranges:
            yield from range(int(first), min(int(last), before_seq - 1) + 1)
    except (ValueError, TypeError, AttributeError):
        return


def verify(sessions: Sessions) -> ChainReport:
    """Walk the whole chain from the first event; name the first bad one."""
    with sessions() as session:
        prev_hash, expected, count, last = GENESIS_HASH, 1, 0, None
        unlisted: set[int] = set()  # redacted events no purge event has listed yet
        for row in _iter_rows(session):
            if not _row_is_sound(row, expected, prev_hash):
                # The exact check on the ORM event decides, and words the problem.
                event = session.get(AuditEvent, row[0])
                problem = _check_event(event, expected, prev_hash) if event else "it is missing"
                if problem:
                    return ChainReport(
                        False, count, expected - 1 or None, prev_hash, expected, problem
                    )
            seq, kind, details, redacted = row[0], row[2], row[8], row[10]
            if redacted:
                unlisted.add(seq)
            elif kind == PURGE_KIND and unlisted:
                unlisted.difference_update(_purge_listed(details, seq))
            prev_hash, expected, count, last = row[12], seq + 1, count + 1, seq
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
