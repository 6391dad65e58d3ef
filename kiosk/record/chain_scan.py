"""The audit chain's fast check over plain rows, standard library only: the parent's half of
``kiosk verify-log`` (``kiosk.services.chain_check``) and the second process's half
(``kiosk.record.chain_half``) run this one code. The exact, slow check of a row it doubts
stays in ``chain_check``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

REDACTED_DETAILS = '{"redacted":true}'
# The retention purge's own event lists the events it redacted as [first, last] seq ranges;
# chain_check.verify requires every redacted event to be listed by a later purge event.
PURGE_KIND = "retention_purge"
PURGE_RANGES_KEY = "redacted_seq_ranges"

# The columns the scan reads, in order, for the DBAPI cursor on SQLite: the events from
# seq ``first`` to ``last``, in order.
RANGE_SQL = (
    "SELECT seq, at, kind, actor_id, actor_name, pupil_id, slot_number, custody_id, details,"
    " details_digest, redacted, prev_hash, hash, details_salt FROM audit_events"
    " WHERE seq >= ? AND seq <= ? ORDER BY seq"
)
_json_string: Callable[[str], str] = json.encoder.encode_basestring  # as json.dumps uses
_sha256 = hashlib.sha256


def scan(
    rows: Sequence[Sequence[Any]], expected: int, prev_hash: str, unlisted: set[int]
) -> tuple[int, int, str]:
    """``chain_check._check_event``'s checks over a batch of ``RANGE_SQL`` rows, written for
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
        if seq != expected or row_prev != prev_hash:
            break
        if type(at) is not str:  # PostgreSQL's driver gives a time, SQLite's its text
            if type(at) is not datetime:
                break
            at = at.isoformat(" ", "microseconds")
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
            unlisted.difference_update(purge_listed(details, seq))
        prev_hash, expected, done = stored, seq + 1, done + 1
    return done, expected, prev_hash


def purge_listed(details: str, before_seq: int) -> Iterator[int]:
    """The redacted event seqs a retention purge event lists (only earlier events count)."""
    try:
        ranges = json.loads(details).get(PURGE_RANGES_KEY, [])
        for first, last in ranges:
            yield from range(int(first), min(int(last), before_seq - 1) + 1)
    except (ValueError, TypeError, AttributeError):
        return
