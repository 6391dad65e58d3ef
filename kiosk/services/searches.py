"""Search records read for reports: the governors' and Ofsted's counts of searches by
outcome. (Writing them: kiosk.services.search_records.)"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from kiosk.db import Sessions
from kiosk.tables import DataOutcome, ItemOutcome, SearchItem, SearchRecord, SearchStatus

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


def outcome_counts(sessions: Sessions, start: dt.datetime, end: dt.datetime) -> SearchOutcomes:
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
