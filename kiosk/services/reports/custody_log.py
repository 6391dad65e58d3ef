"""The custody log: one row a device handed in or confiscated, with its whole story."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from kiosk.clock import LocalClock
from kiosk.services.reports.filter import (
    ZONE_NAME,
    Column,
    ReportFilter,
    TextGuard,
    as_is,
    pupil_filters,
    raw_time,
)
from kiosk.tables import (
    Confiscation,
    Custody,
    CustodyKind,
    CustodyState,
    Pupil,
    ReleasedTo,
    Slot,
    Staff,
)

CUSTODY_COLUMNS: tuple[Column, ...] = (
    Column("Record", "int", 8),
    Column("Admission no.", "text", 13, free_text=True),
    Column("Surname", "text", 18, free_text=True),
    Column("Forename", "text", 14, free_text=True),
    Column("Year", "int", 6),
    Column("Form", "text", 7, free_text=True),
    Column("Kind", "text", 12),
    Column("Outcome", "text", 16),
    Column("Slot", "int", 6),
    Column(f"Received ({ZONE_NAME})", "datetime", 20),
    Column("Received by", "text", 18, free_text=True),
    Column(f"Released ({ZONE_NAME})", "datetime", 20),
    Column("Released by", "text", 18, free_text=True),
    Column("Released to", "text", 14),
    Column("Released to (name)", "text", 22, free_text=True),
    Column("Relationship", "text", 13, free_text=True),
    Column("ID seen", "bool", 8),
    Column("Kept overnight on", "date", 12),
    Column("Reason", "text", 20, free_text=True),
    Column("Referred to DSL", "bool", 9),
)
OUTCOME_WORDS = {
    CustodyState.HELD.value: "Held",
    CustodyState.RELEASED.value: "Given back",
    CustodyState.HANDED_TO_POLICE.value: "Handed to police",
    CustodyState.CANCELLED.value: "Hand-in undone",
}
RELEASED_TO_WORDS = {ReleasedTo.PUPIL.value: "Pupil", ReleasedTo.PARENT.value: "Parent/carer"}
SELF_SERVICE = "Kiosk (self-service)"


def custody_query(which: ReportFilter, safe: TextGuard = as_is) -> Select[Any]:
    received_by, released_by = aliased(Staff), aliased(Staff)
    query = (
        select(
            Custody.id,
            safe(Pupil.admission_number),
            safe(Pupil.surname),
            safe(func.coalesce(Pupil.preferred_forename, Pupil.legal_forename)),
            Pupil.year_group,
            safe(Pupil.reg_group),
            Custody.kind,
            Custody.state,
            Slot.number,
            raw_time(Custody.received_at),
            safe(received_by.name),
            raw_time(Custody.released_at),
            safe(released_by.name),
            Custody.released_to,
            safe(Custody.released_to_name),
            safe(Custody.released_to_relationship),
            Custody.id_seen,
            Custody.keep_overnight_on,
            safe(Confiscation.reason_category),
            Confiscation.dsl_referred_at.is_not(None),
        )
        .join(Pupil, Pupil.id == Custody.pupil_id)
        .outerjoin(Slot, Slot.id == Custody.slot_id)
        .outerjoin(received_by, received_by.id == Custody.received_by_id)
        .outerjoin(released_by, released_by.id == Custody.released_by_id)
        .outerjoin(Confiscation, Confiscation.custody_id == Custody.id)
        .where(Custody.received_at >= which.starts, Custody.received_at < which.ends)
    )
    return pupil_filters(query, which).order_by(Custody.received_at, Custody.id)


def lean_custody_query(which: ReportFilter, safe: TextGuard = as_is) -> Select[Any]:
    """``custody_query`` with the pupil, slot and staff columns left as their ids (for a
    log not filtered by pupil): ``joined_custody_rows`` looks them up in Python, which
    took half the time of joining them for every row."""
    query = (
        select(
            Custody.id,
            Custody.pupil_id,
            Custody.kind,
            Custody.state,
            Custody.slot_id,
            raw_time(Custody.received_at),
            Custody.received_by_id,
            raw_time(Custody.released_at),
            Custody.released_by_id,
            Custody.released_to,
            safe(Custody.released_to_name),
            safe(Custody.released_to_relationship),
            Custody.id_seen,
            Custody.keep_overnight_on,
            safe(Confiscation.reason_category),
            Confiscation.dsl_referred_at.is_not(None),
        )
        .outerjoin(Confiscation, Confiscation.custody_id == Custody.id)
        .where(Custody.received_at >= which.starts, Custody.received_at < which.ends)
    )
    if which.custody_kind:
        query = query.where(Custody.kind == which.custody_kind)
    return query.order_by(Custody.received_at, Custody.id)


@dataclass(frozen=True)
class CustodyLookups:
    """What ``custody_query`` joins, by id (small tables: pupils, slots, staff)."""

    pupils: dict[Any, tuple[Any, ...]]
    slots: dict[Any, Any]
    staff: dict[Any, Any]

    @classmethod
    def read(cls, session: Session, safe: TextGuard) -> CustodyLookups:
        connection = session.connection()
        forename = func.coalesce(Pupil.preferred_forename, Pupil.legal_forename)
        pupil_columns = (
            safe(Pupil.admission_number),
            safe(Pupil.surname),
            safe(forename),
            Pupil.year_group,
            safe(Pupil.reg_group),
        )
        pupils = connection.execute(select(Pupil.id, *pupil_columns))
        slots = connection.execute(select(Slot.id, Slot.number))
        staff = connection.execute(select(Staff.id, safe(Staff.name)))
        return cls(
            {row[0]: tuple(row[1:]) for row in pupils},
            {row[0]: row[1] for row in slots},
            {row[0]: row[1] for row in staff},
        )


def joined_custody_rows(rows: Iterator[Any], lookups: CustodyLookups) -> Iterator[Any]:
    """``lean_custody_query``'s rows as ``custody_query`` gives them: the inner join to
    pupils drops a custody whose pupil is missing, the outer joins give None."""
    pupil_of, slot_of, staff_of = lookups.pupils.get, lookups.slots.get, lookups.staff.get
    for cid, pupil_id, kind, state, slot_id, received, by_in, released, by_out, *rest in rows:
        pupil = pupil_of(pupil_id)
        if pupil is not None:
            yield (
                cid,
                *pupil,
                kind,
                state,
                slot_of(slot_id),
                received,
                staff_of(by_in),
                released,
                staff_of(by_out),
                *rest,
            )


_POLICE = CustodyState.HANDED_TO_POLICE.value
_CONFISCATION = CustodyKind.CONFISCATION.value


def _stored_day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if type(value) is str else value


def custody_rows(rows: Iterator[Any], clock: LocalClock) -> Iterator[tuple[Any, ...]]:
    """Rows as the reports show them, from SQLAlchemy rows or the DBAPI's own tuples (on
    SQLite: flags as 0/1 and days as text, turned into bool and date here)."""
    text = clock.text
    for row in rows:
        (cid, adm, surname, forename, year, form, kind, state, slot, received, by_in) = row[:11]
        (released, by_out, to, to_name, relationship, id_seen, overnight, reason, dsl) = row[11:]
        to_words = "Police" if state == _POLICE else RELEASED_TO_WORDS.get(to or "")
        yield (
            cid,
            adm,
            surname,
            forename,
            year,
            form,
            kind,
            OUTCOME_WORDS.get(state, state),
            slot,
            text(received),
            by_in or SELF_SERVICE,
            text(released),
            by_out or (SELF_SERVICE if released else None),
            to_words,
            to_name,
            relationship,
            None if id_seen is None else id_seen is True or id_seen == 1,
            None if overnight is None else _stored_day(overnight),
            reason,
            (dsl is True or dsl == 1) if kind == _CONFISCATION else None,
        )
