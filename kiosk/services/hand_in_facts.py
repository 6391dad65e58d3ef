"""What a hand-in needs to know of the pupil's day, read in ONE statement at every scan (on
SQLite a statement costs more than the index probes in it): the daily devices already held
(a repeat scan), an exemption that applies today (they keep the device), whether they sit
an exam today (the reminder), whether the hand-in window has closed (late), their open
day-out of today (back from an appointment or a trip) and the school's slot capacity. The
rules stay in their homes (``exemptions``, ``exams``, ``school_day``); this module only
reads their facts together."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ScalarSelect, and_, bindparam, literal_column, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from kiosk.clock import local_date, start_of_local_day
from kiosk.prepared import Prepared
from kiosk.services import exams, exemptions, school_day
from kiosk.services.allocation import IS_HELD
from kiosk.services.common import AnyRow, out_since
from kiosk.services.exemptions import ExemptionInfo
from kiosk.tables import Custody, CustodyKind, DayOut, Exemption, Pupil, Setting, Slot

CAPACITY = "slot_capacity"


@dataclass(frozen=True)
class DayFacts:
    held: AnyRow | None  # the first daily part held now: custody_id, number, received_at
    exemption: ExemptionInfo | None
    exam_today: bool
    late: bool
    capacity: int  # devices a slot takes; 0: any number
    out: AnyRow | None  # the open day-out of today: out_id, slot_number, device_kinds, reason


def _setting(key: str) -> ScalarSelect[str]:
    return select(Setting.value).where(Setting.key == key).scalar_subquery()


# A literal for the same reason as IS_HELD: the partial index on held daily parts states it.
_IS_DAILY = Custody.kind == literal_column(f"'{CustodyKind.DAILY.value}'")
_HELD_SLOT = aliased(Slot)
# Prepared once (see kiosk.prepared). The outer joins match at most the pupil's held parts
# (a repeat scan: the earliest wins), their exemptions of today (the first wins) and their
# open day-outs of today (the latest wins).
_FACTS = Prepared(
    select(
        Custody.id.label("custody_id"),
        _HELD_SLOT.number,
        Custody.received_at,
        *exemptions.EXEMPTION_COLUMNS,
        exams.SITS_EXAM_ON_DAY.label("exam_today"),
        _setting(school_day.LATE_AFTER).label("closes"),
        _setting(CAPACITY).label("capacity"),
        DayOut.id.label("out_id"),
        DayOut.slot_number,
        DayOut.device_kinds,
        DayOut.reason,
    )
    .select_from(Pupil)
    .outerjoin(Custody, and_(Custody.pupil_id == Pupil.id, IS_HELD, _IS_DAILY))
    .outerjoin(_HELD_SLOT, _HELD_SLOT.id == Custody.slot_id)
    .outerjoin(
        Exemption,
        and_(Exemption.pupil_id == Pupil.id, *exemptions.applies_on(bindparam("day"))),
    )
    .outerjoin(
        DayOut,
        and_(DayOut.pupil_id == Pupil.id, *out_since(bindparam("since"))),
    )
    .where(Pupil.id == bindparam("pupil_id"))
    .order_by(Custody.received_at, Exemption.id, DayOut.out_at.desc())
    .limit(1)
)


def read(conn: Connection, pupil_id: int, now: dt.datetime) -> DayFacts:
    """The facts of ``pupil_id``'s day at ``now`` (naive UTC), inside the hand-in's
    transaction."""
    today = local_date(now)
    row = conn.execute(
        _FACTS.on(conn), {"pupil_id": pupil_id, "day": today, "since": start_of_local_day(today)}
    ).one()
    capacity = row.capacity
    return DayFacts(
        held=row if row.custody_id is not None else None,
        exemption=exemptions.exemption_of(row),
        exam_today=bool(row.exam_today),
        late=school_day.is_late(row.closes, now),
        capacity=int(capacity) if capacity and capacity.isdigit() else 0,
        out=row if row.out_id is not None else None,
    )
