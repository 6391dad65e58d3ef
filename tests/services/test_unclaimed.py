"""Confiscated devices nobody has come for are flagged after the school's number of days,
counted in school-local days, and only while still held."""

from __future__ import annotations

import datetime as dt

import pytest
from fixtures.console_days import TODAY, at
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)

from kiosk.errors import InvalidInput
from kiosk.services import confiscation, settings, unclaimed


def confiscate_days_ago(sessions, school, pupil_index, days):
    office = school.actors["office"]
    taken = at(TODAY - dt.timedelta(days=days), 10, 0)
    pupil = school.pupil_ids[pupil_index]
    return confiscation.confiscate(sessions, office, pupil, "used in lesson", now=taken).id


def test_a_device_is_flagged_from_the_day_the_limit_is_reached(sessions, school):
    old = confiscate_days_ago(sessions, school, 0, 5)
    younger = confiscate_days_ago(sessions, school, 1, 4)
    released = confiscate_days_ago(sessions, school, 2, 9)
    confiscation.release_to_parent(
        sessions, school.actors["office"], released, "Pat Parent", "mum", True
    )
    found = unclaimed.unclaimed(sessions, at(TODAY, 8, 0))
    assert [(u.device.custody_id, u.days, u.limit) for u in found] == [(old, 5, 5)]
    assert younger not in {u.device.custody_id for u in found}


def test_the_limit_is_a_school_setting_checked_in_words(sessions, school):
    confiscate_days_ago(sessions, school, 0, 2)
    assert unclaimed.unclaimed(sessions, at(TODAY, 8, 0)) == []
    settings.update(sessions, school.actors["admin"], {"unclaimed_days": "2"})
    assert len(unclaimed.unclaimed(sessions, at(TODAY, 8, 0))) == 1
    for bad in ("0", "61", "five"):
        with pytest.raises(InvalidInput, match="from 1 to 60"):
            settings.update(sessions, school.actors["admin"], {"unclaimed_days": bad})
