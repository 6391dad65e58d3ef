"""What the staff console shows: read-only queries returning plain dataclasses (and named
tuples for the slot map's many slots).

Each query is a handful of indexed SELECTs in one session (no per-row lazy loads), so the
dashboard of a 1,500-pupil school with a year of history opens well inside 200 ms.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import BindParameter, Select, bindparam, func, select
from sqlalchemy.orm import Session, aliased

from kiosk.clock import local_date, start_of_local_day, to_local, utcnow
from kiosk.db import Database
from kiosk.services import exemptions, settings
from kiosk.services.common import (
    SUMMARY_COLUMNS,
    AnyRow,
    PupilSummary,
    now_or,
    out_since,
    summary_of,
)
from kiosk.services.settings import parse_time
from kiosk.tables import (
    HELD,
    Confiscation,
    Custody,
    CustodyKind,
    CustodyState,
    Exemption,
    Pupil,
    Slot,
    Staff,
)

DAILY = CustodyKind.DAILY.value
CONFISCATION = CustodyKind.CONFISCATION.value

FREE, OUT_OF_SERVICE, TO_CHECK = "free", "out_of_service", "to_check"


# -- result types ----------------------------------------------------------------------------


class SlotState(NamedTuple):
    """One slot as the map shows it. A named tuple, not a frozen dataclass: a dashboard
    refresh makes one per slot (1,540 in the benchmark year), and a frozen dataclass's
    ``__init__`` (one ``object.__setattr__`` a field) took 2 ms of its ~8 ms CPU."""

    number: int
    cabinet: str
    label: str | None
    in_service: bool
    reserved_for_confiscation: bool
    custody_id: int | None = None
    kind: str | None = None  # daily / confiscation while a device is held
    pupil_name: str | None = None
    reg_group: str | None = None
    since: dt.datetime | None = None  # naive UTC
    check_needed: bool = False  # a hand-in to it was undone: staff check it is empty

    @property
    def state(self) -> str:
        """free, daily, confiscation, out_of_service or to_check (what the map colours)."""
        if self.kind is not None:
            return self.kind
        if not self.in_service:
            return OUT_OF_SERVICE
        return TO_CHECK if self.check_needed else FREE


@dataclass(frozen=True)
class HeldDevice:
    custody_id: int
    pupil: PupilSummary
    kind: str
    slot_number: int | None
    received_at: dt.datetime  # naive UTC
    received_by: str | None  # staff name; None when handed in at the kiosk
    description: str | None
    keep_overnight_on: dt.date | None
    reason_category: str | None = None  # confiscations only
    do_not_examine: bool = False
    dsl_referred: bool = False
    term_step: int | None = None  # the escalation ladder (confiscations since it began)
    release_condition: str | None = None

    @property
    def is_confiscation(self) -> bool:
        return self.kind == CONFISCATION

    def age_days(self, today: dt.date) -> int:
        """Whole school-local days since it was received (0 = today)."""
        return (today - local_date(self.received_at)).days

    def kept_overnight(self, today: dt.date) -> bool:
        return self.keep_overnight_on == today


@dataclass(frozen=True)
class Dashboard:
    today: dt.date
    held_today: int
    held_overnight: int
    confiscations: int
    expected_not_in: int
    exemptions: int
    slots: tuple[SlotState, ...]
    # When hand-in opens later today: until then "expected" means due, not missing.
    handin_opens_later: dt.time | None = None
    out_now: int = 0  # pupils out of school during the day, not back yet (day_outs)
    emergency_not_back: int = 0  # released in an emergency, not confirmed back yet

    @property
    def free_slots(self) -> int:
        return sum(1 for s in self.slots if s.state == FREE)


@dataclass(frozen=True)
class Reconciliation:
    """End of day: everything still held, and which of it is recorded as staying tonight."""

    today: dt.date
    devices: tuple[HeldDevice, ...]

    @property
    def kept(self) -> int:
        return sum(1 for d in self.devices if d.kept_overnight(self.today))

    @property
    def undecided(self) -> tuple[HeldDevice, ...]:
        return tuple(d for d in self.devices if not d.kept_overnight(self.today))


@dataclass(frozen=True)
class FreeSlot:
    number: int
    cabinet: str
    reserved_for_confiscation: bool


# -- shared query pieces ------------------------------------------------------------------

AnySelect = Select[*tuple[Any, ...]]


def _today(now: dt.datetime | None) -> tuple[dt.date, dt.datetime, dt.datetime]:
    """School-local today and its naive-UTC start and end."""
    today = local_date(now_or(now))
    return today, start_of_local_day(today), start_of_local_day(today + dt.timedelta(days=1))


def _held_query() -> AnySelect:
    received_by = aliased(Staff)
    return (
        select(
            Custody.id.label("custody_id"),
            Custody.kind,
            Custody.received_at,
            Custody.description,
            Custody.keep_overnight_on,
            Slot.number.label("slot_number"),
            received_by.name.label("received_by"),
            Confiscation.reason_category,
            Confiscation.do_not_examine,
            Confiscation.dsl_referred_at,
            Confiscation.term_step,
            Confiscation.release_condition,
            *SUMMARY_COLUMNS,
        )
        .join(Pupil, Pupil.id == Custody.pupil_id)
        .outerjoin(Slot, Slot.id == Custody.slot_id)
        .outerjoin(received_by, received_by.id == Custody.received_by_id)
        .outerjoin(Confiscation, Confiscation.custody_id == Custody.id)
        .where(Custody.state == HELD)
        .order_by(Custody.received_at, Custody.id)
    )


def _held_device(row: AnyRow) -> HeldDevice:
    return HeldDevice(
        custody_id=row.custody_id,
        pupil=summary_of(row),
        kind=row.kind,
        slot_number=row.slot_number,
        received_at=row.received_at,
        received_by=row.received_by,
        description=row.description,
        keep_overnight_on=row.keep_overnight_on,
        reason_category=row.reason_category,
        do_not_examine=bool(row.do_not_examine),
        dsl_referred=row.dsl_referred_at is not None,
        term_step=row.term_step,
        release_condition=row.release_condition,
    )


def _held(session: Session, *conditions: Any) -> list[HeldDevice]:
    return [_held_device(row) for row in session.execute(_held_query().where(*conditions))]


Day = dt.date | BindParameter[dt.date]
Moment = dt.datetime | BindParameter[dt.datetime]


def _expected_query(today: Day, start: Moment, end: Moment) -> AnySelect:
    handed_in_today = select(Custody.pupil_id).where(
        Custody.received_at >= start,
        Custody.received_at < end,
        Custody.kind == DAILY,
        Custody.state != CustodyState.CANCELLED.value,
    )
    # A device still here (kept overnight, or confiscated) cannot be handed in again.
    still_held = select(Custody.pupil_id).where(Custody.state == HELD)
    exempt = select(Exemption.pupil_id).where(*exemptions.applies_on(today))
    return select(*SUMMARY_COLUMNS).where(
        Pupil.active.is_(True),
        Pupil.brings_device.is_(True),
        Pupil.purged_at.is_(None),
        Pupil.id.not_in(handed_in_today),
        Pupil.id.not_in(still_held),
        Pupil.id.not_in(exempt),
    )


def _slot_states(session: Session) -> tuple[SlotState, ...]:
    """Every slot with the device it holds, if any: one pass over the slots, the held
    custody found through the unique index on held slots. Rows are read by position and
    nothing else is loaded: with 1,500 slots this is the dashboard's biggest read."""
    query = (
        select(
            Slot.number,
            Slot.cabinet,
            Slot.label,
            Slot.in_service,
            Slot.reserved_for_confiscation,
            Custody.id,
            Custody.kind,
            Pupil.preferred_forename,
            Pupil.legal_forename,
            Pupil.surname,
            Pupil.reg_group,
            Custody.received_at,
            Slot.check_needed_since,
        )
        .outerjoin(Custody, (Custody.slot_id == Slot.id) & (Custody.state == HELD))
        .outerjoin(Pupil, Pupil.id == Custody.pupil_id)
        .order_by(Slot.number)
    )
    states = []
    # On the session's connection: Core rows, without the ORM's per-row pass (~0.5 us a
    # row), fetched at once (iterating a Core result fetches one row a call).
    for row in session.connection().execute(query).all():
        number, cabinet, label, in_service, reserved, custody_id, kind = row[:7]
        preferred, legal, surname, reg_group, since, check_needed_since = row[7:]
        states.append(
            SlotState(
                number,
                cabinet,
                label,
                in_service,
                reserved,
                custody_id,
                kind,
                f"{preferred or legal} {surname}" if custody_id is not None else None,
                reg_group,
                since,
                check_needed_since is not None,
            )
        )
    return tuple(states)


def _tile_counts(today: Day, start: Moment, end: Moment) -> AnySelect:
    """The tiles' counts as one SELECT of scalar subqueries: one round trip a refresh, where
    a query a tile cost ~0.1 ms of SQLAlchemy each."""
    held = Custody.state == HELD
    counts = (
        select(func.count()).where(held, Custody.kind == DAILY, Custody.received_at >= start),
        select(func.count()).where(held, Custody.kind == DAILY, Custody.received_at < start),
        select(func.count()).where(held, Custody.kind == CONFISCATION),
        select(func.count()).select_from(_expected_query(today, start, end).subquery()),
        select(func.count(func.distinct(Exemption.pupil_id))).where(*exemptions.applies_on(today)),
        select(func.count()).where(*out_since(start)),
        select(func.count()).where(Custody.state == CustodyState.EMERGENCY_RELEASED.value),
    )
    return select(*(count.scalar_subquery() for count in counts))


# Built once (building it took ~0.5 ms a refresh): today's date and its start and end.
_TILE_COUNTS = _tile_counts(bindparam("today"), bindparam("start"), bindparam("end"))


# -- the queries ----------------------------------------------------------------------------


def dashboard(sessions: Database, now: dt.datetime | None = None) -> Dashboard:
    """Counts for the tiles and the state of every slot, in one read."""
    today, start, end = _today(now)
    with sessions() as session:
        day = {"today": today, "start": start, "end": end}
        counts = session.execute(_TILE_COUNTS, day).one()
        held_today, held_overnight, confiscations, expected, exempt, out_now, emergency = counts
        opens = parse_time(settings.get_value(session, "handin_opens"))
        local_now = to_local(now or utcnow()).time()
        return Dashboard(
            handin_opens_later=opens if local_now < opens else None,
            today=today,
            held_today=held_today,
            held_overnight=held_overnight,
            confiscations=confiscations,
            expected_not_in=expected,
            exemptions=exempt,
            slots=_slot_states(session),
            out_now=out_now,
            emergency_not_back=emergency,
        )


def slot_map(sessions: Database) -> tuple[SlotState, ...]:
    with sessions() as session:
        return _slot_states(session)


def held_today(sessions: Database, now: dt.datetime | None = None) -> list[HeldDevice]:
    """Daily hand-ins received today and not yet given back."""
    _, start, _ = _today(now)
    with sessions() as session:
        return _held(session, Custody.kind == DAILY, Custody.received_at >= start)


def held_overnight(sessions: Database, now: dt.datetime | None = None) -> list[HeldDevice]:
    """Daily hand-ins from an earlier day that were never collected."""
    _, start, _ = _today(now)
    with sessions() as session:
        return _held(session, Custody.kind == DAILY, Custody.received_at < start)


def confiscations_awaiting_parent(sessions: Database) -> list[HeldDevice]:
    """Confiscated devices still held (oldest first); ``age_days`` gives their age."""
    with sessions() as session:
        return _held(session, Custody.kind == CONFISCATION)


def all_held(sessions: Database) -> list[HeldDevice]:
    with sessions() as session:
        return _held(session)


def held_for_pupil(sessions: Database, pupil_id: int) -> list[HeldDevice]:
    with sessions() as session:
        return _held(session, Custody.pupil_id == pupil_id)


def expected_not_handed_in(
    sessions: Database, now: dt.datetime | None = None
) -> list[PupilSummary]:
    """Active pupils flagged as bringing a device who have not handed one in today, have
    none still held, and have no exemption that applies today."""
    today, start, end = _today(now)
    query = _expected_query(today, start, end).order_by(
        Pupil.year_group, Pupil.reg_group, Pupil.surname, Pupil.legal_forename
    )
    with sessions() as session:
        return [summary_of(row) for row in session.execute(query)]


def end_of_day(sessions: Database, now: dt.datetime | None = None) -> Reconciliation:
    today, _, _ = _today(now)
    with sessions() as session:
        return Reconciliation(today=today, devices=tuple(_held(session)))


def free_slots(sessions: Database) -> list[FreeSlot]:
    """In-service slots holding nothing, reserved (confiscation) slots first."""
    occupied = select(Custody.slot_id).where(Custody.state == HELD, Custody.slot_id.is_not(None))
    query = (
        select(Slot.number, Slot.cabinet, Slot.reserved_for_confiscation)
        .where(
            Slot.in_service.is_(True),
            Slot.check_needed_since.is_(None),
            Slot.id.not_in(occupied),
        )
        .order_by(Slot.reserved_for_confiscation.desc(), Slot.number)
    )
    with sessions() as session:
        return [
            FreeSlot(r.number, r.cabinet, r.reserved_for_confiscation)
            for r in session.execute(query)
        ]
