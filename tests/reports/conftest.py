"""A school with a few days of history around the clocks going forward (Sunday 29 March
2026), built once per session into a SQLite file that each test gets a copy of. A test
parametrised with ``database_url = "postgresql"`` builds the same history on PostgreSQL.

Beyond ``kiosk.demo.add_history`` (morning hand-ins, confiscations released to parents,
a device referred to the DSL still held) it holds the cases the reports must show: a late
collection, a device kept overnight, an undone hand-in, a hand-over to the police, a pupil
with repeated confiscations whose "parent" typed a formula, and leavers for the purge.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from school_copies import Template, make_template, sqlite_or_postgres
from sqlalchemy import Engine, update

from kiosk.clock import start_of_local_day
from kiosk.db import Sessions
from kiosk.demo import DemoSchool, add_history, build_school
from kiosk.services import confiscation, custody, exemptions
from kiosk.tables import Pupil

TODAY = dt.date(2026, 3, 31)
NOW = start_of_local_day(TODAY) + dt.timedelta(hours=12)
FORMULA_PARENT = '=HYPERLINK("http://x")'


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """Naive UTC for a school-local time (as services store it)."""
    return start_of_local_day(day) + dt.timedelta(hours=hour, minutes=minute)


@dataclass
class History:
    school: DemoSchool
    late_pupil: int = 0
    overnight_pupil: int = 0
    repeat_pupil: int = 0
    police_pupil: int = 0
    undone_pupil: int = 0
    leaver: int = 0  # left long ago: due for the purge
    recent_leaver: int = 0  # left last month: not due
    held_leaver: int = 0  # left long ago, a device still held: skipped
    extra: dict[str, int] = field(default_factory=dict)


def build_history(sessions: Sessions) -> History:
    school = build_school(sessions, pupils=30, slot_count=20, reserved=2)
    add_history(sessions, school, days=3, today=TODAY)
    office, senior = school.actors["office"], school.actors["senior"]
    special = {school.pupil_ids[3], school.pupil_ids[5]}  # held confiscation; exemption
    others = [p for p in school.pupil_ids if p not in school.device_owners and p not in special]
    h = History(school)
    h.late_pupil, h.overnight_pupil, h.undone_pupil, h.repeat_pupil, h.police_pupil = others[:5]
    h.leaver, h.recent_leaver = others[5], others[6]
    h.held_leaver = school.pupil_ids[3]  # add_history leaves a confiscated device of theirs held

    late = custody.hand_in(sessions, h.late_pupil, now=local(dt.date(2026, 3, 30), 8))
    custody.collect(sessions, late.custody_id, office, now=local(dt.date(2026, 3, 30), 18, 40))

    kept = custody.hand_in(sessions, h.overnight_pupil, now=local(dt.date(2026, 3, 27), 8))
    custody.keep_overnight(
        sessions, office, kept.custody_id, "Parent asked", local(dt.date(2026, 3, 27), 17)
    )
    custody.collect(sessions, kept.custody_id, office, now=local(dt.date(2026, 3, 30), 9))

    undone = custody.hand_in(sessions, h.undone_pupil, now=local(dt.date(2026, 3, 26), 8, 5))
    custody.undo_hand_in(
        sessions, undone.custody_id, actor=office, now=local(dt.date(2026, 3, 26), 8, 6)
    )

    for day in (dt.date(2026, 3, 26), dt.date(2026, 3, 30)):
        info = confiscation.confiscate(
            sessions, office, h.repeat_pupil, "used in lesson", "In maths", now=local(day, 10)
        )
        confiscation.release_to_parent(
            sessions, office, info.id, FORMULA_PARENT, "-carer", True, now=local(day, 16)
        )

    seized = confiscation.confiscate(
        sessions, senior, h.police_pupil, "suspected offence", now=local(dt.date(2026, 3, 27), 11)
    )
    confiscation.hand_to_police(
        sessions,
        senior,
        seized.id,
        "PC Jones",
        "4512",
        "CR/123/26",
        local(dt.date(2026, 3, 27), 14),
    )

    old = local(dt.date(2025, 1, 10), 10)
    gone = confiscation.confiscate(
        sessions, office, h.leaver, "misuse / filming", "Filmed a teacher", now=old
    )
    confiscation.release_to_parent(
        sessions, office, gone.id, "Mrs Leaver", "mother", True, now=old + dt.timedelta(hours=6)
    )
    exemptions.grant(
        sessions, senior, h.leaver, "medical", "Insulin pump app", starts_on=dt.date(2025, 1, 1)
    )
    with sessions.begin() as session:
        for pupil_id, left_on in (
            (h.leaver, dt.date(2025, 2, 1)),
            (h.recent_leaver, dt.date(2026, 3, 1)),
            (h.held_leaver, dt.date(2024, 7, 20)),
        ):
            session.execute(
                update(Pupil).where(Pupil.id == pupil_id).values(active=False, left_on=left_on)
            )
    return h


@pytest.fixture(scope="session")
def history_template(tmp_path_factory: pytest.TempPathFactory) -> Template[History]:
    return make_template(tmp_path_factory, "reports-school", build_history)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[str]:
    yield from sqlite_or_postgres(request, data_dir)


@pytest.fixture
def engine(database_url: str, history_template: Template[History]) -> Iterator[Engine]:
    yield from history_template.engine_for(database_url)


@pytest.fixture
def history(sessions: Sessions, database_url: str, history_template: Template[History]) -> History:
    return history_template.built_for(database_url)


@pytest.fixture
def school(history: History) -> DemoSchool:
    return history.school
