"""Prepared statements (kiosk.prepared) answer exactly as the Core statements they are
made from: the same rows, column names and Python types, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fixtures.core import *  # noqa: F403 (the core tests' fixtures)
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from kiosk.clock import local_date, start_of_local_day
from kiosk.db import Database
from kiosk.demo import DemoSchool
from kiosk.devices import Device, DeviceKind
from kiosk.prepared import Prepared, as_text
from kiosk.services import allocation, audit, cards, custody, hand_in_facts
from kiosk.tables import Card, Setting

NOW = dt.datetime(2026, 3, 2, 8, 0)


def _same(conn: Connection, prepared: Prepared, params: dict[str, Any]) -> None:
    core = conn.execute(prepared.statement, params).all()
    text = conn.execute(prepared.on(conn), params).all()
    assert text == core
    for mine, theirs in zip(text, core, strict=True):
        assert mine._fields == theirs._fields
        assert [type(v) for v in mine] == [type(v) for v in theirs]


def test_the_scan_statements_answer_as_their_core_forms(
    sessions: Database, school: DemoSchool
) -> None:
    first, second = school.pupil_ids[:2]
    custody.hand_in(sessions, first, now=NOW)  # a held daily custody, with its slot
    watch = [Device(DeviceKind.PHONE), Device(DeviceKind.WATCH, "blue strap")]
    custody.hand_in(sessions, second, now=NOW, devices=watch)
    today = local_date(NOW)
    with sessions.transaction() as conn:
        for pupil_id in school.pupil_ids[:6]:
            day = {"pupil_id": pupil_id, "day": today, "since": start_of_local_day(today)}
            _same(conn, hand_in_facts._FACTS, day)
        for serial in [*conn.scalars(select(Card.serial)).all()[:6], -1]:
            _same(conn, cards._CARD_HOLDER, {"serial": serial})
        for reserved in (True, False):
            _same(conn, allocation._LOWEST_FREE_SLOT, {"reserved": reserved})
        _same(conn, audit._READ_HEAD, {})


def test_a_statement_with_an_in_list_is_refused(sessions: Database) -> None:
    listed = select(Setting.value).where(Setting.key.in_(bindparam("keys", expanding=True)))
    with sessions.connect() as conn, pytest.raises(ValueError, match="IN lists"):
        as_text(listed, conn.dialect)
