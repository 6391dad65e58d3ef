"""The database itself refuses what must never happen, even to raw SQL."""

import datetime as dt

import pytest
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

T0 = dt.datetime(2026, 11, 20, 8, 0)


def insert_custody(conn, pupil_id: int, slot_id: int, kind: str = "daily", state: str = "held"):
    conn.execute(
        text(
            "INSERT INTO custodies (pupil_id, slot_id, kind, state, switched_off_confirmed,"
            " received_at) VALUES (:p, :s, :k, :st, false, :t)"
        ),
        {"p": pupil_id, "s": slot_id, "k": kind, "st": state, "t": T0},
    )


def test_two_held_devices_can_never_share_a_slot(school, engine):
    with engine.begin() as conn:
        insert_custody(conn, school.pupil_ids[0], 1)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        insert_custody(conn, school.pupil_ids[1], 1, kind="confiscation")


def test_a_slot_may_be_reused_once_its_device_is_released(school, engine):
    with engine.begin() as conn:
        insert_custody(conn, school.pupil_ids[0], 1, state="released")
        insert_custody(conn, school.pupil_ids[1], 1)


def test_a_pupil_has_at_most_one_held_daily_hand_in(school, engine):
    with engine.begin() as conn:
        insert_custody(conn, school.pupil_ids[0], 1)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        insert_custody(conn, school.pupil_ids[0], 2)


def test_a_pupil_may_have_a_confiscated_device_besides_a_daily_one(school, engine):
    with engine.begin() as conn:
        insert_custody(conn, school.pupil_ids[0], 1)
        insert_custody(conn, school.pupil_ids[0], 2, kind="confiscation")


def test_a_custody_must_point_at_a_real_pupil(school, engine):
    with pytest.raises(IntegrityError), engine.begin() as conn:
        insert_custody(conn, 987654, 1)
