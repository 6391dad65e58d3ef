"""Confiscated devices: taken from a pupil, kept in a reserved slot, and released only to a
parent or carer (or handed to the police); senior staff alone release one referred to the
DSL. One function per staff action, each one transaction with its audit event."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.errors import InvalidInput
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit, escalation, staff
from kiosk.services.allocation import free_slot, retry_on_conflict
from kiosk.services.audit import Actor
from kiosk.services.common import get_pupil, now_or, require
from kiosk.services.custody import CustodyInfo, held_custody, info_of, mark_released, record
from kiosk.services.release_to_contact import (
    Collector,
    ContactBarred,
    NotOnContactList,
    SeniorApproval,
    approver_allowed,
    collector,
    not_listed_words,
)
from kiosk.tables import (
    HELD,
    Confiscation,
    Custody,
    CustodyItem,
    CustodyKind,
    CustodyState,
    ReleasedTo,
)

REASON_CATEGORIES = (
    "used in lesson",
    "not handed in",
    "misuse / filming",
    "bullying or harassment",
    "inappropriate content",
    "suspected offence",
    "other",
)


def confiscate(
    sessions: Database,
    actor: Actor,
    pupil_id: int,
    reason_category: str,
    note: str = "",
    *,
    do_not_examine: bool = False,
    slot_number: int | None = None,
    description: str = "",
    switched_off: bool = True,
    release_condition: str | None = None,
    condition_reason: str = "",
    now: dt.datetime | None = None,
) -> CustodyInfo:
    """Record a confiscation and put the device in a slot (reserved ones first). Its
    release condition is the escalation ladder's for the pupil's count this term, unless
    ``release_condition`` differs, which needs ``condition_reason`` (both recorded)."""
    if reason_category not in REASON_CATEGORIES:
        raise InvalidInput("Please choose a reason.")
    now = now_or(now)

    def attempt() -> CustodyInfo:
        with sessions.begin() as session:
            require(session, actor, Action.CONFISCATE)
            pupil = get_pupil(session, pupil_id)
            standing = escalation.standing_in(session, pupil.id, now)
            given = escalation.choose(standing, release_condition, condition_reason)
            slot = free_slot(session.connection(), confiscation=True, wanted=slot_number)
            custody = Custody(
                pupil_id=pupil.id,
                slot_id=slot.id,
                kind=CustodyKind.CONFISCATION.value,
                state=HELD,
                received_at=now,
                received_by_id=actor.id,
                description=description.strip() or None,
                switched_off_confirmed=switched_off,
            )
            custody.confiscation = Confiscation(
                reason_category=reason_category,
                note=note.strip() or None,
                do_not_examine=do_not_examine,
                dsl_referred_at=now if do_not_examine else None,
                dsl_referred_by_id=actor.id if do_not_examine else None,
                term_step=standing.step,
                release_condition=given.condition.value,
                condition_note=given.differs_because,
            )
            # one item, so every custody lists its devices (the description says what)
            custody.items = [
                CustodyItem(kind="phone", description=description.strip()[:80] or None)
            ]
            session.add(custody)
            session.flush()
            audit.append(
                session,
                EventKind.CONFISCATED,
                actor,
                pupil_id=pupil.id,
                slot_number=slot.number,
                custody_id=custody.id,
                at=now,
                details={
                    "reason": reason_category,
                    "note": note.strip(),
                    "do_not_examine": do_not_examine,
                    "description": description.strip(),
                    "switched_off": switched_off,
                    **_ladder_details(standing, given),
                },
            )
            return info_of(session, custody)

    return retry_on_conflict(attempt)


def _ladder_details(standing: escalation.Standing, given: escalation.Choice) -> dict[str, object]:
    details: dict[str, object] = {
        "term_step": standing.step,
        "term_starts": standing.term.starts.isoformat(),
        "rule": standing.rule.value,
        "release_condition": given.condition.value,
    }
    if given.differs_because is not None:
        details["differs_from_rule_because"] = given.differs_because
    return details


def release_to_parent(
    sessions: Database,
    actor: Actor,
    custody_id: int,
    name: str,
    relationship: str,
    id_seen: bool,
    now: dt.datetime | None = None,
    *,
    contact_id: int | None = None,
    id_document: str = "",
    approval: SeniorApproval | None = None,
) -> CustodyInfo:
    """Release a confiscated device to a parent or carer whose ID was seen: one of the
    pupil's contacts who may collect (``contact_id``, or the name typed), else with a
    senior member of staff's ``approval``. A contact marked "do not release to" is refused
    whatever the approval, and the refusal is recorded."""
    name, relationship = " ".join(name.split()), " ".join(relationship.split())
    id_document = " ".join(id_document.split())[:60]
    if contact_id is None and (not name or not relationship):
        raise InvalidInput("Enter the parent or carer's name and relationship.")
    if not id_seen:
        raise InvalidInput("Check the parent or carer's ID before releasing the device.")
    reason = approval.checked_reason() if approval else ""
    approver = _approver(sessions, approval)
    now = now_or(now)
    try:
        with sessions.begin() as session:
            require(session, actor, Action.RELEASE_TO_PARENT)
            custody = held_custody(session, custody_id)
            if custody.confiscation and custody.confiscation.dsl_referred_at:
                require(session, actor, Action.RELEASE_DSL_REFERRED)
            who = collector(session, custody.pupil_id, name, relationship, contact_id)
            if who.listed is False and approver is None:
                raise NotOnContactList(not_listed_words(who.name, custody.pupil.display_forename))
            if who.listed is False and approver is not None:
                approver_allowed(session, approver)
            return _release(session, actor, custody, who, id_document, approver, reason, now)
    except ContactBarred as barred:
        _record_refusal(sessions, actor, custody_id, barred.contact_id, now)
        raise


def _approver(sessions: Database, approval: SeniorApproval | None) -> Actor | None:
    """The senior member of staff behind ``approval``, their PIN checked (and throttled)
    as at a log-in, before the release's transaction."""
    if approval is None:
        return None
    member = staff.check_pin(sessions, approval.staff_id, approval.pin, terminal=approval.terminal)
    return member.actor


def _release(
    session: Session,
    actor: Actor,
    custody: Custody,
    who: Collector,
    id_document: str,
    approver: Actor | None,
    reason: str,
    now: dt.datetime,
) -> CustodyInfo:
    mark_released(custody, actor, now, ReleasedTo.PARENT)
    custody.released_to_name, custody.released_to_relationship = who.name, who.relationship
    custody.id_seen, custody.id_seen_as = True, id_document or None
    custody.released_to_listed = who.listed
    if who.listed is False and approver is not None:
        custody.release_authorised_by_id, custody.release_note = approver.id, reason
        record(
            session,
            EventKind.RELEASE_AUTHORISED,
            approver,
            custody,
            now,
            details={"authorised_by": approver.id, "for": actor.id, "reason": reason},
        )
    info = info_of(session, custody)
    details: dict[str, object] = {
        "name": who.name,
        "relationship": who.relationship,
        "id_seen": True,
        "id_seen_as": id_document,
        "contact_id": who.contact_id,
        "listed": who.listed,
    }
    record(session, EventKind.RELEASED_TO_PARENT, actor, custody, now, details=details)
    return info


def _record_refusal(
    sessions: Database, actor: Actor, custody_id: int, contact_id: int, now: dt.datetime
) -> None:
    """A refused release to a barred contact stays in the log (the contact by id only: no
    name, nothing of the court order)."""
    with sessions.begin() as session:
        custody = held_custody(session, custody_id)
        details = {"contact_id": contact_id}
        record(session, EventKind.RELEASE_REFUSED_BARRED, actor, custody, now, details=details)


def refer_to_dsl(
    sessions: Database, actor: Actor, custody_id: int, note: str, now: dt.datetime | None = None
) -> None:
    """Flag a held confiscated device for the DSL: only senior staff may release it now."""
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.REFER_TO_DSL)
        custody = held_custody(session, custody_id)
        if custody.confiscation is None:
            raise InvalidInput("Only a confiscated device can be referred to the DSL.")
        custody.confiscation.dsl_referred_at = now
        custody.confiscation.dsl_referred_by_id = actor.id
        custody.confiscation.dsl_note = note.strip() or None
        record(
            session, EventKind.REFERRED_TO_DSL, actor, custody, now, details={"note": note.strip()}
        )


def hand_to_police(
    sessions: Database,
    actor: Actor,
    custody_id: int,
    officer: str,
    officer_number: str,
    reference: str,
    at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Record a hand-over to the police. ``at`` is when it happened (staff may record it
    afterwards); the audit event carries the time it was recorded, so the log's times never
    run backwards, with the hand-over time in its details."""
    officer, officer_number, reference = officer.strip(), officer_number.strip(), reference.strip()
    if not (officer and officer_number and reference):
        raise InvalidInput("Enter the officer's name, number and the police reference.")
    now = now_or(now)
    at = now_or(at or now)
    if at > now + dt.timedelta(minutes=5):
        raise InvalidInput("The hand-over time is in the future.")
    with sessions.begin() as session:
        require(session, actor, Action.HAND_TO_POLICE)
        custody = held_custody(session, custody_id)
        if custody.confiscation is None:
            raise InvalidInput("Only a confiscated device can be handed to the police.")
        details = {
            "officer": officer,
            "officer_number": officer_number,
            "reference": reference,
            "handed_over_at": at.isoformat(timespec="seconds"),
        }
        c = custody.confiscation
        c.police_officer, c.police_number, c.police_reference, c.police_at = (
            officer,
            officer_number,
            reference,
            at,
        )
        mark_released(custody, actor, at, ReleasedTo.PARENT, CustodyState.HANDED_TO_POLICE)
        custody.released_to = None
        custody.released_to_name = f"{officer} ({officer_number})"
        custody.released_to_relationship = "police"
        record(session, EventKind.HANDED_TO_POLICE, actor, custody, now, details=details)
