"""A restored file and this kiosk's keys.

A restore brings back records, not keys: the key store stays as it is. So before a checked
copy replaces the live database:

- the key ids are this kiosk's (the live database's rows for them), so a backup made
  before a card key change does not leave the kiosk thinking its key is out of date;
- a backup from before the key store may hold the card key in its settings table: it must
  be this kiosk's current or previous card key (else it is another install's file), and
  the row is removed, as the move out of the database did;
- such a backup holds plain PIN hashes. Each is sealed again only where the live database
  holds the same hash, sealed, for the same account (the same PIN record the move sealed):
  a plain hash the live records do not vouch for might have been written into the file to
  gain an account, so it stays unusable and the account's PIN is reset by an admin. On a
  new PC with no accounts yet there is nothing to vouch for them: they are sealed, and the
  admin restoring must know a PIN in the backup.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from kiosk.errors import KioskError
from kiosk.services import pin_seal
from kiosk.services.school_keys import KEY_SETTINGS, LEGACY_CARD_SECRET, PEPPER_ID, SchoolKeys


class ForeignKeys(KioskError):
    default_message = (
        "Not restored: the file holds another install's card key (it is not a backup of "
        "this school's kiosk)."
    )


def _live_rows(live: Path | None) -> tuple[dict[str, str], dict[int, tuple[str, str]]]:
    """The live database's key settings, and each account's (role, stored PIN record)."""
    if live is None or not live.is_file():
        return {}, {}
    uri = live.as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=30)) as conn:
        marks = ",".join("?" * len(KEY_SETTINGS))
        query = f"SELECT key, value FROM settings WHERE key IN ({marks})"
        settings = dict(conn.execute(query, KEY_SETTINGS).fetchall())
        accounts = {
            row[0]: (row[1], row[2]) for row in conn.execute("SELECT id, role, pin_hash FROM staff")
        }
    return settings, accounts


def _vouched(keys: SchoolKeys, staff_id: int, plain: str, live: dict[int, tuple[str, str]]) -> bool:
    if staff_id not in live:
        return False
    role, stored = live[staff_id]
    return pin_seal.unseal(keys.pin_pepper, stored, staff_id, role) == plain


def adopt(staging: Path, live: Path | None, keys: SchoolKeys) -> list[str]:
    """Fit the checked copy at ``staging`` to this kiosk's keys (see the module's words).
    Returns the names of accounts left without a usable PIN."""
    settings, accounts = _live_rows(live)
    new_pc = not accounts
    unusable = []
    with closing(sqlite3.connect(staging)) as conn, conn:
        query = "SELECT value FROM settings WHERE key = ?"
        pepper = conn.execute(query, (PEPPER_ID,)).fetchone()
        if pepper is not None and pepper[0] != keys.pepper_id:
            raise ForeignKeys(
                "Not restored: this kiosk does not hold the keys the backup's PINs were made "
                "with. Import the school's keys first (kiosk keys import FILE)."
            )
        row = conn.execute(
            "SELECT value FROM settings WHERE key = ?", (LEGACY_CARD_SECRET,)
        ).fetchone()
        if row is not None:
            if bytes.fromhex(row[0]) not in (keys.card_secret, keys.previous_card_secret):
                raise ForeignKeys()
            conn.execute("DELETE FROM settings WHERE key = ?", (LEGACY_CARD_SECRET,))
        for key, value in settings.items():
            conn.execute("DELETE FROM settings WHERE key = ?", (key,))
            conn.execute("INSERT INTO settings (key, value) VALUES (?, ?)", (key, value))
        for staff_id, name, role, stored in conn.execute(
            "SELECT id, name, role, pin_hash FROM staff"
        ).fetchall():
            if pin_seal.is_sealed(stored):
                continue
            if new_pc or _vouched(keys, staff_id, stored, accounts):
                sealed = pin_seal.seal(keys.pin_pepper, stored, staff_id, role)
                conn.execute("UPDATE staff SET pin_hash = ? WHERE id = ?", (sealed, staff_id))
            else:
                unusable.append(name)
    return unusable
