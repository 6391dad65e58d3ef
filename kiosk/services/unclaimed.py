"""Confiscated devices nobody has come for: still held ``unclaimed_days`` school-local days
(a school setting, 5 by default) or more after they were taken. The lists, the dashboard,
the exports and the governors' pages flag them from here, so they all agree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from kiosk.clock import local_date
from kiosk.custody_terms import is_unclaimed
from kiosk.db import Database
from kiosk.services import console, settings
from kiosk.services.common import now_or
from kiosk.services.console import HeldDevice

SETTING = "unclaimed_days"
DEFAULT_DAYS = int(settings.DEFAULTS[SETTING])


@dataclass(frozen=True)
class UnclaimedDevice:
    device: HeldDevice
    days: int  # whole school-local days since it was confiscated
    limit: int  # the school's setting when this was read


def limit_days(session: Session) -> int:
    return int(settings.get_value(session, SETTING))


def unclaimed(sessions: Database, now: dt.datetime | None = None) -> list[UnclaimedDevice]:
    """Confiscated devices still held at or beyond the limit, oldest first."""
    today = local_date(now_or(now))
    with sessions() as session:
        limit = limit_days(session)
    return [
        UnclaimedDevice(device, device.age_days(today), limit)
        for device in console.confiscations_awaiting_parent(sessions)
        if is_unclaimed(device.age_days(today), limit)
    ]
