"""The governors' PDF's pages for inspectors, on a school built for it with figures known
in advance: two year groups over seven school days (a leaver, a pupil who brings no
device, exemptions), a late hand-in, releases during the day, confiscations across two
terms with a repeat pupil, a search, and a device nobody has come for. Every figure is
checked against the data made here (SQLite and PostgreSQL), then the page is rendered
to PNG and its words read back."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)
from school_copies import Template, make_template, small_school
from searching.forms import complete_form
from sqlalchemy import Engine, update

from kiosk.clock import local_date, start_of_local_day, utcnow
from kiosk.db import Database
from kiosk.demo import DemoSchool
from kiosk.exports.run import ExportRequest, run_export
from kiosk.services import confiscation, custody, day_outs, exemptions, search_records, settings
from kiosk.services.reports import governors
from kiosk.services.reports.filter import ReportFilter
from kiosk.tables import Exemption, Pupil

WEEK_A = [dt.date(2026, 11, 16) + dt.timedelta(days=n) for n in range(5)]  # Mon-Fri
WEEK_B = [dt.date(2026, 11, 23), dt.date(2026, 11, 24)]
PERIOD = ReportFilter(WEEK_A[0], WEEK_B[-1])
SECOND_TERM = dt.date(2026, 11, 23)
REVIEW_PASSED = dt.date(2026, 11, 30)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return start_of_local_day(day) + dt.timedelta(hours=hour, minutes=minute)


@dataclass
class Built:
    school: DemoSchool
    year7: list[int]  # 8 pupils, all bring a device
    year8: list[int]  # 8 pupils, the last brings none
    leaver: int  # year 8, handed in on the Monday, left on the Wednesday
    unclaimed: int


def _shape_the_roll(sessions, school: DemoSchool) -> Built:
    ids = school.pupil_ids
    built = Built(school, ids[0:8], ids[8:16], ids[16], ids[9])
    with sessions.begin() as session:
        session.execute(update(Pupil).values(active=False, brings_device=True))
        session.execute(
            update(Pupil).where(Pupil.id.in_(built.year7)).values(year_group=7, reg_group="7A")
        )
        year8 = [*built.year8, built.leaver]
        session.execute(
            update(Pupil).where(Pupil.id.in_(year8)).values(year_group=8, reg_group="8A")
        )
        session.execute(update(Pupil).where(Pupil.id.in_(ids[:17])).values(active=True))
        session.execute(
            update(Pupil).where(Pupil.id == built.year8[-1]).values(brings_device=False)
        )
    return built


def _hand_ins(sessions, built: Built) -> None:
    office = built.school.actors["office"]
    for day in WEEK_A + WEEK_B:
        pupils = built.year7[: 6 if day == WEEK_A[2] else 5] + built.year8[:4]
        if day == WEEK_A[0]:  # the leaver; a pupil who brings no device hands one in
            pupils += [built.leaver, built.year8[-1]]
        held = []
        for pupil in pupils:
            late = pupil == built.year7[4] and day == WEEK_A[4]
            held.append(
                custody.hand_in(sessions, pupil, now=at(day, 10 if late else 8, 30 if late else 0))
            )
        if day == WEEK_A[1]:  # two appointments: their devices go back at 11:00
            day_outs.release_for_day_out(
                sessions, office, built.year7[1:3], "appointment", now=at(day, 11)
            )
        if day == WEEK_A[3]:
            day_outs.release_for_day_out(
                sessions, office, [built.year7[3]], "illness", now=at(day, 12)
            )
        for result in held:
            try:
                custody.collect(sessions, result.custody_id, office, now=at(day, 15, 30))
            except Exception:  # the ones already given back for a day out
                continue


def _confiscations(sessions, built: Built) -> None:
    office = built.school.actors["office"]

    def take(pupil: int, day: dt.date, release: bool = True) -> None:
        info = confiscation.confiscate(sessions, office, pupil, "used in lesson", now=at(day, 13))
        if release:
            confiscation.release_to_parent(
                sessions, office, info.id, "Pat Parent", "Mother", True, now=at(day, 16)
            )

    take(built.year7[0], WEEK_A[0])
    take(built.year7[0], WEEK_A[1])  # a repeat in the first term
    take(built.year8[0], WEEK_A[2])
    take(built.year7[0], WEEK_B[0])  # the second term starts the count again
    take(built.unclaimed, WEEK_B[1], release=False)  # nobody comes for it


def build_evidence_school(sessions, school: DemoSchool) -> Built:
    built = _shape_the_roll(sessions, school)
    admin, senior = school.actors["admin"], school.actors["senior"]
    settings.update(sessions, admin, {"term_starts": f"09-01,01-01,04-07,{SECOND_TERM}"})
    exemptions.grant(sessions, senior, built.year7[7], "medical", "Monitor", WEEK_A[0], WEEK_A[-1])
    exemptions.grant(sessions, senior, built.year7[6], "young_carer", "Calls home", WEEK_B[0])
    exemptions.grant(
        sessions, senior, built.year8[6], "medical", "Insulin", dt.date(2026, 11, 1),
        dt.date(2030, 7, 31), review_on=REVIEW_PASSED,
    )  # fmt: skip
    # granted after the period (no figure changes), before review dates: none set
    legacy = exemptions.grant(
        sessions, senior, built.year8[-1], "medical", "Heart monitor", WEEK_B[-1] + dt.timedelta(1)
    )
    with sessions.begin() as session:
        session.execute(update(Exemption).where(Exemption.id == legacy.id).values(review_on=None))
    _hand_ins(sessions, built)
    _confiscations(sessions, built)
    with sessions.begin() as session:
        session.execute(
            update(Pupil).where(Pupil.id == built.leaver).values(active=False, left_on=WEEK_A[2])
        )
    search_records.record(
        sessions, senior, complete_form(built.year7[3], searched_at=at(WEEK_A[3], 10, 30))
    )
    return built


def evidence_school(sessions: Database) -> Built:
    return build_evidence_school(sessions, small_school(sessions))


@pytest.fixture(scope="module")
def evidence_template(tmp_path_factory: pytest.TempPathFactory) -> Template[Built]:
    """The evidence school built once (seven days of hand-ins took ~3 s a test); each test
    gets a copy of it, on SQLite or PostgreSQL."""
    return make_template(tmp_path_factory, "evidence-school", evidence_school)


@pytest.fixture
def engine(database_url: str, evidence_template: Template[Built]) -> Iterator[Engine]:
    yield from evidence_template.engine_for(database_url)


@pytest.fixture
def built(sessions: Database, database_url: str, evidence_template: Template[Built]) -> Built:
    return evidence_template.built_for(database_url)


def by_year(rows, year):
    return next(row for row in rows if row.year_group == year)


def test_the_evidence_figures_match_the_school_made(sessions, built):
    evidence = governors.summary(sessions, PERIOD, verify_chain=False).evidence
    assert evidence is not None
    # Year 7: 8 pupils; one exempt in week A, another from week B: 7 expected a day.
    # Handed in: 5 a day, 6 on the Wednesday (the day out and back counts once).
    # Year 8: 7 bring a device, one of them exempt: 6, and the leaver before Wednesday.
    weekly = {
        (c.year_group, c.week): (c.handed_in, c.expected, c.others) for c in evidence.compliance
    }
    assert weekly == {
        (7, WEEK_A[0]): (26, 35, 0),
        (7, WEEK_B[0]): (10, 14, 0),
        (8, WEEK_A[0]): (21, 32, 1),  # not expected: not counted as compliance
        (8, WEEK_B[0]): (8, 12, 0),
    }
    year7, year8 = by_year(evidence.compliance_by_year, 7), by_year(evidence.compliance_by_year, 8)
    assert (year7.handed_in, year7.expected) == (36, 49)
    assert (year8.handed_in, year8.expected) == (29, 44)
    assert round(year7.percent, 1) == 73.5 and round(year8.percent, 1) == 65.9

    assert evidence.late_per_week == ((WEEK_A[0], 1),)
    assert dict(evidence.late_by_year) == {7: 1, 8: 0}
    assert evidence.day_outs_by_reason == (("Appointment", 2), ("Illness", 1))

    terms = {(r.term.starts, r.year_group): r for r in evidence.confiscations_by_term}
    first, second = dt.date(2026, 9, 1), SECOND_TERM
    assert set(terms) == {(first, 7), (first, 8), (second, 7), (second, 8)}
    figures = {
        key: (r.on_roll, r.confiscations, r.pupils, r.repeat_pupils, round(r.per_100, 1))
        for key, r in terms.items()
    }
    assert figures == {
        (first, 7): (8, 2, 1, 1, 25.0),
        (first, 8): (9, 1, 1, 0, 11.1),  # the leaver was on roll mid-term
        (second, 7): (8, 1, 1, 0, 12.5),
        (second, 8): (8, 1, 1, 0, 12.5),
    }

    found = evidence.searches
    assert (found.searches, found.nothing_found, found.something_found) == (1, 0, 1)
    assert found.items["kept"] == 1 and found.dsl_informed == found.parents_informed == 1

    in_force = [(e.year_group, e.category, e.review_on) for e in evidence.exemptions]
    # no review date first, then the overdue: what most needs a look. The young carer's
    # was given none: a year after the start.
    assert in_force == [
        (8, "medical", None),
        (8, "medical", REVIEW_PASSED),
        (7, "young carer", dt.date(2027, 11, 23)),
    ]
    today = local_date(utcnow())
    assert [e.overdue(today) for e in evidence.exemptions] == [False, True, False]

    [waiting] = evidence.unclaimed
    assert waiting.device.pupil.id == built.unclaimed and evidence.unclaimed_limit == 5
    assert waiting.days == (local_date(utcnow()) - WEEK_B[1]).days


def test_a_year_filter_narrows_the_evidence(sessions, built):
    evidence = governors.summary(
        sessions, ReportFilter(WEEK_A[0], WEEK_B[-1], year_group=8), verify_chain=False
    ).evidence
    assert {c.year_group for c in evidence.compliance_by_year} == {8}
    assert evidence.day_outs_by_reason == () and evidence.late == 0
    assert [e.year_group for e in evidence.exemptions] == [8, 8]
    assert [u.device.pupil.id for u in evidence.unclaimed] == [built.unclaimed]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_the_inspectors_pages_render_with_their_figures(sessions, built, tmp_path, artifacts):
    out = tmp_path / "summary.pdf"
    run_export(
        sessions, built.school.actors["senior"], ExportRequest("summary", "pdf", PERIOD), out
    )
    words = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], check=True, capture_output=True, text=True
    ).stdout
    evidence = words[words.index("Evidence for inspectors") :]
    for text in (
        "Hand-in compliance by year group",
        "73.5%",
        "65.9%",
        "Late hand-ins",
        "1 late hand-in (Year 7: 1)",
        "3 releases of a pupil's devices during the school day",
        "Confiscations per 100 pupils",
        "25.0",
        "11.1",
        "Searches recorded",
        "no review date",
        "30/11/2026 review overdue",
        "23/11/2027",
        "Devices unclaimed beyond the school's limit",
        "Audit log: intact",
    ):
        assert text in evidence, text
    pages = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(out), str(pages)], check=True)
    rendered = sorted(tmp_path.glob("page*.png"))
    first_evidence = next(
        n for n, page in enumerate(words.split("\f"), start=1) if "Evidence for inspectors" in page
    )
    for n, png in enumerate(rendered[first_evidence - 1 :], start=first_evidence):
        shutil.copy(png, artifacts / f"reports_ofsted_page{n}.png")
