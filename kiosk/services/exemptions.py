"""Documented exemptions (e.g. medical monitoring): the pupil keeps the device."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, or_, select
from sqlalchemy.orm import Session

from kiosk.clock import day_text, local_date
from kiosk.db import Database
from kiosk.errors import InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.services.common import (
    SUMMARY_COLUMNS,
    AnyRow,
    PupilSummary,
    get_pupil,
    now_or,
    require,
    summary_of,
)
from kiosk.tables import Exemption, ExemptionCategory, Pupil, Staff

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
    review_on: dt.date | None  # None: granted before exemptions had review dates

    @property
    def category_words(self) -> str:
        return CATEGORY_WORDS.get(self.category, self.category)


@dataclass(frozen=True)
class ExemptionRow:
    id: int
    pupil: PupilSummary
    category: str
    detail: str
    starts_on: dt.date
    ends_on: dt.date | None
    review_on: dt.date | None
    approved_by: str

    @property
    def category_words(self) -> str:
        return CATEGORY_WORDS.get(self.category, self.category)


def _info(row: Exemption) -> ExemptionInfo:
    return ExemptionInfo(
        row.id, row.pupil_id, row.category, row.detail, row.starts_on, row.ends_on,
        row.review_on,
    )  # fmt: skip


def exemption_of(row: AnyRow) -> ExemptionInfo | None:
    """The exemption in a row that selected EXEMPTION_COLUMNS (outer-joined: maybe none)."""
    if row.exemption_id is None:
        return None
    return ExemptionInfo(
        row.exemption_id, row.exemption_pupil_id, row.category, row.detail, row.starts_on,
        row.ends_on, row.review_on,
    )  # fmt: skip


# For the hand-in's one read of the pupil's day (kiosk.services.hand_in_facts), joined on
# applies_on(bindparam("day")).
EXEMPTION_COLUMNS = (
    Exemption.id.label("exemption_id"),
    Exemption.pupil_id.label("exemption_pupil_id"),
    Exemption.category,
    Exemption.detail,
    Exemption.starts_on,
    Exemption.ends_on,
    Exemption.review_on,
)


def grant(
    sessions: Database,
    actor: Actor,
    pupil_id: int,
    category: str,
    detail: str,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    review_on: dt.date | None = None,
) -> ExemptionInfo:
    """``review_on`` None: the default review date (:func:`default_review_on`)."""
    if category not in CATEGORY_WORDS:
        raise InvalidInput("Category is medical, young_carer or other.")
    detail = detail.strip()
    if not detail:
        raise InvalidInput("Please describe the exemption (what it is for).")
    starts_on = starts_on or local_date(now_or(None))
    if ends_on is not None and ends_on < starts_on:
        raise InvalidInput("The end date is before the start date.")
    if review_on is not None and review_on < starts_on:
        raise InvalidInput(
            f"The review date ({day_text(review_on)}) is before the exemption starts "
            f"({day_text(starts_on)}). Please choose a review date on or after the start."
        )
    review_on = review_on or default_review_on(starts_on, ends_on)
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
            review_on=review_on,
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
                "review_on": review_on,
            },
        )
        return _info(row)


def default_review_on(starts_on: dt.date, ends_on: dt.date | None) -> dt.date:
    """A year after the start (the DfE's guidance on pupils with medical conditions asks for
    individual healthcare plans to be reviewed at least annually; schools review young
    carers' and other arrangements on the same yearly cycle), or the last day if the
    exemption ends sooner: it is looked at again then anyway."""
    try:
        a_year_on = starts_on.replace(year=starts_on.year + 1)
    except ValueError:  # 29 February: the 28th the next year
        a_year_on = starts_on.replace(year=starts_on.year + 1, day=28)
    return min(a_year_on, ends_on) if ends_on is not None else a_year_on


def end(sessions: Database, actor: Actor, exemption_id: int) -> None:
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


# -- the exemptions that apply today (the staff console's list) --------------------------


def applies_on(today: dt.date | BindParameter[dt.date]) -> tuple[Any, ...]:
    """SQL conditions: the exemption applies on ``today`` (a date or a bound parameter):
    not ended, started, and not past its last day. The one statement of the rule."""
    return (
        Exemption.ended_at.is_(None),
        Exemption.starts_on <= today,
        or_(Exemption.ends_on.is_(None), Exemption.ends_on >= today),
    )


def _exemption_rows(session: Session, today: dt.date) -> list[ExemptionRow]:
    query = (
        select(
            Exemption.id,
            Exemption.category,
            Exemption.detail,
            Exemption.starts_on,
            Exemption.ends_on,
            Exemption.review_on,
            Staff.name.label("approved_by"),
            *SUMMARY_COLUMNS,
        )
        .join(Pupil, Pupil.id == Exemption.pupil_id)
        .join(Staff, Staff.id == Exemption.approved_by_id)
        .where(*applies_on(today), Pupil.purged_at.is_(None))
        .order_by(Pupil.surname, Pupil.legal_forename)
    )
    return [
        ExemptionRow(
            id=row.id,
            pupil=summary_of(row),
            category=row.category,
            detail=row.detail,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            review_on=row.review_on,
            approved_by=row.approved_by,
        )
        for row in session.execute(query)
    ]


def applying_today(sessions: Database, now: dt.datetime | None = None) -> list[ExemptionRow]:
    """Exemptions that apply today, with who approved them."""
    today = local_date(now_or(now))
    with sessions() as session:
        return _exemption_rows(session, today)
