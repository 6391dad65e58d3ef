"""Stored PIN hashes sealed under the PIN pepper, a key kept in the key store.

An argon2id hash of a 4-digit PIN falls to an offline search in minutes: 10,000 guesses.
So the hash is stored encrypted (AES-256-GCM) under a key that is not in the database: a
copy of the database, or any backup, holds ciphertext that cannot be checked against a
guess without the key store. Encrypting an existing hash needs no PIN, which is how the
hashes made before the pepper existed were moved over without anyone re-entering a PIN.

The account's id and role are bound to the ciphertext as associated data: a sealed hash
copied to another account, or an account promoted by editing the database, no longer
opens, so a database-only attacker cannot make an admin out of an office account.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "sealed1$"
_NONCE = 12


def _context(staff_id: int, role: str) -> bytes:
    return f"handin-kiosk pin|{staff_id}|{role}".encode()


def seal(pepper: bytes, argon2_hash: str, staff_id: int, role: str) -> str:
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(pepper).encrypt(nonce, argon2_hash.encode(), _context(staff_id, role))
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def unseal(pepper: bytes, stored: str, staff_id: int, role: str) -> str | None:
    """The argon2 hash inside ``stored``, or None when it is not sealed for this account
    under this pepper (a plain hash, a copied one, a changed role, another school's key)."""
    if not is_sealed(stored):
        return None
    text = stored[len(PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        plain = AESGCM(pepper).decrypt(raw[:_NONCE], raw[_NONCE:], _context(staff_id, role))
    except (InvalidTag, ValueError):
        return None
    return plain.decode()


def reseal(pepper: bytes, stored: str, staff_id: int, old_role: str, new_role: str) -> str:
    """``stored`` sealed for the account's new role (an admin changed it through the kiosk).
    A record that does not open stays as it is: it opens for nobody either way."""
    inner = unseal(pepper, stored, staff_id, old_role)
    return stored if inner is None else seal(pepper, inner, staff_id, new_role)
