"""Documented exemptions (e.g. medical monitoring): the pupil keeps the device."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from kiosk.clock import local_date
from kiosk.db import Sessions
from kiosk.errors import InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.rules import Action, exemption_applies
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.services.common import get_pupil, now_or, require
from kiosk.tables import Exemption, ExemptionCategory

CATEGORY_WORDS = {
    ExemptionCategory.MEDICAL.value: "medical",
    ExemptionCategory.YOUNG_CARER.value: "young carer",
    ExemptionCategory.OTHER.value: "agreed with school",
}


@dataclass(frozen=True)
class ExemptionInfo:
    id: int
    pupil_id: int
    category: str
    detail: str
    starts_on: dt.date
    ends_on: dt.date | None

    @property
    def category_words(self) -> str:
        return CATEGORY_WORDS.get(self.category, self.category)


def _info(row: Exemption) -> ExemptionInfo:
    return ExemptionInfo(row.id, row.pupil_id, row.category, row.detail, row.starts_on, row.ends_on)


# ExemptionInfo's fields in order. Built once: every hand-in runs it.
_OPEN_EXEMPTIONS = select(
    Exemption.id,
    Exemption.pupil_id,
    Exemption.category,
    Exemption.detail,
    Exemption.starts_on,
    Exemption.ends_on,
).where(Exemption.pupil_id == bindparam("pupil_id"), Exemption.ended_at.is_(None))


def active_exemption(conn: Connection, pupil_id: int, today: dt.date) -> ExemptionInfo | None:
    for row in conn.execute(_OPEN_EXEMPTIONS, {"pupil_id": pupil_id}):
        if exemption_applies(row.starts_on, row.ends_on, False, today):
            return ExemptionInfo(*row)
    return None


def grant(
    sessions: Sessions,
    actor: Actor,
    pupil_id: int,
    category: str,
    detail: str,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> ExemptionInfo:
    if category not in CATEGORY_WORDS:
        raise InvalidInput("Category is medical, young_carer or other.")
    detail = detail.strip()
    if not detail:
        raise InvalidInput("Please describe the exemption (what it is for).")
    starts_on = starts_on or local_date(now_or(None))
    if ends_on is not None and ends_on < starts_on:
        raise InvalidInput("The end date is before the start date.")
    with sessions.begin() as session:
        staff = require(session, actor, Action.MANAGE_EXEMPTIONS)
        pupil = get_pupil(session, pupil_id)
        row = Exemption(
            pupil_id=pupil.id,
            category=category,
            detail=detail,
            approved_by_id=staff.id,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        session.add(row)
        session.flush()
        audit.append(
            session,
            EventKind.EXEMPTION_GRANTED,
            actor,
            pupil_id=pupil.id,
            details={
                "exemption_id": row.id,
                "category": category,
                "detail": detail,
                "starts_on": starts_on,
                "ends_on": ends_on,
            },
        )
        return _info(row)


def end(sessions: Sessions, actor: Actor, exemption_id: int) -> None:
    with sessions.begin() as session:
        require(session, actor, Action.MANAGE_EXEMPTIONS)
        row = session.get(Exemption, exemption_id)
        if row is None or row.ended_at is not None:
            raise InvalidInput("That exemption is not active.")
        row.ended_at = now_or(None)
        audit.append(
            session,
            EventKind.EXEMPTION_ENDED,
            actor,
            pupil_id=row.pupil_id,
            details={"exemption_id": row.id},
        )


def list_active(sessions: Sessions, today: dt.date | None = None) -> list[ExemptionInfo]:
    today = today or local_date(now_or(None))
    with sessions() as session:
        rows = session.scalars(select(Exemption).where(Exemption.ended_at.is_(None)))
        return [_info(r) for r in rows if exemption_applies(r.starts_on, r.ends_on, False, today)]
