"""A new card for one pupil, issued the office's way (``card_runs.prepare_cards``, with the
card printer's own check of its text): the old card is revoked."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.printing.cards import check_code_fits
from kiosk.services import cards
from kiosk.services.audit import Actor
from kiosk.services.card_runs import CardSelection, prepare_cards
from kiosk.tables import Card


def new_card(sessions: Database, actor: Actor, pupil_id: int) -> str:
    """The new card's text."""
    batch = prepare_cards(
        sessions,
        actor,
        CardSelection(pupil_id=pupil_id),
        fits_on_card=check_code_fits,
        reissue=True,
    )
    (face,) = batch.faces
    return face.text


def current_card_text(session: Session, pupil_id: int) -> str:
    """The text of the pupil's card that is not revoked."""
    serial = session.scalar(
        select(Card.serial).where(Card.pupil_id == pupil_id, Card.revoked_at.is_(None))
    )
    assert serial is not None, f"pupil {pupil_id} has no card"
    return cards.card_text(session, pupil_id, serial)
