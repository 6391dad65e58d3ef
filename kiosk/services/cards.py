"""Pupil cards: issuing (a reissue revokes the old card) and reading a scanned text."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from kiosk import card_codec
from kiosk.errors import CardRevoked, UnknownCard
from kiosk.event_kinds import EventKind
from kiosk.prepared import Prepared
from kiosk.services import audit, card_keys, settings
from kiosk.services.audit import Actor
from kiosk.services.common import (
    USABLE_PUPIL_COLUMNS,
    PupilSummary,
    get_pupil,
    now_or,
    usable_summary,
)
from kiosk.tables import Card, Pupil


@dataclass(frozen=True)
class IssuedCard:
    pupil_id: int
    serial: int
    text: str


def card_text(session: Session, pupil_id: int, serial: int) -> str:
    return card_codec.encode(
        settings.card_secret(session), settings.get_value(session, "school_code"), pupil_id, serial
    )


def issue_in(session: Session, actor: Actor, pupil_id: int, *, reissue: bool) -> IssuedCard:
    """Issue a card inside the caller's transaction; revokes any card still valid."""
    pupil = get_pupil(session, pupil_id)
    now = now_or(None)
    revoked = (
        session.execute(
            update(Card)
            .where(Card.pupil_id == pupil.id, Card.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(Card.serial)
        )
        .scalars()
        .all()
    )
    serial = (session.scalar(select(func.max(Card.serial))) or 1000) + 1
    session.add(Card(pupil_id=pupil.id, serial=serial, issued_at=now))
    session.flush()
    kind = EventKind.CARD_REISSUED if reissue or revoked else EventKind.CARD_ISSUED
    audit.append(
        session,
        kind,
        actor,
        pupil_id=pupil.id,
        details={"serial": serial, "revoked_serials": list(revoked)},
    )
    return IssuedCard(pupil.id, serial, card_text(session, pupil.id, serial))


_CARD_HOLDER = Prepared(
    select(Card.pupil_id.label("card_pupil_id"), Card.revoked_at, *USABLE_PUPIL_COLUMNS)
    .join(Pupil, Pupil.id == Card.pupil_id)
    .where(Card.serial == bindparam("serial"))
)  # every scan runs it


def card_holder(conn: Connection, text: object) -> PupilSummary:
    """The active pupil a scanned text belongs to, or a named error with words for the
    screen: not a card, other school, forged, unknown serial, revoked, left."""
    read = card_keys.read_card(text, card_keys.card_keys(conn))
    if isinstance(read, card_codec.CardRejected):
        raise UnknownCard(read.message, reason=read.problem.name.lower())
    # The card and its pupil in one query: this runs on every scan.
    found = conn.execute(_CARD_HOLDER.on(conn), {"serial": read.serial}).first()
    if found is None or found.card_pupil_id != read.pupil_id:
        raise UnknownCard()
    if found.revoked_at is not None:
        raise CardRevoked()
    return usable_summary(found)


def pupil_for_card(session: Session, text: object) -> Pupil:
    """``card_holder`` as the pupil's ORM object, for screens that go on to change it."""
    return get_pupil(session, card_holder(session.connection(), text).id)
