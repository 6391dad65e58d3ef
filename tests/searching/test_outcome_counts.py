"""The governors' counts of searches by outcome, on SQLite and PostgreSQL."""

import datetime as dt

from fixtures.core import *  # noqa: F403 (the core tests' fixtures)

from kiosk.services import search_records, searches
from kiosk.services.search_form import FoundItem
from searching.forms import NOW, SEARCHED_AT, complete_form

DAY = dt.timedelta(days=1)


def test_searches_are_counted_by_what_was_found_and_what_became_of_it(school, sessions):
    senior, office = school.actors["senior"], school.actors["office"]
    p = school.pupil_ids
    search_records.record(sessions, senior, complete_form(p[0]), now=NOW)
    two_items = (FoundItem("Lighter", "disposed"), FoundItem("Phone", "returned"))
    search_records.record(sessions, senior, complete_form(p[1], items=two_items), now=NOW)
    nothing = complete_form(p[2], items=(), found_nothing=True, consent=False)
    search_records.record(sessions, senior, nothing, now=NOW)
    search_records.save_draft(sessions, office, complete_form(p[3]), now=NOW)
    earlier = complete_form(p[4], searched_at=SEARCHED_AT - 10 * DAY)
    search_records.record(sessions, senior, earlier, now=NOW)

    counts = searches.outcome_counts(sessions, SEARCHED_AT - DAY, SEARCHED_AT + DAY)

    assert (counts.searches, counts.nothing_found, counts.something_found) == (3, 1, 2)
    assert counts.items == {"kept": 1, "returned": 1, "police": 0, "disposed": 1}
    assert (counts.with_consent, counts.dsl_informed, counts.parents_informed) == (2, 3, 3)
    assert counts.drafts_open == 1
    assert searches.outcome_counts(sessions, NOW + DAY, NOW + 2 * DAY).searches == 0


def test_a_corrected_search_counts_once_with_its_latest_outcome(school, sessions):
    senior = school.actors["senior"]
    first = search_records.record(sessions, senior, complete_form(school.pupil_ids[0]), now=NOW)
    police = complete_form(school.pupil_ids[0], items=(FoundItem("Knife", "police"),))
    search_records.correct(sessions, senior, first.id, police, "the item was a knife", now=NOW)

    counts = searches.outcome_counts(sessions, SEARCHED_AT - DAY, SEARCHED_AT + DAY)

    assert counts.searches == 1
    assert counts.items == {"kept": 0, "returned": 0, "police": 1, "disposed": 0}
