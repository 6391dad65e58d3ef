"""Emergencies: an evacuation or an emergency release. A senior member of staff or an admin
(PIN) gets at once the list of every device held (pupil, form, slot: printed for the fire
marshal in one tap) and may record that all daily devices left the slots in an emergency,
with a reason, in one action. Each device so released waits for a member of staff to
confirm the pupil has it back; what was never confirmed is listed the day after (the
reconciliation). Confiscated devices are listed but stay in the school's custody."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kiosk.db import Database
from kiosk.errors import InvalidInput, NotHeld
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.services.common import PupilSummary, now_or, require, summarise
from kiosk.services.custody import devices_details, kinds_in, mark_released, record
from kiosk.tables import HELD, Custody, CustodyKind, CustodyState, Pupil, ReleasedTo, Slot

REASON_MAX = 200
EMERGENCY = "emergency"  # custodies.release_reason of an emergency release


@dataclass(frozen=True)
class ListedDevice:
    """One line of the emergency list."""

    custody_id: int
    pupil: PupilSummary
    slot_number: int | None
    kinds: tuple[str, ...]
    confiscated: bool
    since: dt.datetime  # naive UTC: received, or released in the emergency


@dataclass(frozen=True)
class EmergencyList:
    made_at: dt.datetime  # naive UTC
    made_by: str
    devices: tuple[ListedDevice, ...]

    @property
    def pupils(self) -> int:
        return len({d.pupil.id for d in self.devices})

    @property
    def device_count(self) -> int:
        """Devices, not lines: a phone and a watch in one slot are one line and two."""
        return sum(len(d.kinds) or 1 for d in self.devices)


def _listed(custody: Custody, since: dt.datetime) -> ListedDevice:
    return ListedDevice(
        custody_id=custody.id,
        pupil=summarise(custody.pupil),
        slot_number=custody.slot.number if custody.slot else None,
        kinds=kinds_in(custody),
        confiscated=custody.kind == CustodyKind.CONFISCATION,
        since=since,
    )


def _custodies(session: Session, state: str) -> list[Custody]:
    query = (
        select(Custody)
        .join(Pupil, Pupil.id == Custody.pupil_id)
        .outerjoin(Slot, Slot.id == Custody.slot_id)
        .where(Custody.state == state)
        .options(
            selectinload(Custody.items), selectinload(Custody.pupil), selectinload(Custody.slot)
        )
        .order_by(
            Pupil.year_group, Pupil.reg_group, Pupil.surname, Pupil.legal_forename, Slot.number
        )
    )
    return list(session.scalars(query))


def held_list(sessions: Database, actor: Actor, now: dt.datetime | None = None) -> EmergencyList:
    """Every device held now, by form and name; recorded, as it names every pupil."""
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.EMERGENCY)
        devices = tuple(_listed(c, c.received_at) for c in _custodies(session, HELD))
        listing = EmergencyList(now, actor.name, devices)
        details = {"devices": listing.device_count}
        audit.append(session, EventKind.EMERGENCY_LIST, actor, at=now, details=details)
        return listing


def release_all(
    sessions: Database, actor: Actor, reason: str, now: dt.datetime | None = None
) -> int:
    """Record that every held daily device left its slot in an emergency; how many. The
    devices' records change in one batch, then each gets its event: a big school's
    release must end well within the console's deadline."""
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("Say what the emergency is (a reason).")
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"Keep the reason under {REASON_MAX} characters.")
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.EMERGENCY)
        daily = [c for c in _custodies(session, HELD) if c.kind == CustodyKind.DAILY]
        audit.append(
            session,
            EventKind.EMERGENCY_RELEASE,
            actor,
            at=now,
            details={"reason": reason, "devices": sum(len(kinds_in(c)) for c in daily)},
        )
        details = [{"reason": reason, **(devices_details(c) or {})} for c in daily]
        for custody in daily:
            mark_released(custody, actor, now, ReleasedTo.PUPIL, CustodyState.EMERGENCY_RELEASED)
            custody.release_reason, custody.release_note = EMERGENCY, reason
        session.flush()  # one batch of updates, not one flush per event
        for custody, said in zip(daily, details, strict=True):
            record(session, EventKind.RELEASED_IN_EMERGENCY, actor, custody, now, said)
        return len(daily)


def not_given_back(sessions: Database) -> list[ListedDevice]:
    """The reconciliation: devices released in an emergency that no one has yet confirmed
    are back with their pupil (the oldest emergency first within each form)."""
    with sessions() as session:
        found = _custodies(session, CustodyState.EMERGENCY_RELEASED.value)
        return [_listed(c, c.released_at or c.received_at) for c in found]


def confirm_given_back(
    sessions: Database,
    actor: Actor,
    custody_ids: Collection[int],
    now: dt.datetime | None = None,
) -> int:
    """Staff confirm these pupils have their devices back after an emergency release."""
    now = now_or(now)
    with sessions.begin() as session:
        require(session, actor, Action.COLLECT)
        done = 0
        for custody_id in dict.fromkeys(custody_ids):
            custody = session.get(Custody, custody_id, with_for_update=True)
            if custody is None or custody.state != CustodyState.EMERGENCY_RELEASED:
                raise NotHeld("That device is not waiting after an emergency.")
            custody.state = CustodyState.RELEASED.value
            record(session, EventKind.GIVEN_BACK_AFTER_EMERGENCY, actor, custody, now)
            done += 1
        return done
