"""The custody log: one row a device handed in or confiscated, with its whole story."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from kiosk.clock import local_date, utcnow
from kiosk.services import unclaimed
from kiosk.services.ladder import Condition
from kiosk.services.reports.fields import (
    DAY,
    FLAG,
    Field,
    Lookup,
    Shown,
    joined_select,
    lean_select,
    local_time,
    words,
)
from kiosk.services.reports.filter import Column, ReportFilter, TextGuard, as_is, pupil_filters
from kiosk.tables import (
    Confiscation,
    Custody,
    CustodyItem,
    CustodyKind,
    CustodyState,
    Pupil,
    ReleasedTo,
    Setting,
    Slot,
    Staff,
)

OUTCOME_WORDS = {
    CustodyState.HELD.value: "Held",
    CustodyState.RELEASED.value: "Given back",
    CustodyState.HANDED_TO_POLICE.value: "Handed to police",
    CustodyState.CANCELLED.value: "Hand-in undone",
    CustodyState.EMERGENCY_RELEASED.value: "Emergency: not confirmed back",
}
KIND_WORDS = {
    CustodyKind.DAILY.value: "Daily hand-in",
    CustodyKind.CONFISCATION.value: "Confiscation",
}
RELEASED_TO_WORDS = {ReleasedTo.PUPIL.value: "Pupil", ReleasedTo.PARENT.value: "Parent/carer"}
SELF_SERVICE = "Kiosk (self-service)"
CONDITION_WORDS = {condition.value: condition.short for condition in Condition}

_PUPIL = Lookup(Pupil, Custody.pupil_id, inner=True)
_SLOT = Lookup(Slot, Custody.slot_id)
_RECEIVED_BY, _RELEASED_BY, _AUTHORISED_BY = aliased(Staff), aliased(Staff), aliased(Staff)
_RECEIVER = Lookup(_RECEIVED_BY, Custody.received_by_id)
_RELEASER = Lookup(_RELEASED_BY, Custody.released_by_id)
_AUTHORISER = Lookup(_AUTHORISED_BY, Custody.release_authorised_by_id)
_FORENAME = func.coalesce(Pupil.preferred_forename, Pupil.legal_forename)
# The kinds of device in the record ("phone, watch"), one indexed look-up a row.
_DEVICE_KINDS = (
    select(func.aggregate_strings(CustodyItem.kind, ", "))
    .where(CustodyItem.custody_id == Custody.id)
    .correlate(Custody)
    .scalar_subquery()
)
_RELEASE_REASON = func.coalesce(
    Custody.release_reason + ": " + Custody.release_note, Custody.release_reason
)
_BY_KIOSK = Shown("{v} or {kiosk}", {"kiosk": SELF_SERVICE})
_RELEASED_BY_KIOSK = Shown("{v} or ({kiosk} if {released} else None)", {"kiosk": SELF_SERVICE})
_RELEASED_TO = Shown(
    "{police_words} if {state} == {police} else {words}.get({v} or '')",
    {
        "police": CustodyState.HANDED_TO_POLICE.value,
        "police_words": "Police",
        "words": RELEASED_TO_WORDS,
    },
)
_DSL = Shown(
    "({v} is True or {v} == 1) if {kind} == {confiscation} else None",
    {"confiscation": CustodyKind.CONFISCATION.value},
)
# A daily hand-in's flag (card-less, late); a confiscation has none.
_DAILY_FLAG = Shown(
    "({v} is True or {v} == 1) if {kind} != {confiscation} else None",
    {"confiscation": CustodyKind.CONFISCATION.value},
)


def _stored_time(value: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def _unclaimed_flag(limit: Any, received: Any, released: Any) -> bool:
    """A confiscation held the school's unclaimed limit in school-local days or more (to
    its release, or to now while it is held)."""
    end = _stored_time(released) if released is not None else utcnow()
    days = (local_date(end) - local_date(_stored_time(received))).days
    return unclaimed.is_unclaimed(days, int(limit or unclaimed.DEFAULT_DAYS))


_UNCLAIMED_LIMIT = select(Setting.value).where(Setting.key == unclaimed.SETTING).scalar_subquery()
# None for a daily hand-in, tested here: a call a row costs more than its check
_UNCLAIMED = Shown(
    "{flag}({v}, {received}, {released}) if {kind} == {confiscation} else None",
    {"flag": _unclaimed_flag, "confiscation": CustodyKind.CONFISCATION.value},
)

# The columns, in order, each with the value it reads and how that value is shown.
CUSTODY_FIELDS: tuple[Field, ...] = (
    Field(Column("Record", "int", 8), Custody.id),
    Field(Column("Admission no.", "text", 13, free_text=True), Pupil.admission_number, _PUPIL),
    Field(Column("Surname", "text", 18, free_text=True), Pupil.surname, _PUPIL),
    Field(Column("Forename", "text", 14, free_text=True), _FORENAME, _PUPIL),
    Field(Column("Year", "int", 6), Pupil.year_group, _PUPIL),
    Field(Column("Form", "text", 7, free_text=True), Pupil.reg_group, _PUPIL),
    Field(Column("Kind", "text", 14), Custody.kind, shown=words(KIND_WORDS), name="kind"),
    Field(Column("Outcome", "text", 16), Custody.state, shown=words(OUTCOME_WORDS), name="state"),
    Field(Column("Slot", "int", 6), Slot.number, _SLOT),
    local_time("Received", Custody.received_at, "received"),
    Field(
        Column("Received by", "text", 18, free_text=True),
        _RECEIVED_BY.name,
        _RECEIVER,
        shown=_BY_KIOSK,
    ),
    local_time("Released", Custody.released_at, "released"),
    Field(
        Column("Released by", "text", 18, free_text=True),
        _RELEASED_BY.name,
        _RELEASER,
        shown=_RELEASED_BY_KIOSK,
    ),
    Field(Column("Released to", "text", 14), Custody.released_to, shown=_RELEASED_TO),
    Field(Column("Released to (name)", "text", 22, free_text=True), Custody.released_to_name),
    Field(Column("Relationship", "text", 13, free_text=True), Custody.released_to_relationship),
    Field(Column("ID seen", "bool", 8), Custody.id_seen, shown=FLAG),
    Field(Column("Kept overnight on", "date", 12), Custody.keep_overnight_on, shown=DAY),
    Field(Column("Reason", "text", 20, free_text=True), Confiscation.reason_category),
    Field(
        Column("Referred to DSL", "bool", 9),
        Confiscation.dsl_referred_at.is_not(None),
        shown=_DSL,
    ),
    Field(Column("Devices", "text", 18), _DEVICE_KINDS),
    Field(Column("Release reason", "text", 24, free_text=True), _RELEASE_REASON),
    # issue 18: the ID document, and whether the person was one of the pupil's MIS contacts
    Field(Column("ID seen as", "text", 14, free_text=True), Custody.id_seen_as),
    Field(Column("On contact list", "bool", 9), Custody.released_to_listed, shown=FLAG),
    Field(
        Column("Release authorised by", "text", 18, free_text=True),
        _AUTHORISED_BY.name,
        _AUTHORISER,
    ),
    Field(Column("Card-less", "bool", 9), Custody.card_less, shown=_DAILY_FLAG),
    Field(Column("Late", "bool", 6), Custody.late, shown=_DAILY_FLAG),
    # the escalation ladder (confiscations recorded since it began)
    Field(Column("Step this term", "int", 8), Confiscation.term_step),
    Field(
        Column("Release condition", "text", 16),
        Confiscation.release_condition,
        shown=words(CONDITION_WORDS),
    ),
    Field(
        Column("Condition differs from rule because", "text", 24, free_text=True),
        Confiscation.condition_note,
    ),
    # issue 18: a confiscation nobody came for within the school's limit
    Field(Column("Unclaimed", "bool", 10), _UNCLAIMED_LIMIT, shown=_UNCLAIMED),
)


def _in_period(query: Select[Any], which: ReportFilter) -> Select[Any]:
    query = query.outerjoin(Confiscation, Confiscation.custody_id == Custody.id)
    return query.where(Custody.received_at >= which.starts, Custody.received_at < which.ends)


def custody_query(which: ReportFilter, safe: TextGuard = as_is) -> Select[Any]:
    query = _in_period(joined_select(CUSTODY_FIELDS, safe), which)
    return pupil_filters(query, which).order_by(Custody.received_at, Custody.id)


def lean_custody_query(which: ReportFilter, safe: TextGuard = as_is) -> Select[Any]:
    """``custody_query`` with the pupil, slot and staff columns left as their ids (for a
    log not filtered by pupil), to be looked up (``fields.read_lookups``)."""
    query = _in_period(lean_select(CUSTODY_FIELDS, safe), which)
    if which.custody_kind:
        query = query.where(Custody.kind == which.custody_kind)
    return query.order_by(Custody.received_at, Custody.id)
