"""Staff actions on the kiosk itself (leaving full-screen mode, closing the program), so
that the audit log shows who took the kiosk out of pupil use and when."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from kiosk.db import Sessions
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.services.common import now_or, require


class KioskEvent(StrEnum):
    LEFT_FULL_SCREEN = "kiosk_left_full_screen"
    ENTERED_FULL_SCREEN = "kiosk_entered_full_screen"
    CLOSED = "kiosk_closed"


def record(
    sessions: Sessions,
    actor: Actor,
    event: KioskEvent,
    kiosk_name: str,
    now: dt.datetime | None = None,
) -> None:
    """Record ``event`` by ``actor`` on the kiosk called ``kiosk_name``; refuses anyone
    who may not use the staff side of the kiosk."""
    with sessions.begin() as session:
        require(session, actor, Action.VIEW_CONSOLE)
        audit.append(session, event.value, actor, at=now_or(now), details={"kiosk": kiosk_name})
