"""The retention purge removes a long-gone pupil's search records (every version, and any
draft), counts them, and the audit chain still verifies with no record shown missing."""

import datetime as dt

import pytest
from fixtures.reports import *  # noqa: F403 (the reports tests' fixtures)
from fixtures.reports import NOW
from sqlalchemy import func, select

from kiosk.services import chain_check, retention, search_records, searches
from kiosk.tables import SearchItem, SearchRecord
from searching.forms import complete_form

POSTGRES = pytest.param("postgresql", marks=pytest.mark.postgres)
SEARCHED = NOW - dt.timedelta(days=3)


def counts(sessions, pupil_id):
    with sessions() as session:
        mine = select(SearchRecord.id).where(SearchRecord.pupil_id == pupil_id)
        return (
            session.scalar(select(func.count()).select_from(mine.subquery())),
            session.scalar(select(func.count()).where(SearchItem.record_id.in_(mine))),
        )


@pytest.mark.parametrize("database_url", ["sqlite", POSTGRES], indirect=True)
def test_a_leavers_search_records_go_with_the_purge(history, sessions):
    senior, office = history.school.actors["senior"], history.school.actors["office"]
    form = complete_form(history.leaver, searched_at=SEARCHED)
    first = search_records.record(sessions, senior, form, now=NOW)
    search_records.correct(sessions, senior, first.id, form, "typo", now=NOW)
    search_records.save_draft(sessions, office, form, now=NOW)
    stays = search_records.record(
        sessions, senior, complete_form(history.recent_leaver, searched_at=SEARCHED), now=NOW
    )
    assert counts(sessions, history.leaver) == (3, 3)

    plan = retention.purge(sessions, history.school.actors["admin"], dry_run=True, now=NOW)
    assert plan.search_records_removed == 3 and "search records removed: 3" in plan.describe()
    done = retention.purge(sessions, history.school.actors["admin"], now=NOW)

    assert done.search_records_removed == 3
    assert counts(sessions, history.leaver) == (0, 0)
    listed = searches.search_list(sessions, senior)
    assert [row.id for row in listed.rows] == [stays.id] and listed.missing_ids == ()
    report = chain_check.verify(sessions)
    assert report.intact, report.describe()
