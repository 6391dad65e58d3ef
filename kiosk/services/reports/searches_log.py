"""The search records as a log for the CSV and XLSX exports: one row per search (its latest
version), with every column the DfE guidance asks a school to record."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kiosk.clock import to_local
from kiosk.db import Database
from kiosk.services import search_records
from kiosk.services.reports.cells import Column
from kiosk.services.reports.filter import LogTable, ReportFilter, pupil_filters
from kiosk.services.searches import ITEM_OUTCOME_WORDS, all_logged, current_finals
from kiosk.tables import Pupil, SearchRecord, Staff

TITLE = "Search records"
DATA_WORDS = {"none": "neither kept nor erased", "kept_as_evidence": "kept as evidence"}
DATA_WORDS["erased"] = "erased"

_TIME = "(school time)"
COLUMNS = (
    Column("Record no.", "int", 9),
    Column("Version", "int", 8),
    Column("Pupil", "text", 24, free_text=True),
    Column("Admission no.", "text", 12),
    Column("Year", "int", 6),
    Column("Form", "text", 7),
    Column(f"Searched at {_TIME}", "datetime", 18),
    Column("Place", "text", 20, free_text=True),
    Column("Authorised by", "text", 20, free_text=True),
    Column("Searched by", "text", 20, free_text=True),
    Column("Witness", "text", 20, free_text=True),
    Column("Searcher same sex as pupil", "bool", 10),
    Column("Why not the same sex", "text", 30, free_text=True),
    Column("With consent", "bool", 8),
    Column("Grounds", "text", 40, free_text=True),
    Column("Looked for", "text", 24, free_text=True),
    Column("What was searched", "text", 30, free_text=True),
    Column("Found", "text", 30, free_text=True),
    Column("What happened to each item", "text", 40, free_text=True),
    Column("Do not examine (suspected indecent image)", "bool", 10),
    Column("Device data examined", "bool", 9),
    Column("Examined by", "text", 20, free_text=True),
    Column("Good reason to examine", "text", 40, free_text=True),
    Column("Data", "text", 20),
    Column(f"DSL informed at {_TIME}", "datetime", 18),
    Column("DSL informed by", "text", 20, free_text=True),
    Column(f"Parents informed at {_TIME}", "datetime", 18),
    Column("Parents informed how", "text", 20, free_text=True),
    Column("Confiscation no.", "int", 10),
    Column("Started by", "text", 18),
    Column("Recorded by", "text", 18),
    Column(f"Recorded at {_TIME}", "datetime", 18),
    Column("Correction reason", "text", 30, free_text=True),
    Column("Check against the audit log", "text", 24),
)


def searches_table(sessions: Database, which: ReportFilter) -> LogTable:
    """The searches made in the filter's period (and year group or form), oldest first."""
    with sessions.read() as session:
        logged = all_logged(session)
        staff = {i: n for i, n in session.execute(select(Staff.id, Staff.name))}
        rows = [_cells(r, p, logged, staff) for r, p in _records(session, which)]
    return LogTable(TITLE, COLUMNS, len(rows), iter(rows))


def _records(session: Session, which: ReportFilter) -> list[tuple[SearchRecord, Pupil]]:
    query = (
        select(SearchRecord, Pupil)
        .options(selectinload(SearchRecord.items))
        .join(Pupil, Pupil.id == SearchRecord.pupil_id)
        .where(
            *current_finals(),
            SearchRecord.searched_at >= which.starts,
            SearchRecord.searched_at < which.ends,
        )
        .order_by(SearchRecord.searched_at, SearchRecord.id)
    )
    filtered = pupil_filters(cast(Any, query), _without_kind(which))
    return [(row[0], row[1]) for row in session.execute(filtered)]


def _without_kind(which: ReportFilter) -> ReportFilter:
    """The custody kind filter says nothing about searches."""
    return ReportFilter(which.date_from, which.date_to, which.year_group, which.reg_group)


def _cells(
    r: SearchRecord, pupil: Pupil, logged: dict[int, str], names: dict[int, str]
) -> tuple[Any, ...]:
    check = "matches" if logged.get(r.id) == search_records.content_digest(r) else "DOES NOT MATCH"
    return (
        r.series_id,
        r.version,
        pupil.display_name,
        pupil.admission_number,
        pupil.year_group,
        pupil.reg_group,
        _time(r.searched_at),
        r.place,
        r.authorised_by,
        r.searched_by,
        r.witness,
        r.same_sex,
        r.not_same_sex_reason,
        r.consent,
        r.grounds,
        r.sought,
        r.searched_what,
        "Nothing found" if r.found_nothing else "; ".join(i.description for i in r.items),
        "; ".join(f"{i.description}: {ITEM_OUTCOME_WORDS[i.outcome]}" for i in r.items) or None,
        r.do_not_examine,
        r.examined,
        r.examined_by,
        r.examination_reason,
        DATA_WORDS.get(r.data_outcome, r.data_outcome) if r.examined else None,
        _time(r.dsl_informed_at),
        r.dsl_informed_by,
        _time(r.parents_informed_at),
        r.parents_informed_how,
        r.custody_id,
        names.get(r.created_by_id),
        names.get(r.finalised_by_id) if r.finalised_by_id else None,
        _time(r.finalised_at),
        r.correction_reason,
        check,
    )


def _time(value: dt.datetime | None) -> str | None:
    return None if value is None else f"{to_local(value):%Y-%m-%d %H:%M:%S}"
