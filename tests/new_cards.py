"""A new card for one pupil, issued the office's way (``card_runs.prepare_cards``, with the
card printer's own check of its text): the old card is revoked."""

from __future__ import annotations

from kiosk.db import Sessions
from kiosk.printing.cards import check_code_fits
from kiosk.services.audit import Actor
from kiosk.services.card_runs import CardSelection, prepare_cards


def new_card(sessions: Sessions, actor: Actor, pupil_id: int) -> str:
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
