"""Confiscated devices collected by a parent or carer lately: who took each one, the ID
seen, whether they were on the pupil's contact list, and who authorised it if not (the
staff console's "Collected" list)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import aliased

from kiosk.clock import utcnow
from kiosk.db import Database
from kiosk.services.common import SUMMARY_COLUMNS, PupilSummary, summary_of
from kiosk.tables import Custody, CustodyKind, CustodyState, Pupil, ReleasedTo, Staff

RECENT_DAYS = 30


@dataclass(frozen=True)
class Collection:
    custody_id: int
    pupil: PupilSummary
    released_at: dt.datetime
    name: str
    relationship: str
    id_seen_as: str | None
    listed: bool | None  # one of the pupil's MIS contacts (None: the school keeps none)
    authorised_by: str | None


def recent(sessions: Database, days: int = RECENT_DAYS) -> list[Collection]:
    """Confiscations released to a parent or carer in the last ``days``, newest first."""
    authorised_by = aliased(Staff)
    since = utcnow() - dt.timedelta(days=days)
    query = (
        select(
            Custody,
            authorised_by.name.label("authorised_by"),
            *SUMMARY_COLUMNS,
        )
        .join(Pupil, Pupil.id == Custody.pupil_id)
        .outerjoin(authorised_by, authorised_by.id == Custody.release_authorised_by_id)
        .where(
            Custody.kind == CustodyKind.CONFISCATION.value,
            Custody.state == CustodyState.RELEASED.value,
            Custody.released_to == ReleasedTo.PARENT.value,
            Custody.released_at >= since,
        )
        .order_by(Custody.released_at.desc())
    )
    with sessions() as session:
        return [
            Collection(
                custody_id=row.Custody.id,
                pupil=summary_of(row),
                released_at=row.Custody.released_at,
                name=row.Custody.released_to_name or "",
                relationship=row.Custody.released_to_relationship or "",
                id_seen_as=row.Custody.id_seen_as,
                listed=row.Custody.released_to_listed,
                authorised_by=row.authorised_by,
            )
            for row in session.execute(query)
        ]
