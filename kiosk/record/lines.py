"""Key lines, kept in the audit chain itself.

The school root and every change to a kiosk's key line are audit events whose details
carry a signature over a statement that binds the event before them (``seq - 1`` and its
hash, which is the key event's own ``prev_hash``):

- ``audit_root``: the school root public key (the fingerprint); self-signed, it seals the
  history written before signing was set up.
- ``audit_key_enrol``: a kiosk's key line and its first public key, signed by the root.
  ``audit_key_handover`` is the same after a restore on a new PC, and ends the lines it
  replaces.
- ``audit_key_epoch``: a line's next daily key, signed by the line's previous key (which
  is then erased from the kiosk): the previous key's last signed head.
- ``audit_key_revoke``: a line ends (a stolen or retired kiosk), signed by the root.

``replay`` reads them in chain order and says which key each line signs with, from which
event on, or names the first key event that does not hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from kiosk.event_kinds import EventKind
from kiosk.record import keys

ROOT = EventKind.AUDIT_ROOT
ENROL = EventKind.AUDIT_KEY_ENROL
HANDOVER = EventKind.AUDIT_KEY_HANDOVER
EPOCH = EventKind.AUDIT_KEY_EPOCH
REVOKE = EventKind.AUDIT_KEY_REVOKE
KINDS = (ROOT, ENROL, HANDOVER, EPOCH, REVOKE)


@dataclass
class Line:
    name: str
    key: str  # the public key the line signs with now
    epoch: int
    since_seq: int  # the key event that certified the current key
    since_at: str
    revoked_seq: int | None = None


@dataclass
class KeyState:
    root: str | None = None
    root_seq: int | None = None
    last_root_signed_seq: int | None = None  # the newest event the root itself signed
    lines: dict[str, Line] = field(default_factory=dict)
    problem: tuple[int, str] | None = None  # (seq, words) of the first key event that fails

    def active(self) -> list[Line]:
        return [line for line in self.lines.values() if line.revoked_seq is None]


@dataclass(frozen=True)
class KeyEvent:
    seq: int
    at: str
    kind: str
    details: str
    prev_hash: str


def replay(events: Iterable[KeyEvent], expected_root: str | None = None) -> KeyState:
    """The key lines as the key events build them, stopping at the first that fails."""
    state = KeyState()
    for event in events:
        try:
            details = json.loads(event.details)
            problem = _apply(state, event, details, expected_root)
        except (ValueError, TypeError, KeyError, AttributeError):
            problem = "its key details cannot be read"
        if problem:
            state.problem = (event.seq, problem)
            break
    return state


def _apply(state: KeyState, event: KeyEvent, d: dict[str, Any], expected: str | None) -> str:
    position = (event.seq - 1, event.prev_hash)
    if event.kind == ROOT:
        return _root(state, event, d, position, expected)
    if state.root is None:
        return "a key change comes before the school's root key was set up"
    if event.kind in (ENROL, HANDOVER):
        return _enrol(state, event, d, position)
    if event.kind == REVOKE:
        line = state.lines.get(d["line"])
        if line is None or line.revoked_seq is not None:
            return f"it revokes kiosk {d['line']!r}, which has no key line to revoke"
        if not keys.is_valid(
            state.root, d["signature"], keys.revoke_statement(line.name, *position)
        ):
            return "its revocation is not signed by the school's root key"
        line.revoked_seq, state.last_root_signed_seq = event.seq, event.seq
        return ""
    if event.kind == EPOCH:
        return _epoch(state, event, d, position)
    return ""


def _root(
    state: KeyState,
    event: KeyEvent,
    d: dict[str, Any],
    position: tuple[int, str],
    expected: str | None,
) -> str:
    if state.root is not None:
        return "a second school root key was introduced"
    root = str(d["root_key"])
    if expected is not None and root != expected:
        return "the school root key in this log is not the school's audit fingerprint"
    if not keys.is_valid(root, d["signature"], keys.root_statement(root, *position)):
        return "the school root key's own signature does not hold"
    state.root, state.root_seq, state.last_root_signed_seq = root, event.seq, event.seq
    return ""


def _enrol(state: KeyState, event: KeyEvent, d: dict[str, Any], position: tuple[int, str]) -> str:
    assert state.root is not None
    name, key, replaces = str(d["line"]), str(d["key"]), [str(r) for r in d.get("replaces", [])]
    if name in state.lines:
        return f"kiosk {name!r} is enrolled a second time"
    statement = keys.enrol_statement(name, key, *position, replaces)
    if not keys.is_valid(state.root, d["signature"], statement):
        return "the kiosk's enrolment is not signed by the school's root key"
    for old in replaces:
        line = state.lines.get(old)
        if line is None or line.revoked_seq is not None:
            return f"the handover replaces kiosk {old!r}, which has no key line"
        line.revoked_seq = event.seq
    state.lines[name] = Line(name, key, 0, event.seq, event.at)
    state.last_root_signed_seq = event.seq
    return ""


def _epoch(state: KeyState, event: KeyEvent, d: dict[str, Any], position: tuple[int, str]) -> str:
    line = state.lines.get(str(d["line"]))
    if line is None or line.revoked_seq is not None:
        return f"a key change for kiosk {d['line']!r}, which has no current key line"
    epoch, key = int(d["epoch"]), str(d["key"])
    if epoch != line.epoch + 1:
        return f"kiosk {line.name!r} jumps from key {line.epoch} to key {epoch}"
    statement = keys.epoch_statement(line.name, epoch, key, *position)
    if not keys.is_valid(line.key, d["signature"], statement):
        return f"kiosk {line.name!r}'s new daily key is not signed by its previous key"
    line.key, line.epoch, line.since_seq, line.since_at = key, epoch, event.seq, event.at
    return ""


_KEY_EVENTS = text(
    "SELECT seq, at, kind, details, prev_hash FROM audit_events WHERE kind IN ("
    + ", ".join(f"'{kind}'" for kind in KINDS)
    + ") ORDER BY seq"
)


def read_key_events(conn: Connection) -> list[KeyEvent]:
    """The key events in chain order (a handful a day: found through the kind index)."""
    return [
        KeyEvent(row.seq, str(row.at), row.kind, row.details, row.prev_hash)
        for row in conn.execute(_KEY_EVENTS)
    ]


def school_fingerprint(conn: Connection) -> str | None:
    """The school audit fingerprint as printed (receipts, exports, the governors' PDF),
    from the root event in this database; None while the log is not signed. What the log
    claims: ``kiosk verify-log --fingerprint`` is what checks it against the school's own."""
    root = replay(read_key_events(conn)).root
    return keys.show_fingerprint(root) if root else None
