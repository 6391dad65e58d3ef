"""The school's secrets, kept in the key store (``kiosk.keystore``), never in the database.

- ``card_secret``: the HMAC key that signs pupil cards; ``card_secret.previous`` the one it
  replaced, honoured until the grace period after a rotation ends;
- ``pin_pepper``: the key that seals every stored PIN hash (``kiosk.services.pin_seal``).

The database keeps only a key id for each (an HMAC of a fixed text under the key: it tells a
kiosk whether it holds the school's current key, and reveals nothing else), so a copy of the
database or a backup carries no secret.

``provision`` runs at every start. On a new install it makes the keys; on a database from
before the key store it moves the card secret out (same value: printed cards stay valid,
the settings row is deleted) and, once, seals the existing PIN hashes under a new pepper.
A kiosk that finds the database already keyed but its own store empty (a second kiosk on
PostgreSQL, a new PC) refuses to start until an admin imports the keys
(``kiosk keys import``, see ``kiosk.services.key_transfer``): making new ones there would
split the school in two.

Services find the keys through their connection (``of``): the ones attached to its engine
at start, or else those in the key store beside the SQLite file (the default layout).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, delete, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from kiosk.config import default_data_dir
from kiosk.db import Database
from kiosk.errors import KioskError
from kiosk.keystore import KeyStore
from kiosk.services import pin_seal
from kiosk.tables import Card, Setting, Staff

CARD_SECRET, CARD_PREVIOUS, PIN_PEPPER = "card_secret", "card_secret.previous", "pin_pepper"
# Public settings rows: key ids and the end of the grace period after a card key change.
CARD_ID, CARD_PREVIOUS_ID, CARD_GRACE_UNTIL = (
    "card_key_id",
    "card_previous_key_id",
    "card_grace_until",
)
PEPPER_ID = "pin_pepper_id"
LEGACY_CARD_SECRET = "card_secret"  # the settings row where earlier versions kept it
KEY_SETTINGS = (CARD_ID, CARD_PREVIOUS_ID, CARD_GRACE_UNTIL, PEPPER_ID)
IMPORT_WORDS = (
    "This kiosk does not hold the school's keys (card key and PIN pepper), and this "
    "database already uses them. On a kiosk that has them, an admin runs "
    "'kiosk keys export --as NAME --out FILE'; then here: 'kiosk keys import FILE --as NAME'."
)


class MissingKeys(KioskError):
    default_message = IMPORT_WORDS


def key_id(secret: bytes) -> str:
    return hmac.new(secret, b"handin-kiosk key id", hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class SchoolKeys:
    card_secret: bytes
    pin_pepper: bytes
    previous_card_secret: bytes | None = None

    # Worked out once per set of keys: every scan compares them with the database's.
    @cached_property
    def card_id(self) -> str:
        return key_id(self.card_secret)

    @cached_property
    def previous_card_id(self) -> str | None:
        return None if self.previous_card_secret is None else key_id(self.previous_card_secret)

    @cached_property
    def pepper_id(self) -> str:
        return key_id(self.pin_pepper)


_attached: WeakKeyDictionary[Engine, SchoolKeys] = WeakKeyDictionary()
_stores: WeakKeyDictionary[Engine, KeyStore] = WeakKeyDictionary()  # where they came from


def attach(engine: Engine, keys: SchoolKeys, store: KeyStore | None = None) -> None:
    _attached[engine] = keys
    if store is not None:
        _stores[engine] = store


def attached(engine: Engine) -> SchoolKeys | None:
    return _attached.get(engine)


def store_for(engine: Engine) -> KeyStore:
    """The key store of the default layout: beside the SQLite file, or the data folder."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        return KeyStore(Path(database).expanduser().resolve().parent)
    return KeyStore(default_data_dir())


def load(store: KeyStore) -> SchoolKeys | None:
    card, pepper = store.read(CARD_SECRET), store.read(PIN_PEPPER)
    if card is None or pepper is None:
        return None
    return SchoolKeys(card, pepper, store.read(CARD_PREVIOUS))


def of(conn: Connection) -> SchoolKeys:
    """The keys for work on ``conn``'s database."""
    engine = conn.engine
    keys = _attached.get(engine)
    if keys is None:
        keys = load(_stores.get(engine) or store_for(engine))
        if keys is None:
            raise MissingKeys()
        attach(engine, keys)
    return keys


def forget(engine: Engine) -> None:
    """Drop the keys held for ``engine`` (they are read again from the store when next
    needed: after an import, or a card key change on this kiosk)."""
    _attached.pop(engine, None)


# -- first start and the move out of the database ------------------------------------------


def _setting(sessions: Database, key: str) -> str | None:
    with sessions() as session:
        row = session.get(Setting, key)
        return None if row is None else row.value


def _record_id(sessions: Database, name: str, setting: str, secret: bytes) -> None:
    """Record ``secret``'s id in the database, or check it against the one recorded."""
    wanted = key_id(secret)
    recorded: str | None
    try:
        with sessions.begin() as session:
            row = session.get(Setting, setting)
            if row is None:
                session.add(Setting(key=setting, value=wanted))
                return
            recorded = row.value
    except IntegrityError:  # another kiosk recorded one at the same moment
        recorded = _setting(sessions, setting)
    if recorded != wanted:
        raise MissingKeys(
            f"This kiosk's {name.replace('_', ' ')} is not the one this database uses "
            "(another school's, or from before a key change). " + IMPORT_WORDS
        )


def _provision_card_secret(sessions: Database, store: KeyStore) -> bytes:
    legacy = _setting(sessions, LEGACY_CARD_SECRET)
    stored = store.read(CARD_SECRET)
    if legacy is not None:
        moved = bytes.fromhex(legacy)
        if stored is None:
            store.write(CARD_SECRET, moved)
            stored = moved
        elif stored != moved:
            raise MissingKeys(
                "The database holds a card key different from this kiosk's key store: it "
                "belongs to another install. Keep both and ask for help before going on."
            )
    made = False
    if stored is None:
        with sessions() as session:
            used = session.scalar(select(Card.id).limit(1)) is not None
        if used or _setting(sessions, CARD_ID) is not None:
            raise MissingKeys()
        stored, made = secrets.token_bytes(32), True
        store.write(CARD_SECRET, stored)
    _keep_or_erase(sessions, store, CARD_SECRET, CARD_ID, stored, made)
    if legacy is not None:
        with sessions.begin() as session:  # only now that the store holds it
            session.execute(delete(Setting).where(Setting.key == LEGACY_CARD_SECRET))
    return stored


def _keep_or_erase(
    sessions: Database, store: KeyStore, name: str, setting: str, secret: bytes, made: bool
) -> None:
    try:
        _record_id(sessions, name, setting, secret)
    except MissingKeys:
        if made:
            store.erase(name)  # another kiosk keyed the database first: use its keys
        raise


def _provision_pepper(sessions: Database, store: KeyStore) -> tuple[bytes, bool]:
    stored = store.read(PIN_PEPPER)
    made = False
    if stored is None:
        with sessions() as session:
            sealed = session.scalar(
                select(Staff.id).where(Staff.pin_hash.startswith(pin_seal.PREFIX)).limit(1)
            )
        if sealed is not None or _setting(sessions, PEPPER_ID) is not None:
            raise MissingKeys()
        stored, made = secrets.token_bytes(32), True
        store.write(PIN_PEPPER, stored)
    _keep_or_erase(sessions, store, PIN_PEPPER, PEPPER_ID, stored, made)
    return stored, made


def _seal_plain_hashes(sessions: Database, pepper: bytes) -> int:
    """Once, when the pepper is made: seal the PIN hashes stored before it existed. (Never
    again: a plain hash found later was put there behind the kiosk's back, and opens
    nothing.)"""
    with sessions.begin() as session:
        plain = session.scalars(select(Staff).where(~Staff.pin_hash.startswith(pin_seal.PREFIX)))
        count = 0
        for member in plain:
            member.pin_hash = pin_seal.seal(pepper, member.pin_hash, member.id, member.role)
            count += 1
    return count


def provision(sessions: Database, store: KeyStore) -> SchoolKeys:
    """Make, move or check the school's keys (see the module's words); attach them to the
    engine behind ``sessions`` and return them."""
    card = _provision_card_secret(sessions, store)
    pepper, made = _provision_pepper(sessions, store)
    if made:
        _seal_plain_hashes(sessions, pepper)
    keys = SchoolKeys(card, pepper, store.read(CARD_PREVIOUS))
    attach(sessions.engine, keys, store)
    return keys
