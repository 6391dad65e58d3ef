"""The custody log as a report: where its columns (``custody_columns``) are read from, and
its queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from kiosk.services import unclaimed
from kiosk.services.reports import custody_columns
from kiosk.services.reports.filter import ReportFilter, pupil_filters
from kiosk.services.reports.log_sql import LogSql
from kiosk.tables import Confiscation, Custody, CustodyItem, Pupil, Setting, Slot, Staff

_RECEIVED_BY, _RELEASED_BY, _AUTHORISED_BY = aliased(Staff), aliased(Staff), aliased(Staff)
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
# The school's unclaimed limit in days, its default where it has none.
_UNCLAIMED_LIMIT = func.coalesce(
    func.nullif(
        select(Setting.value).where(Setting.key == unclaimed.SETTING).scalar_subquery(), ""
    ),
    str(unclaimed.DEFAULT_DAYS),
)

# Where each of ``custody_columns.CUSTODY_FIELDS`` is read from, by name.
CUSTODY_SQL = LogSql(
    values={
        "id": Custody.id,
        "pupil_id": Custody.pupil_id,
        "admission_number": Pupil.admission_number,
        "surname": Pupil.surname,
        "forename": func.coalesce(Pupil.preferred_forename, Pupil.legal_forename),
        "year_group": Pupil.year_group,
        "reg_group": Pupil.reg_group,
        "kind": Custody.kind,
        "state": Custody.state,
        "slot_id": Custody.slot_id,
        "slot": Slot.number,
        "received": Custody.received_at,
        "received_by_id": Custody.received_by_id,
        "received_by": _RECEIVED_BY.name,
        "released": Custody.released_at,
        "released_by_id": Custody.released_by_id,
        "released_by": _RELEASED_BY.name,
        "released_to": Custody.released_to,
        "released_to_name": Custody.released_to_name,
        "relationship": Custody.released_to_relationship,
        "id_seen": Custody.id_seen,
        "keep_overnight_on": Custody.keep_overnight_on,
        "reason": Confiscation.reason_category,
        "dsl_referred": Confiscation.dsl_referred_at.is_not(None),
        "devices": _DEVICE_KINDS,
        "release_reason": _RELEASE_REASON,
        "id_seen_as": Custody.id_seen_as,
        "on_contact_list": Custody.released_to_listed,
        "release_authorised_by_id": Custody.release_authorised_by_id,
        "authorised_by": _AUTHORISED_BY.name,
        "card_less": Custody.card_less,
        "late": Custody.late,
        "term_step": Confiscation.term_step,
        "release_condition": Confiscation.release_condition,
        "condition_note": Confiscation.condition_note,
        "unclaimed": _UNCLAIMED_LIMIT,
    },
    tables={
        "pupil": Pupil,
        "slot": Slot,
        "receiver": _RECEIVED_BY,
        "releaser": _RELEASED_BY,
        "authoriser": _AUTHORISED_BY,
    },
).covers(custody_columns.CUSTODY_FIELDS)


Received = tuple[dt.datetime, dt.datetime]  # received from the first, before the second


def _in_period(query: Select[Any], received: Received) -> Select[Any]:
    query = query.outerjoin(Confiscation, Confiscation.custody_id == Custody.id)
    return query.where(Custody.received_at >= received[0], Custody.received_at < received[1])


def custody_query(which: ReportFilter, received: Received) -> Select[Any]:
    """The records ``which`` reports on received in ``received`` (the period's own bounds,
    or a part of them), in order."""
    query = CUSTODY_SQL.joined_select(custody_columns.CUSTODY_FIELDS)
    query = _in_period(query, received)
    return pupil_filters(query, which).order_by(Custody.received_at, Custody.id)


def lean_custody_query(which: ReportFilter, received: Received) -> Select[Any]:
    """``custody_query`` with the pupil, slot and staff columns left as their ids (for a
    log not filtered by pupil), to be looked up (``LogSql.read_lookups``)."""
    query = CUSTODY_SQL.lean_select(custody_columns.CUSTODY_FIELDS)
    query = _in_period(query, received)
    if which.custody_kind:
        query = query.where(Custody.kind == which.custody_kind)
    return query.order_by(Custody.received_at, Custody.id)
