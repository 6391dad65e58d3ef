"""The school day's rules at hand-in beyond "a slot": a hand-in after the hand-in window
closes is late (the school's ``handin_closes`` setting), and the list of today's late
hand-ins for the console."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import aliased

from kiosk.clock import local_date, start_of_local_day, to_local
from kiosk.db import Database
from kiosk.services.common import SUMMARY_COLUMNS, PupilSummary, now_or, summary_of
from kiosk.services.settings import DEFAULTS, parse_time
from kiosk.tables import Custody, CustodyKind, CustodyState, Pupil, Slot, Staff

LATE_AFTER = "handin_closes"  # one setting: the window's close is when lateness starts


def is_late(closes: str | None, now: dt.datetime) -> bool:
    """Whether a hand-in at ``now`` (naive UTC) is after the window closed today;
    ``closes`` is the school's LATE_AFTER setting (read with the hand-in's other facts in
    ``kiosk.services.hand_in_facts``), None for the default."""
    return to_local(now).time() >= parse_time(closes or DEFAULTS[LATE_AFTER])


@dataclass(frozen=True)
class LateHandIn:
    pupil: PupilSummary
    received_at: dt.datetime
    slot_number: int | None
    card_less: bool
    received_by: str | None  # the member of staff, for a card-less hand-in


def late_today(sessions: Database, now: dt.datetime | None = None) -> list[LateHandIn]:
    """Today's daily hand-ins recorded late (undone ones left out), latest first."""
    today = local_date(now_or(now))
    start = start_of_local_day(today)
    end = start_of_local_day(today + dt.timedelta(days=1))
    receiver = aliased(Staff)
    query = (
        select(
            *SUMMARY_COLUMNS,
            Custody.received_at,
            Slot.number,
            Custody.card_less,
            receiver.name.label("received_by"),
        )
        .join(Pupil, Pupil.id == Custody.pupil_id)
        .outerjoin(Slot, Slot.id == Custody.slot_id)
        .outerjoin(receiver, receiver.id == Custody.received_by_id)
        .where(
            Custody.late.is_(True),
            Custody.kind == CustodyKind.DAILY.value,
            Custody.state != CustodyState.CANCELLED.value,
            Custody.received_at >= start,
            Custody.received_at < end,
        )
        .order_by(Custody.received_at.desc())
    )
    with sessions() as session:
        return [
            LateHandIn(summary_of(r), r.received_at, r.number, r.card_less, r.received_by)
            for r in session.execute(query)
        ]
