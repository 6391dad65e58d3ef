"""Ed25519 keys, the school audit fingerprint and the bytes each signature covers.

Every signed statement starts with a fixed prefix naming its kind and binds the chain
position it speaks about (``seq`` and the ``hash`` of that event): a signature over one
statement can never be replayed as another.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

_PREFIX = "handin-kiosk audit v1"


class BadKey(ValueError):
    """Text that is not a key (a mistyped fingerprint or recovery key)."""


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_from_hex(text: str) -> Ed25519PrivateKey:
    raw = _hex32(text, "recovery key")
    return Ed25519PrivateKey.from_private_bytes(raw)


def private_hex(key: Ed25519PrivateKey) -> str:
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()).hex()


def public_hex(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def public_from_hex(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_hex32(text, "fingerprint"))


def _hex32(text: str, what: str) -> bytes:
    cleaned = "".join(text.split()).replace("-", "").lower()
    try:
        raw = bytes.fromhex(cleaned)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise BadKey(f"that is not a {what}: expected 64 hexadecimal digits")
    return raw


def show_fingerprint(public_key_hex: str) -> str:
    """The school audit fingerprint as people read it: the root public key in 16 groups of
    4 (it is the key itself, so a copy of the database can be checked with it alone), and a
    short check word from its SHA-256 to compare quickly by eye."""
    groups = " ".join(public_key_hex[i : i + 4] for i in range(0, 64, 4))
    return f"{groups}  (check {hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()[:8]})"


def normal_fingerprint(text: str) -> str:
    """A fingerprint as typed (spaces, dashes, a trailing '(check ...)') as 64 hex digits."""
    return _hex32(text.split("(")[0], "fingerprint").hex()


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return key.sign(message).hex()


def is_valid(public_key_hex: str, signature_hex: str, message: bytes) -> bool:
    try:
        public_from_hex(public_key_hex).verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, BadKey, ValueError, TypeError):
        return False
    return True


def _statement(kind: str, *parts: object) -> bytes:
    return "\n".join([_PREFIX, kind, *(str(part) for part in parts)]).encode()


def root_statement(root_key: str, seq: int, hash_: str) -> bytes:
    """The school root, set up after event ``seq``: seals the history before it."""
    return _statement("root", root_key, seq, hash_)


def enrol_statement(line: str, key: str, seq: int, hash_: str, replaces: list[str]) -> bytes:
    """Signed by the root: kiosk line ``line`` starts with ``key`` after event ``seq``
    (and, for a handover, the lines in ``replaces`` end there)."""
    return _statement("enrol", line, key, seq, hash_, ",".join(replaces))


def revoke_statement(line: str, seq: int, hash_: str) -> bytes:
    """Signed by the root: nothing signed by ``line`` counts after event ``seq``."""
    return _statement("revoke", line, seq, hash_)


def epoch_statement(line: str, epoch: int, key: str, seq: int, hash_: str) -> bytes:
    """Signed by the line's key of ``epoch - 1``: its last head (event ``seq``) and its
    successor's public key."""
    return _statement("epoch", line, epoch, key, seq, hash_)


def head_statement(line: str, epoch: int, seq: int, hash_: str) -> bytes:
    """Signed by the line's key of ``epoch``: the chain as far as event ``seq``."""
    return _statement("head", line, epoch, seq, hash_)
