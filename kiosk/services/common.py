"""Small pieces every service uses: the authorisation check, the plain result types and
an audit event's details read back."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import BindParameter, ColumnElement, Row, bindparam, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from kiosk.clock import utcnow
from kiosk.errors import NotAuthorised, PupilNotActive, UnknownPupil
from kiosk.rules import Action, may, who_may
from kiosk.services.audit import Actor
from kiosk.tables import DayOut, Pupil, Staff


def require(session: Session, actor: Actor, action: Action) -> Staff:
    """The staff member behind ``actor`` if they may do ``action`` now; else NotAuthorised.
    Checked against the database, so a stale or forged Actor gains nothing. A lock after
    wrong PINs stops new log-ins only: it never ends a session already open (else anyone
    could end a colleague's work by typing wrong PINs for them)."""
    return _allowed(session.get(Staff, actor.id) if actor.id is not None else None, action)


def require_on(conn: Connection, actor: Actor, action: Action) -> None:
    """``require`` for the hot paths that run on a Core connection."""
    _allowed(
        conn.execute(_STAFF_ACCESS, {"id": actor.id}).first() if actor.id is not None else None,
        action,
    )


class _StaffAccess(Protocol):
    @property
    def role(self) -> str: ...
    @property
    def active(self) -> bool: ...


StaffT = TypeVar("StaffT", bound=_StaffAccess)


def _allowed(staff: StaffT | None, action: Action) -> StaffT:
    if staff is None or not staff.active:
        raise NotAuthorised("Please log in as a member of staff.")
    if not may(staff.role, action):
        raise NotAuthorised(f"Your role does not allow this: it needs {who_may(action)}.")
    return staff


_STAFF_ACCESS = select(Staff.role, Staff.active).where(Staff.id == bindparam("id"))


@dataclass(frozen=True)
class PupilSummary:
    id: int
    forename: str  # preferred forename, what the pupil is called
    surname: str
    year_group: int
    reg_group: str
    admission_number: str
    has_photo: bool
    # the pupil's usual devices as stored (kiosk.devices.decode); read with the pupil at a
    # scan so the morning stays one lookup, None elsewhere (and for one phone)
    usual_devices: str | None = None

    @property
    def display_name(self) -> str:
        return f"{self.forename} {self.surname}"

    @property
    def screen_name(self) -> str:
        """Least data for the pupil-facing screen: forename and initial."""
        return f"{self.forename} {self.surname[:1]}."


def summarise(pupil: Pupil, has_photo: bool | None = None) -> PupilSummary:
    return PupilSummary(
        id=pupil.id,
        forename=pupil.display_forename,
        surname=pupil.display_surname,
        year_group=pupil.year_group,
        reg_group=pupil.reg_group,
        admission_number=pupil.admission_number,
        has_photo=bool(has_photo),
    )


AnyRow = Row[*tuple[Any, ...]]

# A PupilSummary read as part of a row (no ORM object): screens list many pupils, and a
# scan needs one at once.
SUMMARY_COLUMNS = (
    Pupil.id.label("pupil_id"),
    Pupil.preferred_forename,
    Pupil.legal_forename,
    func.coalesce(Pupil.preferred_surname, Pupil.surname).label("surname"),
    Pupil.year_group,
    Pupil.reg_group,
    Pupil.admission_number,
    Pupil.photo.is_not(None).label("has_photo"),
)
# ...and with what decides whether the pupil may use the kiosk (see usable_summary).
USABLE_PUPIL_COLUMNS = (*SUMMARY_COLUMNS, Pupil.active, Pupil.purged_at, Pupil.usual_devices)
_USABLE_PUPIL = select(*USABLE_PUPIL_COLUMNS).where(Pupil.id == bindparam("pupil_id"))


def summary_of(row: AnyRow, usual_devices: str | None = None) -> PupilSummary:
    return PupilSummary(
        id=row.pupil_id,
        forename=row.preferred_forename or row.legal_forename,
        surname=row.surname,
        year_group=row.year_group,
        reg_group=row.reg_group,
        admission_number=row.admission_number,
        has_photo=bool(row.has_photo),
        usual_devices=usual_devices,
    )


def usable_summary(row: AnyRow | None) -> PupilSummary:
    """The summary of a row of USABLE_PUPIL_COLUMNS, if that pupil may use the kiosk."""
    if row is None or row.purged_at is not None:
        raise UnknownPupil()
    if not row.active:
        raise PupilNotActive()
    return summary_of(row, row.usual_devices or None)


def active_pupil_summary(conn: Connection, pupil_id: int) -> PupilSummary:
    return usable_summary(conn.execute(_USABLE_PUPIL, {"pupil_id": pupil_id}).first())


def get_pupil(session: Session, pupil_id: int) -> Pupil:
    pupil = session.get(Pupil, pupil_id)
    if pupil is None or pupil.purged_at is not None:
        raise UnknownPupil()
    return pupil


def now_or(now: dt.datetime | None) -> dt.datetime:
    return (now or utcnow()).replace(tzinfo=None)


def event_details(text: str) -> dict[str, Any]:
    """An audit event's details as a dict; anything else (not JSON, or not an object) is
    read as no details."""
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def out_since(start: dt.datetime | BindParameter[dt.datetime]) -> tuple[ColumnElement[bool], ...]:
    """SQL conditions: a day out that began at or after ``start`` (today's start) and is not
    back yet. The one statement of "still out", for the list, its tile and the hand-in."""
    return (DayOut.back_at.is_(None), DayOut.out_at >= start)
