"""Which of a pupil's contacts (from the MIS, ``kiosk.services.contacts``) the letters and
appointments use: the letter goes to every contact with parental responsibility who has an
email address, except one marked "do not release to" (a court order may forbid contact:
the DSL decides how they are told, never an automatic email); a collection appointment
may name a contact who may collect, never a barred one; its reminder goes to that contact."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from kiosk.errors import InvalidInput
from kiosk.services import mail
from kiosk.services.contacts import ContactRow, for_pupil_in
from kiosk.tables import CollectionAppointment


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    contact_id: int | None


def _recipient(contact: ContactRow) -> Recipient | None:
    email = (contact.email or "").strip()
    return Recipient(contact.name, email, contact.contact_id) if mail.is_address(email) else None


def letter_recipients(session: Session, pupil_id: int) -> list[Recipient]:
    """Contacts with parental responsibility and a usable email address, not barred, in
    priority order, each address once (two parents sharing one address get one email)."""
    found: dict[str, Recipient] = {}
    for contact in for_pupil_in(session, pupil_id):
        wanted = contact.parental_responsibility and not contact.do_not_release
        recipient = _recipient(contact) if wanted else None
        if recipient is not None:
            found.setdefault(recipient.email.lower(), recipient)
    return list(found.values())


def collecting_contact(session: Session, pupil_id: int, contact_id: int) -> str:
    """The name of the contact who will collect, if they may; else InvalidInput in words."""
    contact = next((c for c in for_pupil_in(session, pupil_id) if c.contact_id == contact_id), None)
    if contact is None:
        raise InvalidInput("That person is not one of this pupil's contacts.")
    if contact.do_not_release:
        raise InvalidInput(
            f"{contact.describe()} is marked 'do not release to': the device cannot be given "
            "to them. See the DSL."
        )
    if not contact.may_collect:
        raise InvalidInput(
            f"{contact.describe()} is not recorded as allowed to collect. Choose a contact who "
            "may, or type the name of the person coming."
        )
    return contact.name


def reminder_recipient(
    session: Session, pupil_id: int, appointment: CollectionAppointment
) -> Recipient | None:
    """The contact named in the appointment, if they have an email address and may still
    collect (the MIS may have changed since)."""
    if appointment.contact_id is None:
        return None
    for contact in for_pupil_in(session, pupil_id):
        if contact.contact_id == appointment.contact_id and contact.may_receive_device:
            return _recipient(contact)
    return None
