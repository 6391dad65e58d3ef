"""A hand-in whose answer the pupil can trust when the database fails part-way.

When the connection drops during a commit, the kiosk cannot know from the error whether
the hand-in was saved. Guessing either way is wrong: "not working" for a saved hand-in
sends the pupil to the office for nothing; "slot 12" for a lost one leaves a phone in a
slot with no record. So every scan carries a token (random, made by the kiosk) that goes
into the hand-in's audit details; after a failure the kiosk looks the token up on a fresh
connection before it answers. Found: the pupil gets their slot. Not found: nothing was
saved, so the hand-in is made once more. Still unreachable: ``OutcomeUnknown``, and the
screen keeps asking (``resolve``) while the pupil reads that the kiosk is waiting.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import bindparam, select

from kiosk.clock import utcnow
from kiosk.db import Database
from kiosk.db_limits import deadline as limited
from kiosk.errors import DatabaseUnavailable, RecordsNotAnswering
from kiosk.event_kinds import EventKind
from kiosk.services import custody, placing
from kiosk.services.audit import canonical_json
from kiosk.services.common import summarise
from kiosk.services.custody import HandInResult
from kiosk.tables import AuditEvent, Pupil

LOOKUP_WINDOW = dt.timedelta(hours=1)  # a token is looked for among this recent past
ATTEMPTS = 2  # a hand-in found unsaved after a failure is made once more

# One event a slot, each carrying the token among its other details (devices, day-out).
# The token is hex, so it holds nothing LIKE would read as a wildcard.
_BY_TOKEN = (
    select(AuditEvent.custody_id, AuditEvent.slot_number, AuditEvent.pupil_id, AuditEvent.at)
    .where(
        AuditEvent.kind == EventKind.HAND_IN.value,
        AuditEvent.at >= bindparam("since"),
        AuditEvent.details.contains(bindparam("token_json")),
    )
    .order_by(AuditEvent.seq)
)


class NotAnswering(DatabaseUnavailable):
    """The records did not answer by the deadline; the hand-in was not saved."""

    default_message = (
        "The kiosk's records are not answering. Nothing was saved: "
        "please scan again in a moment, or see the office."
    )


class OutcomeUnknown(RecordsNotAnswering):
    """A hand-in was sent, and whether it was saved cannot be learned yet."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token


def new_token() -> str:
    return secrets.token_hex(8)


def find_hand_in(sessions: Database, token: str) -> HandInResult | None:
    """The hand-in saved with ``token``, or None if there is none."""
    since = utcnow().replace(tzinfo=None) - LOOKUP_WINDOW
    token_json = canonical_json({"token": token})[1:-1]  # '"token":"…"', as stored
    with sessions() as session:
        rows = session.execute(_BY_TOKEN, {"since": since, "token_json": token_json}).all()
        if not rows:
            return None
        first = rows[0]
        pupil = session.get_one(Pupil, first.pupil_id)
        summary = summarise(pupil, pupil.photo is not None)
        ours = {row.custody_id for row in rows}
        held = placing.held_placements(session.connection(), first.pupil_id)
        placed = tuple(p for p in held if p.custody_id in ours)
    return HandInResult(summary, first.slot_number, first.custody_id, False, None, first.at, placed)


def resolve(sessions: Database, token: str) -> HandInResult | None:
    """Whether the hand-in with ``token`` was saved (None: it was not); OutcomeUnknown
    while the records cannot be reached within the kiosk's deadline."""
    try:
        with limited(sessions.limits.job_s):
            return find_hand_in(sessions, token)
    except DatabaseUnavailable as error:
        raise OutcomeUnknown(token) from error


def hand_in_trusted(
    sessions: Database, card_text: object, token: str, *, deadline: float | None = None
) -> HandInResult:
    """``custody.hand_in_by_card`` whose answer is never a guess (see the module docs).
    A failure before the COMMIT saved nothing, and says so; one at the COMMIT is looked
    up. ``deadline``: the scan's own (``TooLate`` past it, nothing written)."""
    for attempt in range(ATTEMPTS):
        try:
            with limited(sessions.limits.job_s) as limit:
                return custody.hand_in_by_card(sessions, card_text, token=token, deadline=deadline)
        except DatabaseUnavailable as error:
            if not error.at_commit:
                if limit.passed:
                    raise NotAnswering() from error
                raise
            found = resolve(sessions, token)
            if found is not None:
                return found
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # the loop returns or raises
