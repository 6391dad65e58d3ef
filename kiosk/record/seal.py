"""The kiosk side of the signed record: each new chain head is signed in the transaction
that appends it, with the kiosk's key of the day, kept in the key store (never in the
database).

Signing costs one Ed25519 signature and one UPDATE of the line's row in ``audit_heads``
per append (tens of microseconds: see benchmarks/record.py), so there is no unsigned tail
for someone with only the database to rewrite. Once a school day the key is replaced: the
old key signs the new one's public half and the chain head (an ``audit_key_epoch`` event),
the new key is stored, and the old one is erased. Whoever takes the kiosk over later gets
today's key only, and cannot re-sign anything sealed before today.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from kiosk.clock import local_date, start_of_local_day, utcnow
from kiosk.db import Database
from kiosk.errors import AuditChainDamaged
from kiosk.keystore import KeyStore
from kiosk.record import anchors, keys, lines
from kiosk.services import audit
from kiosk.services.audit import Actor

log = logging.getLogger(__name__)
KEY_PREFIX = "audit-signing-"
NOT_SET_UP = "the audit log is not signed yet ('kiosk audit-keys setup')"

_UPDATE_HEAD = text(
    "UPDATE audit_heads SET epoch = :epoch, seq = :seq, hash = :hash, signature = :signature"
    " WHERE line = :line AND epoch = :epoch AND seq < :seq"
)
# A rotation moves the line's row to the new epoch first, in its own transaction, so the
# new key's first signature (on the epoch event's head) finds it.
_ADVANCE_HEAD = text(
    "UPDATE audit_heads SET epoch = :epoch WHERE line = :line AND epoch = :epoch - 1"
)
_INSERT_HEAD = text(
    "INSERT INTO audit_heads (line, epoch, seq, hash, signature)"
    " VALUES (:line, :epoch, :seq, :hash, :signature)"
)
_READ_HEAD = text("SELECT epoch, seq FROM audit_heads WHERE line = :line")
_DELETE_HEAD = text("DELETE FROM audit_heads WHERE line = :line")


class NotSetUp(Exception):
    """Signing cannot start or change as asked; the message says why, in plain words."""


def _key_name(epoch: int) -> str:
    return f"{KEY_PREFIX}{epoch}"


def _chain_end(conn: Connection) -> tuple[int, str]:
    seq, hashed, _ = audit._chain_end(conn)
    return seq, hashed


@dataclass
class Sealer:
    """Signs chain heads for one kiosk key line with the key of its current epoch."""

    store: KeyStore
    line: str
    epoch: int
    key: Ed25519PrivateKey
    since: dt.datetime  # when the current epoch began (naive UTC)
    anchor_dir: Path | None = None

    def sign_head(self, conn: Connection, seq: int, hash_: str) -> None:
        """audit.append's hook: sign the new head, in the appending transaction."""
        if conn.execute(_UPDATE_HEAD, self._head(seq, hash_)).rowcount == 1:
            return
        row = conn.execute(_READ_HEAD, {"line": self.line}).first()
        # The head row went, the chain is behind it, or the database is older than this
        # kiosk's key (restored under it): signing over it would hide that.
        if row is None or row.seq >= seq or row.epoch < self.epoch:
            raise AuditChainDamaged()
        self._reload(row.epoch)  # another process on this kiosk moved to a newer key
        if conn.execute(_UPDATE_HEAD, self._head(seq, hash_)).rowcount != 1:
            raise AuditChainDamaged()

    def _head(self, seq: int, hash_: str) -> dict[str, object]:
        statement = keys.head_statement(self.line, self.epoch, seq, hash_)
        signature = keys.sign(self.key, statement)
        return {
            "line": self.line,
            "epoch": self.epoch,
            "seq": seq,
            "hash": hash_,
            "signature": signature,
        }

    def _reload(self, epoch: int) -> None:
        stored = _read_key(self.store, self.line, epoch)
        if stored is None:
            raise AuditChainDamaged()
        self.epoch, self.key = epoch, stored

    def rotation_due(self, now: dt.datetime | None = None) -> bool:
        return local_date(now or utcnow()) > local_date(self.since)

    def rotate(self, sessions: Database, now: dt.datetime | None = None) -> int:
        """Start the next epoch: the current key certifies its successor and the chain head
        (an audit event), the successor is stored, and the current key is erased."""
        new = keys.new_private_key()
        epoch, old_key, old_since = self.epoch + 1, self.key, self.since
        _write_key(self.store, self.line, epoch, new)
        try:
            with sessions.begin() as session:
                conn = session.connection()
                audit.lock_chain(conn)
                seq, hashed = _chain_end(conn)
                statement = keys.epoch_statement(
                    self.line, epoch, keys.public_hex(new), seq, hashed
                )
                details = {
                    "line": self.line,
                    "epoch": epoch,
                    "key": keys.public_hex(new),
                    "signature": keys.sign(old_key, statement),
                }
                advance = {"line": self.line, "epoch": epoch}
                if conn.execute(_ADVANCE_HEAD, advance).rowcount != 1:
                    raise AuditChainDamaged()
                self.epoch, self.key = epoch, new  # the hook signs the new head with it
                event = audit.append(conn, lines.EPOCH, audit.KIOSK_ACTOR, details=details, at=now)
            self.since = event.at
        except BaseException:
            self.epoch, self.key, self.since = epoch - 1, old_key, old_since
            self.store.erase(_key_name(epoch))
            raise
        self.store.erase(_key_name(epoch - 1))
        if self.anchor_dir is not None:
            anchors.write(self.anchor_dir, self.line, event.at, seq, hashed, details)
        return epoch

    def rotate_if_due(self, sessions: Database) -> bool:
        if not self.rotation_due():
            return False
        self.rotate(sessions)
        return True


def _write_key(store: KeyStore, line: str, epoch: int, key: Ed25519PrivateKey) -> None:
    record = {"line": line, "epoch": epoch, "private_key": keys.private_hex(key)}
    store.write(_key_name(epoch), json.dumps(record).encode())


def _read_key(store: KeyStore, line: str, epoch: int) -> Ed25519PrivateKey | None:
    data = store.read(_key_name(epoch))
    if data is None:
        return None
    try:
        record = json.loads(data)
        if record["line"] != line or record["epoch"] != epoch:
            return None
        return keys.private_from_hex(record["private_key"])
    except (ValueError, KeyError, TypeError):
        return None


def _parse_at(at: str) -> dt.datetime:
    return dt.datetime.fromisoformat(at).replace(tzinfo=None)


def load(
    engine: Engine, store: KeyStore, line: str, anchor_dir: Path | None = None
) -> tuple[Sealer | None, str]:
    """The sealer for kiosk ``line`` if the chain enrols it and the key store holds its
    current key, registered as audit.append's hook for ``engine``; else None and why.
    Key files of other epochs (left by a crash during a rotation) are erased."""
    with engine.connect() as conn:
        state = lines.replay(lines.read_key_events(conn))
    audit.HEAD_SIGNERS.pop(engine, None)
    if state.root is None:
        return None, NOT_SET_UP
    current = state.lines.get(line)
    if current is None or current.revoked_seq is not None:
        return None, f"this kiosk ({line!r}) has no current key line ('kiosk audit-keys enrol')"
    key = _read_key(store, line, current.epoch)
    if key is None or keys.public_hex(key) != current.key:
        return None, (
            f"this kiosk's signing key for {line!r} is not in its key store (a restore onto "
            "a new PC?): 'kiosk audit-keys handover' with the recovery sheet continues the chain"
        )
    for name in store.names():
        if name.startswith(KEY_PREFIX) and name != _key_name(current.epoch):
            store.erase(name)
    sealer = Sealer(store, line, current.epoch, key, _parse_at(current.since_at), anchor_dir)
    audit.HEAD_SIGNERS[engine] = sealer.sign_head
    return sealer, ""


@dataclass(frozen=True)
class RecoveryKey:
    """The school root's private key (for the sheet in the safe) and its fingerprint."""

    private_hex: str
    fingerprint: str  # the root public key, hex


def setup_school(sessions: Database, store: KeyStore, line: str, actor: Actor) -> RecoveryKey:
    """Create the school root (sealing the history so far) and enrol this kiosk under it.
    The root's private key is returned for the recovery sheet and kept nowhere else."""
    root = keys.new_private_key()
    with sessions.begin() as session:
        conn = session.connection()
        audit.lock_chain(conn)
        if lines.replay(lines.read_key_events(conn)).root is not None:
            raise NotSetUp("the audit log already has a school root key")
        seq, hashed = _chain_end(conn)
        root_hex = keys.public_hex(root)
        signature = keys.sign(root, keys.root_statement(root_hex, seq, hashed))
        audit.append(
            conn, lines.ROOT, actor, details={"root_key": root_hex, "signature": signature}
        )
        _enrol(conn, store, root, line, actor, [])
    _forget_older_keys(store)
    return RecoveryKey(keys.private_hex(root), keys.public_hex(root))


def enrol(
    sessions: Database,
    store: KeyStore,
    line: str,
    recovery_key: str,
    actor: Actor,
    replaces: list[str] | None = None,
) -> int:
    """Enrol kiosk ``line`` under the school root (``replaces``: a handover from the lines
    of a dead or stolen PC, which end here). Returns the enrolment event's seq."""
    root = _root_key(recovery_key)
    with sessions.begin() as session:
        conn = session.connection()
        audit.lock_chain(conn)
        state = lines.replay(lines.read_key_events(conn))
        _check_root(state, root)
        if line in state.lines:
            raise NotSetUp(f"kiosk {line!r} was enrolled before: give this PC a new kiosk name")
        for old in replaces or []:
            if old not in {active.name for active in state.active()}:
                raise NotSetUp(f"there is no current kiosk {old!r} to hand over from")
        seq = _enrol(conn, store, root, line, actor, replaces or [])
    _forget_older_keys(store)
    return seq


def revoke(sessions: Database, line: str, recovery_key: str, actor: Actor) -> int:
    """End kiosk ``line``'s key line (stolen or retired): nothing it signs later counts."""
    root = _root_key(recovery_key)
    with sessions.begin() as session:
        conn = session.connection()
        audit.lock_chain(conn)
        state = lines.replay(lines.read_key_events(conn))
        _check_root(state, root)
        if line not in {active.name for active in state.active()}:
            raise NotSetUp(f"there is no current kiosk {line!r} to revoke")
        seq, hashed = _chain_end(conn)
        signature = keys.sign(root, keys.revoke_statement(line, seq, hashed))
        details = {"line": line, "signature": signature}
        seq = audit.append(conn, lines.REVOKE, actor, details=details).seq
        _end_lines(conn, [line])  # after: this very process may have signed the append
        return seq


def _end_lines(conn: Connection, names: list[str]) -> None:
    """Remove the ended lines' head rows: a revoked kiosk that is still running finds no
    row to sign and records nothing more (AuditChainDamaged); the root's signature on the
    revocation seals everything they had signed."""
    for name in names:
        conn.execute(_DELETE_HEAD, {"line": name})


def _root_key(recovery_key: str) -> Ed25519PrivateKey:
    try:
        return keys.private_from_hex(recovery_key)
    except keys.BadKey as error:
        raise NotSetUp(str(error)) from error


def _check_root(state: lines.KeyState, root: Ed25519PrivateKey) -> None:
    if state.root is None:
        raise NotSetUp("the audit log has no school root key yet ('kiosk audit-keys setup')")
    if keys.public_hex(root) != state.root:
        raise NotSetUp("that recovery key is not this school's (its fingerprint differs)")


def _enrol(
    conn: Connection,
    store: KeyStore,
    root: Ed25519PrivateKey,
    line: str,
    actor: Actor,
    replaces: list[str],
) -> int:
    key = keys.new_private_key()
    seq, hashed = _chain_end(conn)
    public = keys.public_hex(key)
    details = {
        "line": line,
        "key": public,
        "replaces": replaces,
        "signature": keys.sign(root, keys.enrol_statement(line, public, seq, hashed, replaces)),
    }
    kind = lines.HANDOVER if replaces else lines.ENROL
    event = audit.append(conn, kind, actor, details=details)
    _end_lines(conn, replaces)
    statement = keys.head_statement(line, 0, event.seq, event.hash)
    head = {"line": line, "epoch": 0, "seq": event.seq, "hash": event.hash}
    conn.execute(_INSERT_HEAD, {**head, "signature": keys.sign(key, statement)})
    _write_key(store, line, 0, key)  # kept if the transaction fails: load() ignores it
    return event.seq


def _forget_older_keys(store: KeyStore) -> None:
    """After an enrolment has committed: this PC's keys of an earlier line are of no use."""
    for name in store.names():
        if name.startswith(KEY_PREFIX) and name != _key_name(0):
            store.erase(name)


def start_daily_rotation(
    sealer: Sealer, sessions: Database, on_error: Callable[[Exception], None] | None = None
) -> threading.Thread:
    """A daemon thread that starts the next epoch shortly after each local midnight (the
    first hand-in of the day never waits for it)."""

    def run() -> None:
        while True:
            tomorrow = local_date(utcnow()) + dt.timedelta(days=1)
            wait = (start_of_local_day(tomorrow) - utcnow()).total_seconds() + 60
            threading.Event().wait(max(wait, 60))
            try:
                sealer.rotate_if_due(sessions)
            except Exception as error:  # the kiosk goes on signing with today's key
                log.warning("audit key rotation failed: %s", error)
                if on_error is not None:
                    on_error(error)

    thread = threading.Thread(target=run, name="audit-key-rotation", daemon=True)
    thread.start()
    return thread
