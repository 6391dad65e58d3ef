"""Reading a card against the school's card key, and changing that key.

Every scan reads the school code and the card key ids from the database in one query and
checks the key this kiosk holds is the school's current one (another kiosk may have changed
it). A card that fails under the current key is tried under the previous one: it is accepted
until the grace period after the change ends, then refused with words saying why.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import literal_column, select
from sqlalchemy.engine import Connection

from kiosk import card_codec
from kiosk.db import Database
from kiosk.errors import UnknownCard
from kiosk.event_kinds import EventKind
from kiosk.keystore import KeyStore
from kiosk.rules import Action
from kiosk.services import audit, school_keys, settings
from kiosk.services.audit import Actor
from kiosk.services.common import now_or, require
from kiosk.services.school_keys import CARD_GRACE_UNTIL, CARD_ID, CARD_PREVIOUS_ID, SchoolKeys
from kiosk.tables import Setting

STALE_KEY = (
    "This kiosk does not have the school's current card key. Please see the office "
    "(an admin imports it: kiosk keys import)."
)
OLD_CARD = (
    "This card was printed before the school changed its card key. Please see the office "
    "for a new card."
)
CHANGED_KIND = EventKind.CARD_KEY_CHANGED


@dataclass(frozen=True)
class CardKeys:
    secret: bytes
    school_code: str
    previous: bytes | None  # the key before the last change, while it may still be honoured
    grace_until: dt.datetime | None


# Built once: every scan runs it. The keys are written as literals, not as an expanding
# IN of bound values, whose list SQLAlchemy would render again at every execution.
_READ = select(Setting.key, Setting.value).where(
    Setting.key.in_(
        [
            literal_column(f"'{key}'")
            for key in ("school_code", CARD_ID, CARD_PREVIOUS_ID, CARD_GRACE_UNTIL)
        ]
    )
)


def card_keys(conn: Connection) -> CardKeys:
    rows = {key: value for key, value in conn.execute(_READ)}
    keys = school_keys.of(conn)
    if rows.get(CARD_ID) != keys.card_id:
        school_keys.forget(conn.engine)  # changed or imported since: read the store again
        keys = school_keys.of(conn)
        if rows.get(CARD_ID) != keys.card_id:
            raise UnknownCard(STALE_KEY)
    previous = keys.previous_card_secret
    if previous is None or rows.get(CARD_PREVIOUS_ID) != keys.previous_card_id:
        previous = None
    until = rows.get(CARD_GRACE_UNTIL)
    code = rows.get("school_code", settings.DEFAULTS["school_code"])
    return CardKeys(
        keys.card_secret, code, previous, dt.datetime.fromisoformat(until) if until else None
    )


def read_card(
    text: object, keys: CardKeys, now: dt.datetime | None = None
) -> card_codec.CardPayload | card_codec.CardRejected:
    """``card_codec.read`` under the current key, then the previous one within its grace."""
    read = card_codec.read(text, keys.secret, keys.school_code)
    forged = (
        isinstance(read, card_codec.CardRejected) and read.problem is card_codec.CardProblem.FORGED
    )
    if not forged or keys.previous is None:
        return read
    older = card_codec.read(text, keys.previous, keys.school_code)
    if isinstance(older, card_codec.CardRejected):
        return read
    if keys.grace_until is None or now_or(now) > keys.grace_until:
        raise UnknownCard(OLD_CARD)
    return older


def rotate(
    sessions: Database, actor: Actor, store: KeyStore, now: dt.datetime | None = None
) -> dt.datetime:
    """Give the school a new card key; the old one is honoured for ``card_grace_days``.
    Returns the end of the grace period. Reprint the cards (``kiosk cards --all``)."""
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_SETTINGS)
        keys = school_keys.of(session.connection())
        until = now + dt.timedelta(days=int(settings.get_value(session, "card_grace_days")))
        new = secrets.token_bytes(32)
        values = {
            CARD_ID: school_keys.key_id(new),
            CARD_PREVIOUS_ID: keys.card_id,
            CARD_GRACE_UNTIL: until.isoformat(timespec="seconds"),
        }
        settings.put_values(session, values)
        details = {"grace_until": values[CARD_GRACE_UNTIL], "key_id": values[CARD_ID]}
        audit.append(
            session, CHANGED_KIND, actor, details={**details, "previous_key_id": keys.card_id}
        )
        # Inside the transaction: if the store cannot take the key, nothing changes.
        store.write(school_keys.CARD_PREVIOUS, keys.card_secret)
        store.write(school_keys.CARD_SECRET, new)
    school_keys.attach(sessions.engine, SchoolKeys(new, keys.pin_pepper, keys.card_secret), store)
    return until
