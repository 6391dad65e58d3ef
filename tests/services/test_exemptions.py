"""An exemption's review date: given, defaulted to a year on (or the last day, if sooner),
refused in words before the start; it is kept, audited, and read back by the console."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fixtures.console_days import TODAY, at
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)
from sqlalchemy import func, select

from kiosk.errors import InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.services import exemptions
from kiosk.tables import AuditEvent, Exemption

START = TODAY - dt.timedelta(days=10)


def granted_event(sessions, exemption_id: int) -> dict:
    with sessions() as session:
        events = session.scalars(
            select(AuditEvent.details).where(AuditEvent.kind == EventKind.EXEMPTION_GRANTED.value)
        ).all()
    [details] = [d for d in map(json.loads, events) if d["exemption_id"] == exemption_id]
    return details


def test_a_review_date_is_kept_audited_and_listed(sessions, school):
    senior, pupil = school.actors["senior"], school.pupil_ids[0]
    review = TODAY + dt.timedelta(days=90)
    info = exemptions.grant(
        sessions, senior, pupil, "medical", "Glucose monitor", START, review_on=review
    )
    assert info.review_on == review
    with sessions() as session:
        assert session.get(Exemption, info.id).review_on == review
    assert granted_event(sessions, info.id)["review_on"] == review.isoformat()
    [row] = exemptions.applying_today(sessions, at(TODAY, 12))
    assert (row.id, row.review_on) == (info.id, review)


def test_without_a_review_date_it_is_a_year_after_the_start(sessions, school):
    senior, p = school.actors["senior"], school.pupil_ids
    a_year = exemptions.grant(sessions, senior, p[0], "medical", "Pump", dt.date(2026, 3, 2))
    assert a_year.review_on == dt.date(2027, 3, 2)
    leap = exemptions.grant(sessions, senior, p[1], "young_carer", "Calls", dt.date(2028, 2, 29))
    assert leap.review_on == dt.date(2029, 2, 28)
    # an exemption that ends within the year is reviewed by its last day
    short = exemptions.grant(
        sessions, senior, p[2], "other", "Trip", dt.date(2026, 3, 2), dt.date(2026, 4, 1)
    )
    assert short.review_on == dt.date(2026, 4, 1)
    assert granted_event(sessions, short.id)["review_on"] == "2026-04-01"


def test_a_review_date_before_the_start_is_refused_in_words_and_nothing_is_kept(sessions, school):
    senior, pupil = school.actors["senior"], school.pupil_ids[0]
    with pytest.raises(InvalidInput) as refused:
        exemptions.grant(
            sessions, senior, pupil, "medical", "Pump", START, review_on=START - dt.timedelta(1)
        )
    words = str(refused.value)
    assert "review date" in words and "before the exemption starts" in words
    assert START.strftime("%d/%m/%Y") in words
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Exemption)) == 0
    # on the start day itself is allowed
    same_day = exemptions.grant(sessions, senior, pupil, "medical", "Pump", START, review_on=START)
    assert same_day.review_on == START
