"""A search record goes into the CSV and XLSX exports whole, through the shared writers, and
only senior staff export them (the command line included)."""

import csv
import datetime as dt
import json

import openpyxl
import pytest
from cli_pins import pin_for
from sqlalchemy import select

from kiosk.__main__ import main
from kiosk.errors import NotAuthorised
from kiosk.exports.run import ExportRequest, run_export
from kiosk.services import search_records
from kiosk.services.reports.filter import ReportFilter
from kiosk.services.reports.searches_log import COLUMNS
from kiosk.services.search_form import FoundItem
from kiosk.tables import AuditEvent
from searching.forms import NOW, SEARCHED_AT, complete_form

WEEK = ReportFilter(dt.date(2026, 11, 16), dt.date(2026, 11, 22))
TITLES = [column.title for column in COLUMNS]


def _two_searches(school, sessions):
    senior = school.actors["senior"]
    items = (FoundItem('=HYPERLINK("http://x")', "disposed"), FoundItem("Phone", "returned"))
    found = complete_form(
        school.pupil_ids[0],
        items=items,
        same_sex=False,
        not_same_sex_reason="No male member of staff on site; urgent risk of harm",
        examined=True,
        examined_by="Mr Senior",
        examination_reason="Messages threatening another pupil",
    )
    first = search_records.record(sessions, senior, found, now=NOW)
    nothing = complete_form(school.pupil_ids[1], items=(), found_nothing=True, consent=False)
    second = search_records.record(sessions, senior, nothing, now=NOW)
    return first, second


def _by_column(row: list[object]) -> dict[str, object]:
    return dict(zip(TITLES, row, strict=True))


def test_a_search_record_round_trips_into_the_csv_export(school, sessions, data_dir):
    first, second = _two_searches(school, sessions)
    out = data_dir / "searches.csv"

    result = run_export(
        sessions, school.actors["senior"], ExportRequest("searches", "csv", WEEK), out
    )

    data = out.read_bytes()
    assert data.startswith("\ufeff".encode()) and b"\r\n" in data
    with out.open(encoding="utf-8-sig", newline="") as file:
        header, *rows = list(csv.reader(file))
    assert header == TITLES and result.rows == len(rows) == 2
    found, nothing = (_by_column(row) for row in rows)
    assert found["Record no."] == str(first.series_id) and found["Version"] == "1"
    assert found["Searched at (school time)"] == "2026-11-20 10:30:00"  # GMT in November
    assert found["Searcher same sex as pupil"] == "False"
    assert found["Why not the same sex"].startswith("No male member of staff")
    assert found["Found"] == '\'=HYPERLINK("http://x"); Phone'  # never a live formula
    assert found["What happened to each item"].endswith("Phone: returned")
    assert (found["Device data examined"], found["Data"]) == ("True", "neither kept nor erased")
    assert found["Good reason to examine"] == "Messages threatening another pupil"
    assert found["Check against the audit log"] == "matches"
    assert nothing["Record no."] == str(second.series_id)
    assert (nothing["Found"], nothing["With consent"]) == ("Nothing found", "False")
    assert nothing["DSL informed at (school time)"] == "2026-11-20 10:50:00"


def test_a_search_record_round_trips_into_the_xlsx_export(school, sessions, data_dir):
    _two_searches(school, sessions)
    out = data_dir / "searches.xlsx"

    run_export(sessions, school.actors["senior"], ExportRequest("searches", "xlsx", WEEK), out)

    book = openpyxl.load_workbook(out)
    header, *rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert list(header) == TITLES and len(rows) == 2
    found, nothing = (_by_column(list(row)) for row in rows)
    assert found["Searched at (school time)"] == SEARCHED_AT  # a real Excel date-time
    assert found["Searcher same sex as pupil"] is False and found["With consent"] is True
    assert found["Found"] == '=HYPERLINK("http://x"); Phone'  # text, not a formula
    assert book.worksheets[0]["R2"].data_type == "s"
    assert nothing["Found"] == "Nothing found" and nothing["Examined by"] is None
    about = dict(book.worksheets[1].iter_rows(values_only=True))
    assert about["Report"] == "Search records" and about["Rows"] == "2"


def test_the_export_is_audited_without_the_records_words(school, sessions, data_dir):
    _two_searches(school, sessions)
    run_export(
        sessions,
        school.actors["senior"],
        ExportRequest("searches", "csv", WEEK),
        data_dir / "s.csv",
    )
    with sessions() as session:
        events = session.execute(select(AuditEvent.kind, AuditEvent.details)).all()
    export = json.loads([d for k, d in events if k == "export"][-1])
    assert (export["report"], export["rows"]) == ("searches", 2)
    logged = " ".join(d for k, d in events if k.startswith("search_"))
    for words in ("HYPERLINK", "threatening", "No male member", "Blazer pockets"):
        assert words not in logged


def test_an_admin_may_export_the_custody_log_but_not_the_search_records(school, sessions, data_dir):
    _two_searches(school, sessions)
    out = data_dir / "s.csv"
    request = ExportRequest("searches", "csv", WEEK)
    with pytest.raises(NotAuthorised):
        run_export(sessions, school.actors["admin"], request, out)
    assert not out.exists()


def test_the_command_line_exports_the_search_records(
    school, sessions, data_dir, monkeypatch, capsys
):
    _two_searches(school, sessions)
    monkeypatch.delenv("KIOSK_DATABASE_URL", raising=False)
    out = data_dir / "searches.xlsx"
    period = ["--from", "16/11/2026", "--to", "22/11/2026", "--out", str(out)]
    args = ["export", "--kind", "searches", *period, "--as", "Sam Senior (DSL)"]
    with pin_for(args):
        assert main(["--data-dir", str(data_dir), *args]) == 0
    rows = list(openpyxl.load_workbook(out).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 3
    office = ["export", "--kind", "searches", *period, "--as", "Olivia Office"]
    with pin_for(office):
        assert main(["--data-dir", str(data_dir), *office]) != 0
    assert "needs a senior member of staff" in capsys.readouterr().err
