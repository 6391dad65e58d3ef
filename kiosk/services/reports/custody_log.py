"""The custody log: one row a device handed in or confiscated, with its whole story."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func
from sqlalchemy.orm import Session, aliased

from kiosk.clock import LocalClock
from kiosk.services.reports.fields import (
    Field,
    Lookup,
    columns,
    joined_select,
    lean_select,
    read_lookups,
)
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

_PUPIL = Lookup(Pupil, Custody.pupil_id, inner=True)
_SLOT = Lookup(Slot, Custody.slot_id)
_RECEIVED_BY, _RELEASED_BY = aliased(Staff), aliased(Staff)
_RECEIVER = Lookup(_RECEIVED_BY, Custody.received_by_id)
_RELEASER = Lookup(_RELEASED_BY, Custody.released_by_id)
_FORENAME = func.coalesce(Pupil.preferred_forename, Pupil.legal_forename)

# The columns, in order. ``custody_rows`` turns the values into what the reports show.
CUSTODY_FIELDS: tuple[Field, ...] = (
    Field(Column("Record", "int", 8), Custody.id),
    Field(Column("Admission no.", "text", 13, free_text=True), Pupil.admission_number, _PUPIL),
    Field(Column("Surname", "text", 18, free_text=True), Pupil.surname, _PUPIL),
    Field(Column("Forename", "text", 14, free_text=True), _FORENAME, _PUPIL),
    Field(Column("Year", "int", 6), Pupil.year_group, _PUPIL),
    Field(Column("Form", "text", 7, free_text=True), Pupil.reg_group, _PUPIL),
    Field(Column("Kind", "text", 12), Custody.kind),
    Field(Column("Outcome", "text", 16), Custody.state),
    Field(Column("Slot", "int", 6), Slot.number, _SLOT),
    Field(Column(f"Received ({ZONE_NAME})", "datetime", 20), raw_time(Custody.received_at)),
    Field(Column("Received by", "text", 18, free_text=True), _RECEIVED_BY.name, _RECEIVER),
    Field(Column(f"Released ({ZONE_NAME})", "datetime", 20), raw_time(Custody.released_at)),
    Field(Column("Released by", "text", 18, free_text=True), _RELEASED_BY.name, _RELEASER),
    Field(Column("Released to", "text", 14), Custody.released_to),
    Field(Column("Released to (name)", "text", 22, free_text=True), Custody.released_to_name),
    Field(Column("Relationship", "text", 13, free_text=True), Custody.released_to_relationship),
    Field(Column("ID seen", "bool", 8), Custody.id_seen),
    Field(Column("Kept overnight on", "date", 12), Custody.keep_overnight_on),
    Field(Column("Reason", "text", 20, free_text=True), Confiscation.reason_category),
    Field(Column("Referred to DSL", "bool", 9), Confiscation.dsl_referred_at.is_not(None)),
)
CUSTODY_COLUMNS = columns(CUSTODY_FIELDS)
OUTCOME_WORDS = {
    CustodyState.HELD.value: "Held",
    CustodyState.RELEASED.value: "Given back",
    CustodyState.HANDED_TO_POLICE.value: "Handed to police",
    CustodyState.CANCELLED.value: "Hand-in undone",
}
RELEASED_TO_WORDS = {ReleasedTo.PUPIL.value: "Pupil", ReleasedTo.PARENT.value: "Parent/carer"}
SELF_SERVICE = "Kiosk (self-service)"


def _in_period(query: Select[Any], which: ReportFilter) -> Select[Any]:
    query = query.outerjoin(Confiscation, Confiscation.custody_id == Custody.id)
    return query.where(Custody.received_at >= which.starts, Custody.received_at < which.ends)


def custody_query(which: ReportFilter, safe: TextGuard = as_is) -> Select[Any]:
    query = _in_period(joined_select(CUSTODY_FIELDS, safe), which)
    return pupil_filters(query, which).order_by(Custody.received_at, Custody.id)


def lean_custody_query(which: ReportFilter, safe: TextGuard = as_is) -> Select[Any]:
    """``custody_query`` with the pupil, slot and staff columns left as their ids (for a
    log not filtered by pupil): ``joined_custody_rows`` looks them up."""
    query = _in_period(lean_select(CUSTODY_FIELDS, safe), which)
    if which.custody_kind:
        query = query.where(Custody.kind == which.custody_kind)
    return query.order_by(Custody.received_at, Custody.id)


@dataclass(frozen=True)
class CustodyLookups:
    """What ``custody_query`` joins, by id (small tables: pupils, slots, staff)."""

    pupils: dict[Any, tuple[Any, ...]]
    slots: dict[Any, Any]
    receivers: dict[Any, Any]
    releasers: dict[Any, Any]

    @classmethod
    def read(cls, session: Session, safe: TextGuard) -> CustodyLookups:
        return cls(*read_lookups(session.connection(), CUSTODY_FIELDS, safe))


def joined_custody_rows(rows: Iterator[Any], lookups: CustodyLookups) -> Iterator[Any]:
    """``lean_custody_query``'s rows as ``custody_query`` gives them: the inner join to
    pupils drops a custody whose pupil is missing, the outer joins give None."""
    pupil_of, slot_of = lookups.pupils.get, lookups.slots.get
    receiver_of, releaser_of = lookups.receivers.get, lookups.releasers.get
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
                receiver_of(by_in),
                released,
                releaser_of(by_out),
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
