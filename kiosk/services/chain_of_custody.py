"""One device's chain of custody: its record and every audit event about it in plain
words, as the devices tab shows it and a receipt prints it; and the audit event a printed
receipt owes the log (the device's details leave the system on paper)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from kiosk.db import Database
from kiosk.errors import InvalidInput, NotHeld
from kiosk.event_kinds import EventKind, event_words
from kiosk.record import lines
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.services.common import (
    SUMMARY_COLUMNS,
    PupilSummary,
    event_details,
    now_or,
    require,
    summary_of,
)
from kiosk.tables import AuditEvent, Confiscation, Custody, Pupil, Slot, Staff

RECEIPT_KINDS = ("release", "chain_of_custody")


@dataclass(frozen=True)
class CustodyEvent:
    seq: int
    at: dt.datetime  # naive UTC
    kind: str
    actor_name: str | None
    slot_number: int | None
    details: dict[str, Any]
    redacted: bool
    hash: str

    @property
    def words(self) -> str:
        return describe_event(self.kind, self.details, self.redacted)


@dataclass(frozen=True)
class CustodyRecord:
    """One device's record, as a receipt prints it."""

    id: int
    pupil: PupilSummary
    kind: str
    state: str
    slot_number: int | None
    description: str | None
    switched_off_confirmed: bool
    received_at: dt.datetime
    received_by: str | None
    released_at: dt.datetime | None
    released_by: str | None
    released_to: str | None
    released_to_name: str | None
    released_to_relationship: str | None
    id_seen: bool | None
    reason_category: str | None
    note: str | None
    do_not_examine: bool
    dsl_referred_at: dt.datetime | None
    police_officer: str | None
    police_number: str | None
    police_reference: str | None
    police_at: dt.datetime | None
    id_seen_as: str | None = None  # the document: "Driving licence"
    released_to_listed: bool | None = None  # one of the pupil's MIS contacts (None: no list)
    release_authorised_by: str | None = None  # the senior who allowed someone not listed
    release_reason: str | None = None  # ...and why


@dataclass(frozen=True)
class ChainOfCustody:
    custody: CustodyRecord
    events: tuple[CustodyEvent, ...]
    fingerprint: str | None = None  # the school audit fingerprint the log claims, as printed

    def last_event(self, kind: EventKind) -> CustodyEvent | None:
        found = [e for e in self.events if e.kind == kind]
        return found[-1] if found else None


def chain_of_custody(sessions: Database, custody_id: int) -> ChainOfCustody:
    """The device's record and every audit event about it, oldest first."""
    with sessions() as session:
        record = _custody_record(session, custody_id)
        events = tuple(
            CustodyEvent(
                seq=e.seq,
                at=e.at,
                kind=e.kind,
                actor_name=e.actor_name,
                slot_number=e.slot_number,
                details=event_details(e.details),
                redacted=e.redacted,
                hash=e.hash,
            )
            for e in session.scalars(
                select(AuditEvent)
                .where(AuditEvent.custody_id == custody_id)
                .order_by(AuditEvent.seq)
            )
        )
        fingerprint = lines.school_fingerprint(session.connection())
        return ChainOfCustody(record, events, fingerprint)


def _custody_record(session: Session, custody_id: int) -> CustodyRecord:
    received_by, released_by, authorised_by = aliased(Staff), aliased(Staff), aliased(Staff)
    row = session.execute(
        select(
            Custody,
            Slot.number.label("slot_number"),
            received_by.name.label("received_by"),
            released_by.name.label("released_by"),
            authorised_by.name.label("authorised_by"),
            Confiscation,
            *SUMMARY_COLUMNS,
        )
        .join(Pupil, Pupil.id == Custody.pupil_id)
        .outerjoin(Slot, Slot.id == Custody.slot_id)
        .outerjoin(received_by, received_by.id == Custody.received_by_id)
        .outerjoin(released_by, released_by.id == Custody.released_by_id)
        .outerjoin(authorised_by, authorised_by.id == Custody.release_authorised_by_id)
        .outerjoin(Confiscation, Confiscation.custody_id == Custody.id)
        .where(Custody.id == custody_id)
    ).first()
    if row is None:
        raise NotHeld("No such device record.")
    custody: Custody = row.Custody
    conf: Confiscation | None = row.Confiscation
    return CustodyRecord(
        id=custody.id,
        pupil=summary_of(row),
        kind=custody.kind,
        state=custody.state,
        slot_number=row.slot_number,
        description=custody.description,
        switched_off_confirmed=custody.switched_off_confirmed,
        received_at=custody.received_at,
        received_by=row.received_by,
        released_at=custody.released_at,
        released_by=row.released_by,
        released_to=custody.released_to,
        released_to_name=custody.released_to_name,
        released_to_relationship=custody.released_to_relationship,
        id_seen=custody.id_seen,
        reason_category=conf.reason_category if conf else None,
        note=conf.note if conf else None,
        do_not_examine=bool(conf and conf.do_not_examine),
        dsl_referred_at=conf.dsl_referred_at if conf else None,
        police_officer=conf.police_officer if conf else None,
        police_number=conf.police_number if conf else None,
        police_reference=conf.police_reference if conf else None,
        police_at=conf.police_at if conf else None,
        id_seen_as=custody.id_seen_as,
        released_to_listed=custody.released_to_listed,
        release_authorised_by=row.authorised_by,
        release_reason=custody.release_note if row.authorised_by else None,
    )


def _text(details: dict[str, Any], key: str) -> str:
    value = details.get(key)
    return "" if value is None else str(value).strip()


def describe_event(kind: str, details: dict[str, Any], redacted: bool = False) -> str:
    """Plain words for one audit event about a device (receipts and screens share them)."""
    words = event_words(kind)
    if redacted:
        return f"{words} (details removed under the retention policy)"
    extra = _event_extra(kind, details)
    return f"{words}: {extra}" if extra else words


def _event_extra(kind: str, d: dict[str, Any]) -> str:
    if kind == EventKind.CONFISCATED:
        parts = [_text(d, "reason"), _text(d, "note"), _text(d, "description")]
        if d.get("do_not_examine"):
            parts.append("do not examine content: referred to DSL")
        if d.get("switched_off") is False:
            parts.append("not confirmed switched off")
        return "; ".join(p for p in parts if p)
    if kind == EventKind.RELEASED_TO_PARENT:
        seen = "ID seen" if d.get("id_seen") else "ID NOT recorded as seen"
        if _text(d, "id_seen_as"):
            seen = f"{seen} ({_text(d, 'id_seen_as')})"
        listed = {True: ", on the contact list", False: ", not on the contact list"}
        on_list = listed.get(d["listed"], "") if isinstance(d.get("listed"), bool) else ""
        return f"{_text(d, 'name')} ({_text(d, 'relationship')}), {seen}{on_list}"
    if kind == EventKind.RELEASE_AUTHORISED:
        return _text(d, "reason")
    if kind == EventKind.RELEASE_REFUSED_BARRED:
        return f"contact #{_text(d, 'contact_id')}"
    if kind == EventKind.HANDED_TO_POLICE:
        return (
            f"officer {_text(d, 'officer')} ({_text(d, 'officer_number')}), "
            f"reference {_text(d, 'reference')}"
        )
    if kind == EventKind.MOVED:
        return f"slot {_text(d, 'from_slot')} to slot {_text(d, 'to_slot')}"
    if kind in (EventKind.REFERRED_TO_DSL, EventKind.KEPT_OVERNIGHT):
        return _text(d, "note") or _text(d, "reason")
    if kind == EventKind.RECEIPT_PRINTED:
        return _text(d, "receipt").replace("_", " ")
    return _day_extra(kind, d)


def _devices(d: dict[str, Any], key: str = "devices") -> str:
    value = d.get(key)
    return ", ".join(str(v) for v in value) if isinstance(value, list) else ""


def _day_extra(kind: str, d: dict[str, Any]) -> str:
    """Several devices, out and back during the day, emergencies (issue 17)."""
    if kind in (EventKind.HAND_IN, EventKind.COLLECTED):
        back = f"back from {_text(d, 'back_from')}" if d.get("back_from") else ""
        return "; ".join(p for p in (_devices(d), back) if p)
    if kind == EventKind.RELEASED_FOR_DAY_OUT:
        parts = [_text(d, "reason"), _text(d, "note"), _text(d, "group"), _devices(d)]
        return "; ".join(p for p in parts if p)
    if kind == EventKind.GIVEN_BACK_APART:
        return f"{_devices(d, 'given_back')}; {_text(d, 'reason')}"
    if kind == EventKind.RELEASED_IN_EMERGENCY:
        return "; ".join(p for p in (_text(d, "reason"), _devices(d)) if p)
    return ""


def record_receipt(
    sessions: Database, actor: Actor, custody_id: int, receipt: str, now: dt.datetime | None = None
) -> None:
    """Record that a receipt with this device's details was printed (it leaves the system)."""
    if receipt not in RECEIPT_KINDS:
        raise InvalidInput("Unknown kind of receipt.")
    with sessions.begin() as session:
        require(session, actor, Action.VIEW_CONSOLE)
        custody = session.get(Custody, custody_id)
        if custody is None:
            raise NotHeld("No such device record.")
        audit.append(
            session,
            EventKind.RECEIPT_PRINTED,
            actor,
            pupil_id=custody.pupil_id,
            custody_id=custody.id,
            at=now_or(now),
            details={"receipt": receipt},
        )
