"""The escalation ladder: a pupil's confiscations counted over a term (1st, 2nd, 3rd and
later), a new term starting the count again, the rules and terms as the admin edits them,
and bad settings refused in words. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)
from sqlalchemy import select

from kiosk.clock import start_of_local_day
from kiosk.errors import InvalidInput, NotAuthorised
from kiosk.exports.run import ExportRequest, run_export
from kiosk.services import confiscation, escalation, ladder, settings
from kiosk.services.ladder import Condition, TermStart, term_of
from kiosk.services.reports.filter import ReportFilter
from kiosk.tables import AuditEvent, Confiscation

AUTUMN_DAYS = [
    dt.date(2026, 9, 7),
    dt.date(2026, 10, 5),
    dt.date(2026, 11, 9),
    dt.date(2026, 12, 1),
]


def at(day: dt.date, hour: int = 11) -> dt.datetime:
    return start_of_local_day(day) + dt.timedelta(hours=hour)


def confiscate_on(sessions, school, pupil_id, day, **choice):
    info = confiscation.confiscate(
        sessions, school.actors["office"], pupil_id, "used in lesson", now=at(day), **choice
    )
    with sessions() as session:
        row = session.get(Confiscation, info.id)
        return row.term_step, row.release_condition, row.condition_note


def test_the_count_climbs_the_ladder_through_a_term(sessions, school):
    pupil = school.pupil_ids[4]
    steps = [confiscate_on(sessions, school, pupil, day) for day in AUTUMN_DAYS]
    assert steps == [
        (1, "end_of_day", None),
        (2, "end_of_week", None),
        (3, "parent", None),
        (4, "parent", None),  # the last step repeats
    ]
    other = school.pupil_ids[5]  # each pupil has a ladder of their own
    assert confiscate_on(sessions, school, other, AUTUMN_DAYS[-1]) == (1, "end_of_day", None)


def test_a_new_term_starts_the_count_again(sessions, school):
    pupil = school.pupil_ids[4]
    for day in AUTUMN_DAYS[:3]:
        confiscate_on(sessions, school, pupil, day)
    # The default terms: spring from 1 January, summer from 7 April.
    assert confiscate_on(sessions, school, pupil, dt.date(2027, 1, 6)) == (1, "end_of_day", None)
    assert confiscate_on(sessions, school, pupil, dt.date(2027, 3, 1)) == (2, "end_of_week", None)
    assert confiscate_on(sessions, school, pupil, dt.date(2027, 4, 19)) == (1, "end_of_day", None)
    standing = escalation.standing(sessions, pupil, now=at(dt.date(2027, 4, 20)))
    assert (standing.before, standing.step, standing.rule) == (1, 2, Condition.END_OF_WEEK)
    assert standing.term.name == "summer term" and standing.term.starts == dt.date(2027, 4, 7)


def test_edited_rules_and_terms_apply_from_then_on(sessions, school):
    admin, pupil = school.actors["admin"], school.pupil_ids[4]
    confiscate_on(sessions, school, pupil, dt.date(2026, 9, 7))
    settings.update(
        sessions,
        admin,
        {
            "escalation_rules": "next_day, end_of_week ,end_of_week,parent",
            "term_starts": "2026-09-03\n2026-10-26, 2027-01-05",  # half terms count as terms
        },
    )
    assert confiscate_on(sessions, school, pupil, dt.date(2026, 10, 5)) == (2, "end_of_week", None)
    assert confiscate_on(sessions, school, pupil, dt.date(2026, 10, 6)) == (3, "end_of_week", None)
    assert confiscate_on(sessions, school, pupil, dt.date(2026, 11, 2)) == (1, "next_day", None)
    with sessions() as session:
        assert settings.get_value(session, "escalation_rules") == (
            "next_day,end_of_week,end_of_week,parent"
        )
        assert settings.get_value(session, "term_starts") == "2026-09-03,2026-10-26,2027-01-05"
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == "settings_changed").order_by(AuditEvent.seq)
        ).all()[-1]
    assert json.loads(event.details)["before"]["escalation_rules"] == ladder.DEFAULT_RULES


def test_a_condition_other_than_the_rule_is_recorded_with_its_reason(sessions, school):
    pupil = school.pupil_ids[4]
    with pytest.raises(InvalidInput, match="Say why this one is different"):
        confiscate_on(sessions, school, pupil, AUTUMN_DAYS[0], release_condition="parent")
    assert confiscate_on(
        sessions,
        school,
        pupil,
        AUTUMN_DAYS[0],
        release_condition="parent",
        condition_reason="  Second phone;   parent asked to collect ",
    ) == (1, "parent", "Second phone; parent asked to collect")
    with pytest.raises(InvalidInput, match="'tomorrow' is not a release condition"):
        confiscate_on(sessions, school, pupil, AUTUMN_DAYS[1], release_condition="tomorrow")
    # The refused ones recorded nothing: the next is still the 2nd.
    assert confiscate_on(sessions, school, pupil, AUTUMN_DAYS[1])[0] == 2


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("escalation_rules", "", "at least one step"),
        ("escalation_rules", "end_of_day,whenever", "'whenever' is not a release condition"),
        ("escalation_rules", ",".join(["parent"] * 7), "at most 6 steps"),
        ("term_starts", "2026-09-03, 2026-13-01", "Term start 2, '2026-13-01', is not a date"),
        ("term_starts", "02-29", "is not a date"),
        ("term_starts", "09-01,09-01", "given twice"),
        ("term_starts", " ", "at least one term start"),
    ],
)
def test_bad_rules_or_terms_are_refused_in_words_and_nothing_changes(
    sessions, school, key, value, words
):
    with pytest.raises(InvalidInput, match=words):
        settings.update(sessions, school.actors["admin"], {key: value})
    with sessions() as session:
        assert settings.get_value(session, key) == settings.DEFAULTS[key]


def test_only_an_admin_edits_the_ladder(sessions, school):
    for role in ("office", "senior"):
        with pytest.raises(NotAuthorised):
            settings.update(sessions, school.actors[role], {"escalation_rules": "parent"})


def test_terms_from_repeating_and_dated_starts():
    repeating = ladder.parse_term_starts(ladder.DEFAULT_TERM_STARTS)
    assert term_of(dt.date(2026, 12, 7), repeating).starts == dt.date(2026, 9, 1)
    assert term_of(dt.date(2027, 2, 1), repeating).starts == dt.date(2027, 1, 1)
    assert term_of(dt.date(2027, 2, 1), repeating).ends == dt.date(2027, 4, 7)
    assert term_of(dt.date(2027, 8, 31), repeating).name == "summer term"
    dated = (TermStart(9, 3, 2026), TermStart(1, 5, 2027))
    assert term_of(dt.date(2026, 8, 1), dated).ends == dt.date(2026, 9, 3)
    assert term_of(dt.date(2027, 6, 1), dated).starts == dt.date(2027, 1, 5)
    later = term_of(dt.date(2028, 6, 1), dated)  # long after the last dated start
    assert later.starts <= dt.date(2028, 6, 1) < later.ends
    words = ladder.Ladder(ladder.parse_rules(ladder.DEFAULT_RULES), repeating).describe()
    assert words == [
        "1st confiscation in a term: returned at the end of the school day",
        "2nd confiscation in a term: returned at the end of the school week",
        "3rd and later confiscations: a parent or carer must collect it",
    ]
    assert [ladder.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st",
    ]  # fmt: skip


def test_the_custody_log_shows_each_confiscations_step_and_condition(sessions, school, tmp_path):
    pupil = school.pupil_ids[4]
    confiscate_on(sessions, school, pupil, AUTUMN_DAYS[0])
    confiscate_on(
        sessions, school, pupil, AUTUMN_DAYS[1], release_condition="parent", condition_reason="Dad"
    )
    out = tmp_path / "custody.csv"
    which = ReportFilter(AUTUMN_DAYS[0], AUTUMN_DAYS[1], custody_kind="confiscation")
    run_export(sessions, school.actors["senior"], ExportRequest("custody", "csv", which), out)
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline="")))
    header = rows[0]
    picked = [
        header.index(title)
        for title in ("Step this term", "Release condition", "Condition differs from rule because")
    ]
    assert [[row[i] for i in picked] for row in rows[1:]] == [
        ["1", "End of day", ""],
        ["2", "Parent collects", "Dad"],
    ]
