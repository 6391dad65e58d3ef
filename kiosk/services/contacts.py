"""A pupil's contacts from the MIS, as the release and the letters to parents read them.
The import that writes them is ``contacts_import``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.tables import Contact, PupilContact


@dataclass(frozen=True)
class ContactRow:
    contact_id: int
    name: str
    relationship: str
    priority: int  # 1 = first to call
    parental_responsibility: bool
    may_collect: bool
    do_not_release: bool
    email: str | None
    telephone: str | None

    @property
    def may_receive_device(self) -> bool:
        return self.may_collect and not self.do_not_release

    def describe(self) -> str:
        return f"{self.name} ({self.relationship})"


def for_pupil_in(session: Session, pupil_id: int) -> list[ContactRow]:
    rows = session.execute(
        select(PupilContact, Contact)
        .join(Contact, Contact.id == PupilContact.contact_id)
        .where(PupilContact.pupil_id == pupil_id)
        .order_by(PupilContact.priority, Contact.name, Contact.id)
    )
    return [
        ContactRow(
            contact_id=contact.id,
            name=contact.name,
            relationship=link.relationship,
            priority=link.priority,
            parental_responsibility=link.parental_responsibility,
            may_collect=link.may_collect,
            do_not_release=link.do_not_release,
            email=contact.email,
            telephone=contact.telephone,
        )
        for link, contact in rows
    ]


def for_pupil(sessions: Database, pupil_id: int) -> list[ContactRow]:
    """The pupil's contacts in priority order (1 first), barred ones included: callers
    decide (a letter goes to those with parental responsibility, a release is refused to
    one marked "do not release to")."""
    with sessions() as session:
        return for_pupil_in(session, pupil_id)


def forget_pupils(session: Session, pupil_ids: Sequence[int]) -> None:
    """A purged pupil's contacts go with their record (inside the purge's transaction); a
    contact no other pupil keeps goes too."""
    session.execute(delete(PupilContact).where(PupilContact.pupil_id.in_(pupil_ids)))
    session.execute(delete(Contact).where(~exists().where(PupilContact.contact_id == Contact.id)))


@dataclass(frozen=True)
class ReleaseChoices:
    """Who may take a pupil's confiscated device home, as the release screen offers it."""

    contacts: list[ContactRow]  # priority order, barred ones included (shown as barred)
    keeps_contacts: bool  # the school imports contacts: anyone else needs a senior's PIN

    @property
    def may_collect(self) -> list[ContactRow]:
        return [c for c in self.contacts if c.may_receive_device]


def keeps_contacts(session: Session) -> bool:
    """Whether the school keeps contacts (has imported them): then there is a list."""
    return bool(session.scalar(select(exists().where(PupilContact.pupil_id.is_not(None)))))


def release_choices(sessions: Database, pupil_id: int) -> ReleaseChoices:
    with sessions() as session:
        return ReleaseChoices(for_pupil_in(session, pupil_id), keeps_contacts(session))
