"""``kiosk verify-log``: is this record one the school can stand behind?

Needs only public material: a copy of the database and the school audit fingerprint
(and, when there are any, the anchor files and the hashes printed on receipts). In order:

1. the hash chain (``chain_check.verify``): every event from #1 on, nothing numbered 0 or
   below, the chain head;
2. the key lines (``lines.replay``): the school root is the fingerprint, every enrolment,
   revocation and handover is signed by it, every daily key by the key before it;
3. each kiosk line's newest signed head, and that no event after the newest signed head
   is unsigned;
4. each redacted event belongs to a pupil a retention purge removed;
5. ``--expect SEQ:HASH`` and the anchors: those exact events are still in the chain.

It then says from which event on the log could have been altered by whoever holds a
kiosk's current key (forward security: everything before rests on keys that are gone).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from kiosk.db import Database
from kiosk.record import anchors, keys, lines
from kiosk.services import audit, chain_check


@dataclass
class RecordReport:
    intact: bool
    summary: str  # the hash chain's own line
    fingerprint: str | None = None
    problem: str | None = None
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        out = [self.summary]
        if self.fingerprint:
            out.append(
                f"School audit fingerprint in this log: {keys.show_fingerprint(self.fingerprint)}"
            )
        out.extend(self.notes)
        if self.problem:
            out.append(f"NOT A RECORD TO RELY ON: {self.problem}")
        return "\n".join(out)


def verify_record(
    sessions: Database,
    fingerprint: str | None = None,
    expect: Sequence[tuple[int, str]] = (),
    anchor_dir: Path | None = None,
) -> RecordReport:
    chain = chain_check.verify(sessions)
    report = RecordReport(chain.intact, chain.describe())
    if not chain.intact:
        return report
    with sessions() as session:
        conn = session.connection()
        try:
            _check(conn, report, chain, fingerprint, expect, anchor_dir)
        except _Broken as broken:
            report.intact, report.problem = False, str(broken)
    return report


class _Broken(Exception):
    """The first thing found wrong, in the words a headteacher reads."""


def _check(
    conn: Connection,
    report: RecordReport,
    chain: chain_check.ChainReport,
    fingerprint: str | None,
    expect: Sequence[tuple[int, str]],
    anchor_dir: Path | None,
) -> None:
    _check_expected(conn, expect)
    state = lines.replay(lines.read_key_events(conn), fingerprint)
    report.fingerprint = state.root
    if state.problem:
        seq, words = state.problem
        raise _Broken(f"event #{seq}: {words}.")
    if state.root is None:
        if fingerprint is not None:
            raise _Broken(
                "this log carries no signatures, so nothing ties it to the school's audit "
                "fingerprint: anyone with the database could have rewritten it."
            )
        report.notes.append(
            "This log is not signed (no school audit fingerprint set up): the hash chain "
            "shows accidental damage, but anyone with the database could have rewritten it."
        )
        _check_redactions(conn, None)
        return
    newest = _check_heads(conn, state, report)
    last = chain.last_seq or 0
    if last > newest:
        raise _Broken(
            f"events #{newest + 1} to #{last} are not signed by any kiosk: anyone with the "
            "database could have added or changed them."
        )
    _check_redactions(conn, state.root_seq)
    if anchor_dir is not None:
        _check_anchors(conn, anchor_dir, report)
    report.notes.append(_forward_security(conn, state, last))


def _check_expected(conn: Connection, expect: Sequence[tuple[int, str]]) -> None:
    for seq, hashed in expect:
        found = _event(conn, seq)
        if found is None or found["hash"] != hashed.lower():
            raise _Broken(
                f"event #{seq} with hash {hashed[:12]}… (as printed on a receipt or report) is "
                "not in this log: the log was rolled back or altered after it was printed."
            )


_EVENT = text("SELECT seq, at, kind, details, hash FROM audit_events WHERE seq = :seq")
_HEADS = text("SELECT line, epoch, seq, hash, signature FROM audit_heads ORDER BY line")


def _event(conn: Connection, seq: int) -> dict[str, Any] | None:
    row = conn.execute(_EVENT, {"seq": seq}).first()
    return dict(row._mapping) if row else None


def _when(conn: Connection, seq: int) -> str:
    event = _event(conn, seq)
    return str(event["at"])[:16] if event else "?"


def _check_heads(conn: Connection, state: lines.KeyState, report: RecordReport) -> int:
    """Each line's newest signed head holds; returns the newest event any of them covers."""
    heads = {row.line: row for row in conn.execute(_HEADS)}
    newest = state.last_root_signed_seq or 0
    for name, row in heads.items():
        line = state.lines.get(name)
        if line is None:
            raise _Broken(
                f"a signed head claims to be from kiosk {name!r}, which was never enrolled."
            )
        statement = keys.head_statement(name, row.epoch, row.seq, row.hash)
        event = _event(conn, row.seq)
        if row.epoch != line.epoch or not keys.is_valid(line.key, row.signature, statement):
            raise _Broken(f"kiosk {name!r}'s newest signed head does not carry its signature.")
        if event is None or event["hash"] != row.hash:
            raise _Broken(
                f"kiosk {name!r} signed the log as far as event #{row.seq}, but the log no "
                "longer holds that event as signed: it was removed or changed."
            )
        if row.seq < line.since_seq or (line.revoked_seq and row.seq >= line.revoked_seq):
            raise _Broken(f"kiosk {name!r}'s newest signed head lies outside its key's time.")
        newest = max(newest, row.seq)
        state_word = "revoked" if line.revoked_seq else f"daily key {line.epoch}"
        report.notes.append(
            f"  kiosk {name!r} ({state_word}): signed the log up to event #{row.seq} "
            f"({str(event['at'])[:16]} UTC)"
        )
    for line in state.lines.values():
        if line.revoked_seq is not None and line.name not in heads:
            report.notes.append(
                f"  kiosk {line.name!r} (revoked): its key line ended at event "
                f"#{line.revoked_seq} ({_when(conn, line.revoked_seq)} UTC), signed by the root"
            )
    for line in state.active():
        if line.name not in heads:
            raise _Broken(
                f"kiosk {line.name!r}'s newest signed head is missing: the newest events may "
                "have been removed."
            )
    return newest


_REDACTED = text("SELECT seq, pupil_id FROM audit_events WHERE redacted ORDER BY seq")
_PURGES = text(
    "SELECT seq, details, details_salt FROM audit_events WHERE kind = :kind ORDER BY seq"
)
_PURGED_PUPILS = text("SELECT id FROM pupils WHERE purged_at IS NOT NULL")


def _check_redactions(conn: Connection, root_seq: int | None) -> None:
    """Each redacted event belongs to a pupil that a later purge event removed and that
    the pupils table shows as purged. Purges written since signing began must name their
    pupils (older ones list only the events, which chain_check.verify checks)."""
    redacted = list(conn.execute(_REDACTED))
    if not redacted:
        return
    purges: list[tuple[int, set[int] | None]] = []
    for seq, details, _salt in conn.execute(_PURGES, {"kind": audit.PURGE_KIND}):
        pupils = _listed_pupils(details)
        if pupils is None and root_seq is not None and seq > root_seq:
            raise _Broken(f"event #{seq}, a retention purge, does not say which pupils it removed.")
        purges.append((seq, pupils))
    purged = {row.id for row in conn.execute(_PURGED_PUPILS)}
    for seq, pupil_id in redacted:
        later = [pupils for purge_seq, pupils in purges if purge_seq > seq]
        if any(pupils is None for pupils in later):
            continue  # a purge from before signing, trusted on its event list
        if not any(pupil_id in pupils for pupils in later if pupils is not None):
            raise _Broken(
                f"event #{seq} had its details removed, but no retention purge removed its pupil."
            )
        if pupil_id not in purged:
            raise _Broken(
                f"event #{seq} had its details removed as if pupil {pupil_id} had been purged, "
                "but that pupil's record is still there: the purge that claims it is forged."
            )


def _listed_pupils(details: str) -> set[int] | None:
    try:
        ranges = json.loads(details).get(audit.PURGE_PUPILS_KEY)
        if ranges is None:
            return None
        return {pupil for first, last in ranges for pupil in range(int(first), int(last) + 1)}
    except (ValueError, TypeError, AttributeError):
        return set()


def _check_anchors(conn: Connection, folder: Path, report: RecordReport) -> None:
    found, unreadable = anchors.read_all(folder)
    for name in unreadable:
        report.notes.append(f"  anchor file {name} could not be read (not checked)")
    for anchor in found:
        event, epoch_event = _event(conn, anchor.seq), _event(conn, anchor.seq + 1)
        signature = None
        if epoch_event is not None and epoch_event["kind"] == lines.EPOCH:
            signature = json.loads(epoch_event["details"]).get("signature")
        if event is None or event["hash"] != anchor.hash or signature != anchor.signature:
            raise _Broken(
                f"the anchor written on {anchor.at[:10]} ({anchor.path.name}) names event "
                f"#{anchor.seq}, which this log no longer holds as it was: the log was rolled "
                "back or rewritten."
            )
    if found:
        report.notes.append(f"  {len(found)} anchor(s) in {folder} match the log")


def _forward_security(conn: Connection, state: lines.KeyState, last: int) -> str:
    """From which event on the holder of a current key could have changed the log: after
    the newest event sealed by the root or by a key that no kiosk holds any more."""
    active = state.active()
    sealed = min((line.since_seq - 1 for line in active), default=last)
    sealed = max(sealed, (state.last_root_signed_seq or 1) - 1)
    if sealed >= last:
        return (
            f"Events #1 to #{last} are sealed by keys that no longer exist: nobody, not even "
            "whoever holds a kiosk's key today, could change them without it showing."
        )
    holders = ", ".join(repr(line.name) for line in active if line.since_seq - 1 <= sealed)
    return (
        f"Events #1 to #{sealed} (up to {_when(conn, sealed)} UTC) are sealed by keys that no "
        "longer exist: nobody, not even whoever holds a kiosk's key today, could change them "
        f"without it showing. From event #{sealed + 1} ({_when(conn, sealed + 1)} UTC) on, "
        f"the log could have been altered by whoever holds the current key of kiosk {holders}."
    )
