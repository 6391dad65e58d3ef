"""Setting up a school: which steps the records show done, the admin's own marks (kept,
audited, admins only), whether the pupil screen may take scans, and the first admin made
by exactly one person even when two kiosks try at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import threading

import pytest
from fixtures.core import *  # noqa: F403 (the core tests' fixtures: SQLite and PostgreSQL)
from sqlalchemy import select

from kiosk.db import Database, make_engine
from kiosk.errors import InvalidInput, NotAuthorised
from kiosk.event_kinds import EventKind
from kiosk.services import settings, setup, slots, staff
from kiosk.services.setup import StepState
from kiosk.tables import AuditEvent

PIN = "592731"


def states(sessions) -> dict[str, str]:
    return {item.step.key: item.state.value for item in setup.status(sessions).steps}


def first_admin(sessions):
    staff.add_staff(sessions, None, "Sam Head", "admin", PIN)
    return staff.list_staff(sessions)[0].actor


def test_a_new_database_has_every_step_to_do_and_takes_no_scans(sessions):
    assert not setup.has_staff(sessions)
    status = setup.status(sessions)
    assert set(states(sessions).values()) == {"to do"}
    assert status.next_to_do() == "first_admin"
    assert not status.ready and not setup.kiosk_ready(sessions)


def test_the_records_show_the_steps_they_can(sessions):
    admin = first_admin(sessions)
    settings.update(sessions, admin, {"school_name": "Hillside Academy", "school_code": "HILL"})
    slots.add_slots(sessions, admin, 1, 30, "A")
    status = setup.status(sessions)
    assert status.of("first_admin").detail == "1 admin"
    assert status.of("school").detail == "Hillside Academy (HILL)"
    assert status.of("slots").detail == "30 slots in service"
    assert status.of("times").state is StepState.TO_DO  # the defaults may be right or not
    settings.update(sessions, admin, {"collection_opens": "15:10"})
    assert (
        setup.status(sessions).of("times").detail == "hand-in 07:00-10:00, collection 15:10-18:00"
    )
    assert not setup.kiosk_ready(sessions)  # slots, but no pupils yet
    assert setup.status(sessions).next_to_do() == "labels"


def test_marks_are_kept_audited_and_need_an_admin(sessions):
    admin = first_admin(sessions)
    staff.add_staff(sessions, admin, "Olivia Office", "office", "5937")
    office = next(m for m in staff.list_staff(sessions) if m.role == "office").actor
    with pytest.raises(NotAuthorised):
        setup.mark_step(sessions, office, "labels", "skipped")
    setup.mark_step(sessions, admin, "labels", "skipped")
    setup.mark_step(sessions, admin, "photos", "done")
    assert states(sessions)["labels"] == "skipped"
    assert states(sessions)["photos"] == "done"
    setup.mark_step(sessions, admin, "labels", "done")  # taken up later
    assert states(sessions)["labels"] == "done"
    with sessions.read() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.kind == EventKind.SETUP_STEP.value)
        ).all()
    assert len(events) == 3 and events[-1].actor_name == "Sam Head"
    assert json.loads(events[-1].details) == {
        "step": "labels",
        "before": "skipped",
        "after": "done",
    }
    with pytest.raises(InvalidInput, match="The steps are"):
        setup.mark_step(sessions, admin, "lunch", "done")
    with pytest.raises(InvalidInput):
        setup.mark_step(sessions, admin, "labels", "perhaps")


def test_only_the_very_first_account_needs_no_pin(sessions):
    with pytest.raises(InvalidInput, match="must be an admin"):
        staff.add_staff(sessions, None, "Olivia Office", "office", "5937")
    first_admin(sessions)
    with pytest.raises(NotAuthorised):
        staff.add_staff(sessions, None, "Mallory", "admin", "918273")
    assert [m.name for m in staff.list_staff(sessions)] == ["Sam Head"]


def test_two_kiosks_making_the_first_admin_at_once_make_one(sessions, database_url):
    """Each kiosk has its own connection; only one of them gets an admin without a PIN."""
    engines = [make_engine(database_url) for _ in range(2)]
    kiosks = [Database(engine) for engine in engines]
    start = threading.Barrier(2)
    results: list[str] = []

    def make(index: int) -> None:
        start.wait()
        try:
            staff.add_staff(kiosks[index], None, f"Admin {index}", "admin", PIN)
            results.append("made")
        except (NotAuthorised, InvalidInput) as error:
            results.append(type(error).__name__)

    threads = [threading.Thread(target=make, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for engine in engines:
        engine.dispose()
    assert sorted(results) == ["NotAuthorised", "made"]
    assert len(staff.list_staff(sessions)) == 1
