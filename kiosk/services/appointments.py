"""Collection appointments for confiscated devices ("at a mutually agreed and convenient
time"): when, and who will come (one of the pupil's contacts who may collect, or a name).
The "awaiting parent" list shows each confiscation with its appointment, the emails sent
about it and whether it is unclaimed; the dashboard shows today's appointments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.clock import local_date
from kiosk.custody_terms import is_unclaimed
from kiosk.db import Database
from kiosk.errors import InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import console, unclaimed
from kiosk.services.audit import Actor
from kiosk.services.common import now_or, require
from kiosk.services.console import HeldDevice
from kiosk.services.custody import held_custody, record
from kiosk.services.letter_contacts import collecting_contact
from kiosk.tables import CollectionAppointment, CustodyKind, ParentMessage

NAME_LIMIT = 120
FURTHEST_AHEAD = dt.timedelta(days=60)


@dataclass(frozen=True)
class Appointment:
    custody_id: int
    on_date: dt.date
    at_time: dt.time
    who: str
    contact_id: int | None
    reminded_at: dt.datetime | None  # naive UTC

    @property
    def words(self) -> str:
        day = self.on_date
        return f"{day:%a} {day.day} {day:%b} {self.at_time:%H:%M}, {self.who}"


@dataclass(frozen=True)
class AwaitingParent:
    """A confiscated device still held, with what the office needs to chase it."""

    device: HeldDevice
    appointment: Appointment | None
    days: int  # school-local days since it was taken
    unclaimed: bool  # at or beyond the school's limit
    emails_sent: int
    emails_failed: int


@dataclass(frozen=True)
class TodaysAppointment:
    device: HeldDevice
    appointment: Appointment


def _appointment(row: CollectionAppointment) -> Appointment:
    return Appointment(
        row.custody_id, row.on_date, row.at_time, row.who, row.contact_id, row.reminded_at
    )


def make_appointment(
    sessions: Database,
    actor: Actor,
    custody_id: int,
    on_date: dt.date,
    at_time: dt.time,
    who: str = "",
    contact_id: int | None = None,
    now: dt.datetime | None = None,
) -> Appointment:
    """Record (or move) the appointment to collect a confiscated device. ``contact_id``
    names one of the pupil's contacts; otherwise ``who`` is the person's name."""
    now = now_or(now)
    today = local_date(now)
    if on_date < today:
        raise InvalidInput("The appointment is in the past: choose today or a later day.")
    if on_date > today + FURTHEST_AHEAD:
        raise InvalidInput("The appointment is more than 60 days away: choose a nearer day.")
    who = " ".join(who.split())
    with sessions.begin() as session:
        require(session, actor, Action.RELEASE_TO_PARENT)
        custody = held_custody(session, custody_id)
        if custody.kind != CustodyKind.CONFISCATION.value:
            raise InvalidInput("Appointments are for confiscated devices.")
        if contact_id is not None:
            who = collecting_contact(session, custody.pupil_id, contact_id)
        if not who:
            raise InvalidInput("Choose the contact who will come, or type their name.")
        if len(who) > NAME_LIMIT:
            raise InvalidInput(f"The name is too long: {NAME_LIMIT} characters at most.")
        row = session.get(CollectionAppointment, custody_id)
        before = _appointment(row).words if row is not None else None
        if row is None:
            row = CollectionAppointment(custody_id=custody_id)
            session.add(row)
        row.on_date, row.at_time, row.who, row.contact_id = on_date, at_time, who, contact_id
        row.recorded_at, row.recorded_by_id, row.reminded_at = now, actor.id, None
        made = _appointment(row)
        details = {"on": on_date.isoformat(), "at": f"{at_time:%H:%M}", "who": who}
        record(
            session,
            EventKind.APPOINTMENT_MADE,
            actor,
            custody,
            now,
            details=details | ({"moved_from": before} if before else {}),
        )
        return made


def cancel_appointment(
    sessions: Database, actor: Actor, custody_id: int, now: dt.datetime | None = None
) -> None:
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.RELEASE_TO_PARENT)
        custody = held_custody(session, custody_id)
        row = session.get(CollectionAppointment, custody_id)
        if row is None:
            raise InvalidInput("No collection appointment is made for this device.")
        words = _appointment(row).words
        session.delete(row)
        record(
            session, EventKind.APPOINTMENT_CANCELLED, actor, custody, now, details={"was": words}
        )


def _appointments(session: Session, custody_ids: list[int]) -> dict[int, Appointment]:
    rows = session.scalars(
        select(CollectionAppointment).where(CollectionAppointment.custody_id.in_(custody_ids))
    )
    return {row.custody_id: _appointment(row) for row in rows}


def _email_counts(session: Session, custody_ids: list[int]) -> dict[tuple[int, str], int]:
    rows = session.execute(
        select(ParentMessage.custody_id, ParentMessage.outcome, func.count())
        .where(ParentMessage.custody_id.in_(custody_ids))
        .group_by(ParentMessage.custody_id, ParentMessage.outcome)
    )
    return {(custody_id, outcome): count for custody_id, outcome, count in rows}


def awaiting_parent(sessions: Database, now: dt.datetime | None = None) -> list[AwaitingParent]:
    """Every confiscated device still held, oldest first, with its appointment, the
    emails about it and whether it is unclaimed."""
    today = local_date(now_or(now))
    devices = console.confiscations_awaiting_parent(sessions)
    ids = [d.custody_id for d in devices]
    with sessions() as session:
        limit = unclaimed.limit_days(session)
        booked = _appointments(session, ids)
        emails = _email_counts(session, ids)
    return [
        AwaitingParent(
            device=d,
            appointment=booked.get(d.custody_id),
            days=d.age_days(today),
            unclaimed=is_unclaimed(d.age_days(today), limit),
            emails_sent=emails.get((d.custody_id, "sent"), 0),
            emails_failed=emails.get((d.custody_id, "failed"), 0),
        )
        for d in devices
    ]


def appointments_today(
    sessions: Database, now: dt.datetime | None = None
) -> list[TodaysAppointment]:
    """Today's (school-local) appointments for devices still held, earliest first."""
    today = local_date(now_or(now))
    with sessions() as session:
        rows = list(
            session.scalars(
                select(CollectionAppointment).where(CollectionAppointment.on_date == today)
            )
        )
    if not rows:
        return []
    held = {d.custody_id: d for d in console.confiscations_awaiting_parent(sessions)}
    found = [
        TodaysAppointment(held[row.custody_id], _appointment(row))
        for row in rows
        if row.custody_id in held
    ]
    return sorted(found, key=lambda t: t.appointment.at_time)
