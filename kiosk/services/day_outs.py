"""Out and back during the day: a pupil (or a whole group: a form, a year, a hand-picked
list) leaves school for an appointment, illness, a trip or a club; staff release their
devices with one reason in one action. Back in school, the pupil scans at the kiosk as in
the morning (placing.place_day gives them the slot they left if it is still free and closes
their day-out); until then the dashboard lists them as still out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from kiosk.clock import local_date, start_of_local_day
from kiosk.db import Database
from kiosk.devices import device, encode
from kiosk.errors import InvalidInput, NotHeld
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.services.common import (
    SUMMARY_COLUMNS,
    PupilSummary,
    get_pupil,
    now_or,
    out_since,
    require,
    summarise,
    summary_of,
)
from kiosk.services.custody import devices_details, mark_released, record
from kiosk.tables import HELD, Custody, CustodyKind, DayOut, OutReason, Pupil, ReleasedTo

REASON_WORDS = {
    OutReason.APPOINTMENT: "Appointment",
    OutReason.ILLNESS: "Illness",
    OutReason.TRIP: "Trip",
    OutReason.CLUB: "Club",
    OutReason.OTHER: "Other",
}
NOTE_MAX = 200


def reason_words(reason: str) -> str:
    """ "Trip" for "trip"; a reason this version does not know reads as itself."""
    return next((w for r, w in REASON_WORDS.items() if r.value == reason), reason)


GROUP_NAME_MAX = 80


@dataclass(frozen=True)
class Outing:
    """A pupil out of school now, or who was."""

    id: int
    pupil: PupilSummary
    reason: str
    note: str
    group_name: str
    out_at: dt.datetime  # naive UTC
    slot_number: int | None
    devices: int  # how many devices were released when they left

    @property
    def reason_words(self) -> str:
        return reason_words(self.reason)


@dataclass(frozen=True)
class GroupOut:
    out: tuple[Outing, ...]
    already_out: tuple[PupilSummary, ...]  # left out: they were out already

    @property
    def devices(self) -> int:
        return sum(o.devices for o in self.out)


def pupils_of(
    sessions: Database, *, form: str | None = None, year: int | None = None
) -> list[PupilSummary]:
    """The active pupils of a form or a year, for picking a group."""
    if form is None and year is None:
        raise InvalidInput("Choose a form or a year.")
    query = select(*SUMMARY_COLUMNS).where(Pupil.active.is_(True), Pupil.purged_at.is_(None))
    if form is not None:
        query = query.where(Pupil.reg_group == form)
    if year is not None:
        query = query.where(Pupil.year_group == year)
    query = query.order_by(Pupil.reg_group, Pupil.surname, Pupil.legal_forename)
    with sessions() as session:
        return [summary_of(row) for row in session.execute(query)]


def release_for_day_out(
    sessions: Database,
    actor: Actor,
    pupil_ids: Collection[int],
    reason: str,
    note: str = "",
    *,
    group_name: str = "",
    now: dt.datetime | None = None,
) -> GroupOut:
    """Release every daily device of these pupils (all of one pupil's slots together), and
    record each pupil as out until they come back; one transaction, one reason."""
    reason_kind = _reason(reason)
    note, group_name = " ".join(note.split()), " ".join(group_name.split())
    if len(note) > NOTE_MAX or len(group_name) > GROUP_NAME_MAX:
        raise InvalidInput("Keep the note and the group's name short.")
    if reason_kind is OutReason.OTHER and not note:
        raise InvalidInput("Say where the pupil is going (a note) for 'Other'.")
    if not pupil_ids:
        raise InvalidInput("Choose at least one pupil.")
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.RELEASE_FOR_DAY_OUT)
        open_now = _open_pupil_ids(session, now)
        out, already = [], []
        for pupil_id in dict.fromkeys(pupil_ids):
            pupil = get_pupil(session, pupil_id)
            if pupil.id in open_now:
                already.append(summarise(pupil))
                continue
            out.append(_release_one(session, actor, pupil, reason_kind, note, group_name, now))
        if len(out) > 1 or group_name:
            audit.append(
                session,
                EventKind.GROUP_OUT,
                actor,
                at=now,
                details={
                    "group": group_name,
                    "reason": reason_kind.value,
                    "note": note,
                    "pupils": [o.pupil.id for o in out],
                    "devices": sum(o.devices for o in out),
                },
            )
        return GroupOut(tuple(out), tuple(already))


def _reason(reason: str) -> OutReason:
    try:
        return OutReason(reason)
    except ValueError:
        raise InvalidInput("Choose a reason: appointment, illness, trip, club or other.") from None


def _release_one(
    session: Session,
    actor: Actor,
    pupil: Pupil,
    reason: OutReason,
    note: str,
    group_name: str,
    now: dt.datetime,
) -> Outing:
    parts = list(
        session.scalars(
            select(Custody)
            .where(
                Custody.pupil_id == pupil.id,
                Custody.state == HELD,
                Custody.kind == CustodyKind.DAILY.value,
            )
            .order_by(Custody.part)
        )
    )
    devices = [
        device(i.kind, i.description or "") for c in parts for i in c.items if i.released_at is None
    ]
    for custody in parts:
        details = {"reason": reason.value, "note": note, "group": group_name}
        details.update(devices_details(custody) or {})
        mark_released(custody, actor, now, ReleasedTo.PUPIL)
        custody.release_reason, custody.release_note = reason.value, note or None
        record(session, EventKind.RELEASED_FOR_DAY_OUT, actor, custody, now, details)
    slot_number = parts[0].slot.number if parts and parts[0].slot else None
    outing = DayOut(
        pupil_id=pupil.id,
        reason=reason.value,
        note=note or None,
        group_name=group_name or None,
        out_at=now,
        out_by_id=actor.id,
        slot_number=slot_number,
        device_kinds=encode(devices) if devices else None,
    )
    session.add(outing)
    session.flush()
    return _outing(outing, summarise(pupil), len(devices))


def _outing(row: DayOut, pupil: PupilSummary, devices: int) -> Outing:
    return Outing(
        id=row.id,
        pupil=pupil,
        reason=row.reason,
        note=row.note or "",
        group_name=row.group_name or "",
        out_at=row.out_at,
        slot_number=row.slot_number,
        devices=devices,
    )


def _open_today(now: dt.datetime) -> tuple[ColumnElement[bool], ...]:
    return out_since(start_of_local_day(local_date(now)))


def _open_pupil_ids(session: Session, now: dt.datetime) -> set[int]:
    return set(session.scalars(select(DayOut.pupil_id).where(*_open_today(now))))


def still_out(sessions: Database, now: dt.datetime | None = None) -> list[Outing]:
    """Pupils who left today and have not come back (by group, then name)."""
    now = now_or(now)
    query = (
        select(DayOut, *SUMMARY_COLUMNS)
        .join(Pupil, Pupil.id == DayOut.pupil_id)
        .where(*_open_today(now))
        .order_by(DayOut.group_name, Pupil.surname, Pupil.legal_forename)
    )
    with sessions() as session:
        return [
            _outing(row.DayOut, summary_of(row), _count(row.DayOut.device_kinds))
            for row in session.execute(query)
        ]


def _count(kinds: str | None) -> int:
    return len(kinds.split(";")) if kinds else 0


def mark_back(
    sessions: Database, actor: Actor, out_id: int, now: dt.datetime | None = None
) -> None:
    """Staff record that a pupil is back without handing anything in (their device went
    home, or they had none)."""
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.RELEASE_FOR_DAY_OUT)
        outing = session.get(DayOut, out_id, with_for_update=True)
        if outing is None or outing.back_at is not None:
            raise NotHeld("That pupil is already back.")
        outing.back_at = now
        audit.append(
            session,
            EventKind.MARKED_BACK,
            actor,
            pupil_id=outing.pupil_id,
            at=now,
            details={"day_out_id": outing.id, "reason": outing.reason},
        )


def forms_and_years(sessions: Database) -> tuple[list[str], list[int]]:
    """The forms and years of the active pupils, for picking a group."""
    active = (Pupil.active.is_(True), Pupil.purged_at.is_(None))
    with sessions() as session:
        forms = session.scalars(
            select(Pupil.reg_group).where(*active).distinct().order_by(Pupil.reg_group)
        )
        years = session.scalars(
            select(Pupil.year_group).where(*active).distinct().order_by(Pupil.year_group)
        )
        return list(forms), list(years)
