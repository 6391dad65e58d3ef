"""Small pieces every service uses: the authorisation check and the plain result types."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from kiosk.clock import utcnow
from kiosk.errors import NotAuthorised, UnknownPupil
from kiosk.rules import Action, is_locked, may
from kiosk.services.audit import Actor
from kiosk.tables import Pupil, Staff


def require(session: Session, actor: Actor, action: Action) -> Staff:
    """The staff member behind ``actor`` if they may do ``action`` now; else NotAuthorised.
    Checked against the database, so a stale or forged Actor gains nothing."""
    staff = session.get(Staff, actor.id) if actor.id is not None else None
    if staff is None or not staff.active or is_locked(staff.locked_until, utcnow()):
        raise NotAuthorised("Please log in as a member of staff.")
    if not may(staff.role, action):
        raise NotAuthorised("Your role does not allow this. Please ask a senior member of staff.")
    return staff


@dataclass(frozen=True)
class PupilSummary:
    id: int
    forename: str  # preferred forename, what the pupil is called
    surname: str
    year_group: int
    reg_group: str
    admission_number: str
    has_photo: bool

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
        surname=pupil.surname,
        year_group=pupil.year_group,
        reg_group=pupil.reg_group,
        admission_number=pupil.admission_number,
        has_photo=bool(has_photo),
    )


def get_pupil(session: Session, pupil_id: int) -> Pupil:
    pupil = session.get(Pupil, pupil_id)
    if pupil is None or pupil.purged_at is not None:
        raise UnknownPupil()
    return pupil


def now_or(now: dt.datetime | None) -> dt.datetime:
    return (now or utcnow()).replace(tzinfo=None)
