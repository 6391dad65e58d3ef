"""Carrying the school's keys to another kiosk (or to the school safe, for a new PC).

``export_keys`` (an admin, by PIN) writes the card key, the previous card key and the PIN
pepper to a file sealed with a transfer code: 20 random letters and digits shown once, to
be written down and kept apart from the file (a lost USB stick alone opens nothing). The
export is an audit event.

``import_keys`` opens such a file with its code, checks that its keys are the ones the
database records (so another school's file, or one from before a card key change, is
refused), checks an admin's PIN with the imported pepper, and only then writes the keys to
this kiosk's store. The import is an audit event too, naming the kiosk.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import delete, select

from kiosk.db import Database
from kiosk.errors import InvalidInput, KioskError
from kiosk.event_kinds import EventKind
from kiosk.keystore import KeyStore
from kiosk.rules import Action
from kiosk.services import audit, school_keys, staff
from kiosk.services.audit import Actor
from kiosk.services.common import require
from kiosk.services.school_keys import CARD_ID, PEPPER_ID, SchoolKeys
from kiosk.tables import Card, Setting, Staff

FORMAT = "handin-kiosk-keys/1"
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed
_CODE_LENGTH = 20  # 100 bits


class KeyTransferRefused(KioskError):
    default_message = "The keys were not imported."


@dataclass(frozen=True)
class Exported:
    path: Path
    code: str  # shown once: "ABCD-EFGH-..."


def _kdf(code: str, salt: bytes) -> bytes:
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(cleaned.encode())


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def export_keys(sessions: Database, actor: Actor, out: Path) -> Exported:
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    grouped = "-".join(code[i : i + 4] for i in range(0, _CODE_LENGTH, 4))
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_SETTINGS)
        keys = school_keys.of(session.connection())
        content = {
            "card_secret": keys.card_secret.hex(),
            "card_previous": keys.previous_card_secret.hex() if keys.previous_card_secret else None,
            "pin_pepper": keys.pin_pepper.hex(),
        }
        salt, nonce = os.urandom(16), os.urandom(12)
        sealed = AESGCM(_kdf(code, salt)).encrypt(
            nonce, json.dumps(content).encode(), FORMAT.encode()
        )
        text = json.dumps(
            {"format": FORMAT, "salt": _b64(salt), "nonce": _b64(nonce), "sealed": _b64(sealed)}
        )
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        with os.fdopen(os.open(out, flags, 0o600), "w", encoding="ascii") as handle:
            handle.write(text + "\n")
        details = {"file": out.name, "card_key_id": keys.card_id, "pin_pepper_id": keys.pepper_id}
        audit.append(session, EventKind.KEYS_EXPORTED, actor, details=details)
    return Exported(out, grouped)


def _open(path: Path, code: str) -> SchoolKeys:
    try:
        outer = json.loads(path.read_text(encoding="ascii"))
        if outer.get("format") != FORMAT:
            raise ValueError
        salt, nonce, sealed = (base64.b64decode(outer[k]) for k in ("salt", "nonce", "sealed"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyTransferRefused(f"{path.name} is not a kiosk key file.") from exc
    try:
        inner = json.loads(AESGCM(_kdf(code, salt)).decrypt(nonce, sealed, FORMAT.encode()))
    except InvalidTag as exc:
        raise KeyTransferRefused("That transfer code does not open this key file.") from exc
    previous = inner.get("card_previous")
    return SchoolKeys(
        bytes.fromhex(inner["card_secret"]),
        bytes.fromhex(inner["pin_pepper"]),
        bytes.fromhex(previous) if previous else None,
    )


def _check_against_database(sessions: Database, keys: SchoolKeys) -> None:
    wanted = select(Setting.key, Setting.value).where(Setting.key.in_((CARD_ID, PEPPER_ID)))
    with sessions() as session:
        recorded = {key: value for key, value in session.execute(wanted)}
    if recorded.get(CARD_ID) not in (None, keys.card_id):
        raise KeyTransferRefused(
            "This key file's card key is not the one this database uses: it is another "
            "school's, or from before the card key was last changed. Export the keys again."
        )
    if recorded.get(PEPPER_ID) not in (None, keys.pepper_id):
        raise KeyTransferRefused("This key file's PIN pepper is not the one this database uses.")


def _admin_login(sessions: Database, keys: SchoolKeys, name: str, pin: str) -> Actor:
    engine = sessions.engine
    school_keys.attach(engine, keys)  # in memory only, until the PIN has been checked
    try:
        with sessions() as session:
            wanted = " ".join(name.split()).lower()
            found = [
                m
                for m in session.scalars(select(Staff).where(Staff.active.is_(True)))
                if m.name.lower() == wanted
            ]
        if len(found) != 1:
            raise KeyTransferRefused(f"There is no active staff member called {name}.")
        member = staff.check_pin(sessions, found[0].id, pin, terminal=staff.command_line())
        with sessions.begin() as session:
            require(session, member.actor, Action.MANAGE_SETTINGS)
        return member.actor
    except KeyTransferRefused:
        school_keys.forget(engine)
        raise
    except KioskError as exc:
        school_keys.forget(engine)
        raise KeyTransferRefused(f"The keys were not imported: {exc}") from exc


def _is_new(sessions: Database) -> bool:
    """No accounts and no cards yet: a new install, whose own fresh keys may be replaced
    (a new PC about to restore a backup)."""
    with sessions() as session:
        staff_row = session.scalar(select(Staff.id).limit(1))
        card_row = session.scalar(select(Card.id).limit(1))
    return staff_row is None and card_row is None


def import_keys(
    sessions: Database,
    store: KeyStore,
    path: Path,
    code: str,
    login: tuple[str, str],
    kiosk_name: str,
) -> SchoolKeys:
    """Import the keys in ``path`` (``login``: an admin's name and PIN, checked with the
    imported pepper; a new install with no accounts yet needs none)."""
    admin_name, pin = login
    if not code.strip():
        raise InvalidInput("An import needs the file's transfer code.")
    keys = _open(path, code)
    if _is_new(sessions):
        with sessions.begin() as session:  # its own fresh ids give way to the school's
            session.execute(delete(Setting).where(Setting.key.in_((CARD_ID, PEPPER_ID))))
        actor = Actor(None, "command line")
    else:
        if not pin:
            raise InvalidInput("An import needs an admin's name and PIN.")
        _check_against_database(sessions, keys)
        actor = _admin_login(sessions, keys, admin_name, pin)
    store.write(school_keys.CARD_SECRET, keys.card_secret)
    store.write(school_keys.PIN_PEPPER, keys.pin_pepper)
    if keys.previous_card_secret is not None:
        store.write(school_keys.CARD_PREVIOUS, keys.previous_card_secret)
    else:
        store.erase(school_keys.CARD_PREVIOUS)
    school_keys.provision(sessions, store)  # records ids a new database lacks; attaches
    with sessions.begin() as session:
        details = {
            "kiosk": kiosk_name,
            "card_key_id": keys.card_id,
            "pin_pepper_id": keys.pepper_id,
        }
        audit.append(session, EventKind.KEYS_IMPORTED, actor, details=details)
    return keys
