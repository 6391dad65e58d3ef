"""Who may take a confiscated device home: the pupil's contacts from the MIS who may
collect. Someone else needs a senior member of staff's PIN and a reason; a contact marked
"do not release to" (a court order) is refused, also when their name is typed. Schools that
have not imported contacts release to a named person whose ID was seen, as before.

The checks only: ``confiscation.release_to_parent`` calls them inside its transaction."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy.orm import Session

from kiosk.errors import InvalidInput, NotAuthorised
from kiosk.rules import Action
from kiosk.services.audit import Actor
from kiosk.services.common import require
from kiosk.services.contacts import ContactRow, for_pupil_in, keeps_contacts

REASON_MAX = 200
_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "rev", "sir", "dame", "lady", "lord"}


class NotOnContactList(InvalidInput):
    """The person is not among the pupil's contacts who may collect: a senior member of
    staff's PIN and a reason are needed."""


class ContactBarred(InvalidInput):
    """The person is marked "do not release to" for this pupil: no one may override it."""

    def __init__(self, contact: ContactRow) -> None:
        super().__init__(
            f"Do not release to {contact.name}: the school's records mark them 'do not "
            "release to' for this pupil (a court order or a safeguarding decision). Keep the "
            "device and tell the Designated Safeguarding Lead."
        )
        self.contact_id = contact.contact_id


@dataclass(frozen=True)
class SeniorApproval:
    """A senior member of staff's say-so for a release to someone not on the list: their
    PIN (checked, and throttled, as at the log-in) and why."""

    staff_id: int
    pin: str
    terminal: str  # where the PIN was typed (the kiosk's name), for the PIN throttle
    reason: str

    def checked_reason(self) -> str:
        reason = " ".join(self.reason.split())
        if not reason:
            raise InvalidInput("Give the reason for releasing to someone not on the list.")
        if len(reason) > REASON_MAX:
            raise InvalidInput(f"Keep the reason under {REASON_MAX} characters.")
        return reason


@dataclass(frozen=True)
class Collector:
    """Who the device goes to, once checked."""

    name: str
    relationship: str
    contact_id: int | None  # one of the pupil's contacts who may collect
    listed: bool | None  # None: the school keeps no contacts, so there is no list


def name_key(name: str) -> tuple[str, ...]:
    """A name as words to compare (accents, punctuation, titles and case aside; first and
    last word, in either order): "Mr Darragh O'Brien" and "obrien darragh" are one."""
    plain = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    words = [w for w in re.sub(r"[^a-z\s-]", "", plain).replace("-", " ").split()]
    words = [w for w in words if w not in _TITLES]
    return tuple(sorted({words[0], words[-1]})) if words else ()


def collector(
    session: Session,
    pupil_id: int,
    name: str,
    relationship: str,
    contact_id: int | None,
) -> Collector:
    """The person checked against the pupil's contacts. Raises ContactBarred for a contact
    marked "do not release to" (chosen, or typed by name) and InvalidInput for a contact
    id that is not this pupil's."""
    rows = for_pupil_in(session, pupil_id)
    if contact_id is not None:
        chosen = next((c for c in rows if c.contact_id == contact_id), None)
        if chosen is None:
            raise InvalidInput("That person is not one of this pupil's contacts.")
    else:
        typed = name_key(name)
        chosen = next((c for c in rows if typed and name_key(c.name) == typed), None)
    if chosen is not None and chosen.do_not_release:
        raise ContactBarred(chosen)
    if chosen is not None and chosen.may_collect:
        return Collector(chosen.name, chosen.relationship, chosen.contact_id, True)
    if not keeps_contacts(session):
        return Collector(name, relationship, None, None)
    return Collector(name, relationship, None, False)


def not_listed_words(name: str, pupil_forename: str) -> str:
    return (
        f"{name} is not one of {pupil_forename}'s contacts who may collect. A senior member "
        "of staff must authorise this release with their PIN and a reason."
    )


def approver_allowed(session: Session, approver: Actor) -> None:
    try:
        require(session, approver, Action.AUTHORISE_UNLISTED_RELEASE)
    except NotAuthorised as exc:
        raise NotAuthorised(
            "Only a senior member of staff can authorise a release to someone not on the list."
        ) from exc
