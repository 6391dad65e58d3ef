"""Migration 0007 keeps what was there: every custody recorded before it becomes one item of
kind "phone" (a confiscation's description on it too), on both backends; and the database
then takes a pupil's second device in the same slot but no other pupil's."""

from __future__ import annotations

import datetime as dt

import pytest
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from kiosk.db import make_engine
from kiosk.migrate import upgrade

T0 = dt.datetime(2026, 11, 20, 8, 0)


def test_existing_custodies_become_one_phone_each(database_url):
    engine = make_engine(database_url)
    upgrade(engine, "0001")
    with engine.begin() as conn:
        for pupil in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO pupils (id, upn, admission_number, legal_forename, surname,"
                    " year_group, reg_group, brings_device, active, created_at, updated_at)"
                    " VALUES (:id, :upn, :adm, 'A', 'B', 7, '7A', true, true, :t, :t)"
                ),
                {"id": pupil, "upn": f"U{pupil}", "adm": f"A{pupil}", "t": T0},
            )
        conn.execute(text("INSERT INTO slots (id, number, cabinet, in_service,"
                          " reserved_for_confiscation) VALUES (1, 1, 'A', true, false),"
                          " (2, 2, 'C', true, true)"))  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO custodies (id, pupil_id, slot_id, kind, state, description,"
                " switched_off_confirmed, received_at) VALUES"
                " (1, 1, 1, 'daily', 'held', NULL, false, :t),"
                " (2, 2, 2, 'confiscation', 'held', 'cracked blue case', true, :t)"
            ),
            {"t": T0},
        )
    upgrade(engine)
    with engine.connect() as conn:
        items = conn.execute(
            text("SELECT custody_id, kind, description FROM custody_items ORDER BY custody_id")
        ).all()
        parts = conn.execute(text("SELECT part FROM custodies ORDER BY id")).scalars().all()
    assert [tuple(i) for i in items] == [(1, "phone", None), (2, "phone", "cracked blue case")]
    assert parts == [1, 1]
    # a second held daily custody of pupil 1 in slot 1 is refused (the slot is held), and
    # so is another pupil's
    for pupil, part in ((1, 2), (2, 1)):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO custodies (pupil_id, slot_id, kind, part, state,"
                    " switched_off_confirmed, received_at)"
                    " VALUES (:p, 1, 'daily', :part, 'held', false, :t)"
                ),
                {"p": pupil, "part": part, "t": T0},
            )
    engine.dispose()
