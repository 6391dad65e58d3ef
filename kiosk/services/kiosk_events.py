"""Staff actions on the kiosk itself (leaving full-screen mode, closing the program), so
that the audit log shows who took the kiosk out of pupil use and when."""

from __future__ import annotations

import datetime as dt

from kiosk.db import Database
from kiosk.errors import InvalidInput
from kiosk.event_kinds import KIOSK_EVENTS, LEAVING_KIOSK_EVENTS, EventKind
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.services.common import now_or, require


def record(
    sessions: Database,
    actor: Actor,
    event: EventKind,
    kiosk_name: str,
    now: dt.datetime | None = None,
) -> None:
    """Record ``event`` (one of ``KIOSK_EVENTS``) by ``actor`` on the kiosk called
    ``kiosk_name``. Leaving full screen or closing the program needs an admin (it leaves a
    desktop with the kiosk's files); back to full screen, anyone on the staff side."""
    if event not in KIOSK_EVENTS:
        raise InvalidInput(f"{event.words} is not an event of the kiosk itself.")
    with sessions.begin() as session:
        leaving = event in LEAVING_KIOSK_EVENTS
        require(session, actor, Action.LEAVE_KIOSK if leaving else Action.VIEW_CONSOLE)
        audit.append(session, event, actor, at=now_or(now), details={"kiosk": kiosk_name})
