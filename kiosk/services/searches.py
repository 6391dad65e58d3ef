"""Search records read: the governors' and Ofsted's counts of searches by outcome, the
console's list, and one record with its check against the audit log. (Writing them:
kiosk.services.search_records.)"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from kiosk.db import Database
from kiosk.errors import InvalidInput, NotAuthorised
from kiosk.rules import Action, may
from kiosk.services import search_records
from kiosk.services.audit import Actor
from kiosk.services.common import (
    SUMMARY_COLUMNS,
    PupilSummary,
    get_pupil,
    require,
    summarise,
    summary_of,
)
from kiosk.tables import (
    AuditEvent,
    Confiscation,
    Custody,
    DataOutcome,
    ItemOutcome,
    Pupil,
    SearchItem,
    SearchRecord,
    SearchStatus,
)

ITEM_OUTCOME_WORDS = {
    ItemOutcome.KEPT.value: "kept by the school",
    ItemOutcome.RETURNED.value: "returned",
    ItemOutcome.POLICE.value: "handed to the police",
    ItemOutcome.DISPOSED.value: "disposed of",
}


def current_finals() -> Any:
    """SQL: the final search records no later version corrects (one per search)."""
    corrected = select(SearchRecord.supersedes_id).where(SearchRecord.supersedes_id.is_not(None))
    return (
        SearchRecord.status == SearchStatus.FINAL.value,
        SearchRecord.id.not_in(corrected),
    )


@dataclass(frozen=True)
class SearchOutcomes:
    """Searches recorded (final, latest versions) with their time of search in a period."""

    searches: int = 0
    nothing_found: int = 0
    something_found: int = 0
    items: dict[str, int] = field(default_factory=dict)  # by ItemOutcome value
    with_consent: int = 0
    devices_examined: int = 0
    do_not_examine: int = 0  # suspected indecent images: left for the DSL and police
    data_kept_as_evidence: int = 0
    data_erased: int = 0
    dsl_informed: int = 0
    parents_informed: int = 0
    drafts_open: int = 0  # started in the period, not yet recorded by a senior


def outcome_counts(sessions: Database, start: dt.datetime, end: dt.datetime) -> SearchOutcomes:
    """Counts of the searches made from ``start`` up to (not including) ``end`` (stored
    times: naive UTC, as ``ReportFilter.starts``/``ends`` give them)."""
    in_period = (SearchRecord.searched_at >= start, SearchRecord.searched_at < end)
    with sessions.read() as session:
        row = session.execute(
            select(
                func.count(),
                _count(SearchRecord.found_nothing),
                _count(SearchRecord.consent),
                _count(SearchRecord.examined),
                _count(SearchRecord.do_not_examine),
                _count(SearchRecord.data_outcome == DataOutcome.KEPT_AS_EVIDENCE.value),
                _count(SearchRecord.data_outcome == DataOutcome.ERASED.value),
                _count(SearchRecord.dsl_informed_at.is_not(None)),
                _count(SearchRecord.parents_informed_at.is_not(None)),
            ).where(*current_finals(), *in_period)
        ).one()
        items = session.execute(
            select(SearchItem.outcome, func.count())
            .join(SearchRecord, SearchRecord.id == SearchItem.record_id)
            .where(*current_finals(), *in_period)
            .group_by(SearchItem.outcome)
        ).all()
        drafts = session.scalar(
            select(func.count()).where(
                SearchRecord.status == SearchStatus.DRAFT.value,
                SearchRecord.created_at >= start,
                SearchRecord.created_at < end,
            )
        )
    searches, nothing, consent, examined, dne, kept, erased, dsl, parents = (
        int(v or 0) for v in row
    )
    return SearchOutcomes(
        searches=searches,
        nothing_found=nothing,
        something_found=searches - nothing,
        items={outcome: 0 for outcome in ITEM_OUTCOME_WORDS} | {o: int(n) for o, n in items},
        with_consent=consent,
        devices_examined=examined,
        do_not_examine=dne,
        data_kept_as_evidence=kept,
        data_erased=erased,
        dsl_informed=dsl,
        parents_informed=parents,
        drafts_open=int(drafts or 0),
    )


def _count(condition: Any) -> Any:
    return func.count().filter(condition)


# -- the console's list and one record ---------------------------------------------------------


class Check(StrEnum):
    """A final record against the content digest the audit log holds for it."""

    MATCHES = "matches the audit log"
    CHANGED = "CHANGED since it was recorded: it no longer matches the audit log"
    NOT_LOGGED = "NOT in the audit log: it was not recorded through the kiosk"
    DRAFT = "draft: not yet recorded"


@dataclass(frozen=True)
class SearchRow:
    id: int
    series_id: int
    version: int
    status: str
    pupil: PupilSummary
    searched_at: dt.datetime | None
    place: str
    found: str  # in words: "nothing found", "2 items"
    check: Check

    @property
    def is_draft(self) -> bool:
        return self.status == SearchStatus.DRAFT.value


@dataclass(frozen=True)
class SearchList:
    rows: list[SearchRow]
    # recorded searches whose row is gone (the audit log names them): deleted by SQL
    missing_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class SearchDetail:
    info: search_records.SearchInfo
    pupil: PupilSummary
    check: Check
    versions: tuple[int, ...]  # the ids of the series, oldest first


def search_list(sessions: Database, actor: Actor) -> SearchList:
    """Senior staff: every search (its latest version) and every open draft. Office staff:
    their own drafts."""
    with sessions.read() as session:
        staff = require(session, actor, Action.DRAFT_SEARCH)
        senior = may(staff.role, Action.RECORD_SEARCH)
        drafts = SearchRecord.status == SearchStatus.DRAFT.value
        shown = or_(and_(*current_finals()), drafts) if senior else drafts
        query = (
            select(SearchRecord, *SUMMARY_COLUMNS)
            .options(selectinload(SearchRecord.items))
            .join(Pupil, Pupil.id == SearchRecord.pupil_id)
            .where(shown, Pupil.purged_at.is_(None))
            .order_by(SearchRecord.searched_at.desc(), SearchRecord.id.desc())
        )
        if not senior:
            query = query.where(SearchRecord.created_by_id == staff.id)
        found = session.execute(query).all()
        logged = all_logged(session) if senior else {}
        rows = [_row(r[0], summary_of(r), _check(r[0], logged)) for r in found]
        present = set(session.scalars(select(SearchRecord.id).where(SearchRecord.id.in_(logged))))
        return SearchList(rows, tuple(sorted(set(logged) - present)))


def search_detail(sessions: Database, actor: Actor, record_id: int) -> SearchDetail:
    """One record (any version); office staff see only their own open drafts."""
    with sessions.read() as session:
        staff = require(session, actor, Action.DRAFT_SEARCH)
        row = session.get(SearchRecord, record_id)
        if row is None:
            raise InvalidInput("That search record was not found.")
        if not may(staff.role, Action.RECORD_SEARCH) and not (
            row.status == SearchStatus.DRAFT.value and row.created_by_id == staff.id
        ):
            raise NotAuthorised("Only senior staff may read a recorded search.")
        versions = session.scalars(
            select(SearchRecord.id)
            .where(SearchRecord.series_id == row.series_id)
            .order_by(SearchRecord.version)
        ).all()
        logged = search_records.logged_digests(session, {row.pupil_id})
        return SearchDetail(
            info=search_records.info_of(session, row),
            pupil=summarise(get_pupil(session, row.pupil_id)),
            check=_check(row, logged),
            versions=tuple(versions),
        )


def all_logged(session: Session) -> dict[int, str]:
    pupils = select(AuditEvent.pupil_id).where(AuditEvent.kind.in_(search_records.FINAL_KINDS))
    return search_records.logged_digests(session, set(session.scalars(pupils)))


def _check(row: SearchRecord, logged: dict[int, str]) -> Check:
    if row.status == SearchStatus.DRAFT.value:
        return Check.CHANGED if row.id in logged else Check.DRAFT  # a record made a draft
    if row.id not in logged:
        return Check.NOT_LOGGED
    if logged[row.id] != search_records.content_digest(row):
        return Check.CHANGED
    return Check.MATCHES


def _row(row: SearchRecord, pupil: PupilSummary, check: Check) -> SearchRow:
    count = len(row.items)
    found = "nothing found" if row.found_nothing else f"{count} item{'s' * (count != 1)}"
    return SearchRow(
        id=row.id,
        series_id=row.series_id or row.id,
        version=row.version,
        status=row.status,
        pupil=pupil,
        searched_at=row.searched_at,
        place=row.place or "",
        found=found if (row.found_nothing or count) else "not said yet",
        check=check,
    )


@dataclass(frozen=True)
class LinkableConfiscation:
    """A pupil's confiscation a search record may be linked to."""

    custody_id: int
    received_at: dt.datetime
    reason: str
    do_not_examine: bool


def confiscations_of(sessions: Database, pupil_id: int) -> list[LinkableConfiscation]:
    """The pupil's confiscations, newest first (a search often follows one)."""
    with sessions.read() as session:
        rows = session.execute(
            select(
                Custody.id,
                Custody.received_at,
                Confiscation.reason_category,
                Confiscation.do_not_examine,
            )
            .join(Confiscation, Confiscation.custody_id == Custody.id)
            .where(Custody.pupil_id == pupil_id)
            .order_by(Custody.received_at.desc())
            .limit(20)
        ).all()
    return [LinkableConfiscation(*row) for row in rows]
