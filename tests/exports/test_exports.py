"""Exports read back equal the database: CSV with the csv module, XLSX with openpyxl. The
expected rows are built here from the ORM, independently of the export's own queries."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

import openpyxl
import pytest
from fixtures.reports import *  # noqa: F403 (the reports tests' fixtures)
from fixtures.reports import FORMULA_PARENT
from sqlalchemy import func, select

from kiosk.clock import start_of_local_day, to_local
from kiosk.errors import InvalidInput, NotAuthorised
from kiosk.event_kinds import EventKind
from kiosk.exports.run import ExportCancelled, ExportRequest, default_path, run_export
from kiosk.services import audit, chain_check, settings
from kiosk.services.audit import Actor
from kiosk.services.reports.custody_columns import CUSTODY_FIELDS
from kiosk.services.reports.filter import ReportFilter
from kiosk.services.reports.reader import open_log
from kiosk.tables import AuditEvent, Custody, Staff

WEEK = ReportFilter(dt.date(2026, 3, 23), dt.date(2026, 3, 31))
DAILY = "Daily hand-in"  # the custody log's Kind in words
POSTGRES = pytest.param("postgresql", marks=pytest.mark.postgres)


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """Where exports go in these tests (tmp_path also holds the data directory)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def local_text(value: dt.datetime | None) -> str:
    return "" if value is None else to_local(value).strftime("%Y-%m-%d %H:%M:%S")


def local_naive(value: dt.datetime) -> dt.datetime:
    return to_local(value).replace(tzinfo=None, microsecond=0)


def expected_custody_rows(sessions, which: ReportFilter) -> list[Custody]:
    with sessions() as session:
        query = (
            select(Custody)
            .where(
                Custody.received_at >= start_of_local_day(which.date_from),
                Custody.received_at < start_of_local_day(which.date_to + dt.timedelta(days=1)),
            )
            .order_by(Custody.received_at, Custody.id)
        )
        custodies = list(session.scalars(query))
        for c in custodies:  # load what the checks read, before the session closes
            _ = (c.pupil.surname, c.slot, c.confiscation, c.items)
        names = {s.id: s.name for s in session.scalars(select(Staff))}
    for c in custodies:
        c.received_by_name = names.get(c.received_by_id)  # type: ignore[attr-defined]
        c.released_by_name = names.get(c.released_by_id)  # type: ignore[attr-defined]
    return custodies


def export(sessions, actor, out_dir: Path, report: str, fmt: str, which=WEEK, **kw):
    out = out_dir / f"{report}.{fmt}"
    return run_export(sessions, actor, ExportRequest(report, fmt, which), out, **kw)


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM so Excel reads the accents"
    assert b"\r\n" in raw and raw.count(b"\n") == raw.count(b"\r\n"), "CRLF line ends"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


@pytest.mark.parametrize("database_url", ["sqlite", POSTGRES], indirect=True)
def test_the_custody_log_csv_reads_back_as_the_database(history, sessions, out_dir):
    result = export(sessions, history.school.actors["senior"], out_dir, "custody", "csv")
    header, *rows = read_csv(result.path)
    expected = expected_custody_rows(sessions, WEEK)
    assert result.rows == len(rows) == len(expected) > 20
    assert header[9] == "Received (Europe/London)" and header[11] == "Released (Europe/London)"
    for row, c in zip(rows, expected, strict=True):
        assert int(row[0]) == c.id
        assert row[1:4] == [c.pupil.admission_number, c.pupil.surname, c.pupil.display_forename]
        assert (int(row[4]), row[5]) == (c.pupil.year_group, c.pupil.reg_group)
        assert row[6] == {"daily": "Daily hand-in", "confiscation": "Confiscation"}[c.kind]
        assert row[8] == (str(c.slot.number) if c.slot else "")
        assert row[9] == local_text(c.received_at)
        assert row[10] == (c.received_by_name or "Kiosk (self-service)")
        assert row[11] == local_text(c.released_at)
        assert row[14].lstrip("'") == (c.released_to_name or "")
        if c.confiscation:
            assert row[header.index("Reason")] == c.confiscation.reason_category
        assert row[header.index("Devices")] == ", ".join(
            item.kind for item in c.items
        )  # "phone", "phone, watch"
        assert row[header.index("Unclaimed")] == unclaimed_words(c)


def unclaimed_words(c: Custody) -> str:
    """Issue 18: a confiscation held 5 school-local days or more (to now, if still held)."""
    if c.kind != "confiscation":
        return ""
    end = c.released_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return str((to_local(end).date() - to_local(c.received_at).date()).days >= 5)


def test_times_are_school_local_on_both_sides_of_the_clocks_changing(history, sessions, out_dir):
    result = export(sessions, history.school.actors["senior"], out_dir, "custody", "csv")
    _header, *rows = read_csv(result.path)
    handed = {row[9] for row in rows if row[6] == DAILY and row[10].startswith("Kiosk")}
    # add_history hands in from 07:30 school time: GMT on the 27th, BST on the 30th
    assert any(t.startswith("2026-03-27 07:3") for t in handed)
    assert any(t.startswith("2026-03-30 07:3") for t in handed)
    with sessions() as session:
        first_bst = session.scalar(
            select(func.min(Custody.received_at)).where(
                Custody.received_at >= dt.datetime(2026, 3, 30)
            )
        )
    assert first_bst.hour == 6  # stored in UTC, an hour behind


def test_outcomes_are_in_plain_words(history, sessions, out_dir):
    result = export(sessions, history.school.actors["admin"], out_dir, "custody", "csv")
    header, *rows = read_csv(result.path)
    by_pupil = {}
    for row in rows:
        by_pupil.setdefault(row[1], []).append(row)
    with sessions() as session:
        from kiosk.tables import Pupil

        adm = {p.id: p.admission_number for p in session.scalars(select(Pupil))}
    police = by_pupil[adm[history.police_pupil]][0]
    assert (police[7], police[13], police[14]) == ("Handed to police", "Police", "PC Jones (4512)")
    undone = next(r for r in by_pupil[adm[history.undone_pupil]] if r[6] == DAILY)
    assert undone[7] == "Hand-in undone"
    kept = next(r for r in by_pupil[adm[history.overnight_pupil]] if r[6] == DAILY)
    assert kept[header.index("Kept overnight on")] == "2026-03-27" and kept[13] == "Pupil"


def test_formulas_typed_into_names_are_not_run_by_a_spreadsheet(history, sessions, out_dir):
    result = export(sessions, history.school.actors["senior"], out_dir, "custody", "csv")
    _header, *rows = read_csv(result.path)
    names = {row[14] for row in rows} | {row[15] for row in rows}
    assert "'" + FORMULA_PARENT in names and FORMULA_PARENT not in names
    assert "'-carer" in names
    assert not any(cell[:1] in "=+-@" for row in rows for cell in row if cell)


@pytest.mark.parametrize("database_url", ["sqlite", POSTGRES], indirect=True)
def test_the_audit_log_csv_holds_every_event_of_the_period(history, sessions, out_dir):
    result = export(sessions, history.school.actors["admin"], out_dir, "audit", "csv")
    header, *rows = read_csv(result.path)
    assert header[1] == "Time (Europe/London)" and header[-1] == "Hash (SHA-256)"
    assert header[2:4] == ["Event", "Event code"]
    with sessions() as session:
        events = list(
            session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.at >= start_of_local_day(WEEK.date_from),
                    AuditEvent.at < start_of_local_day(WEEK.date_to + dt.timedelta(days=1)),
                )
                .order_by(AuditEvent.seq)
            )
        )
    assert len(rows) == len(events) == result.rows > 50
    for row, event in zip(rows, events, strict=True):
        assert (int(row[0]), row[1], row[3]) == (event.seq, local_text(event.at), event.kind)
        assert row[2] == EventKind(event.kind).words  # "Handed in", not "hand_in"
        assert row[4].lstrip("'") == (event.actor_name or "")
        assert row[5] == ("" if event.pupil_id is None else str(event.pupil_id))
        assert json.loads(row[12]) == json.loads(event.details)
        assert row[14] == event.hash


def test_the_export_itself_is_an_audit_event_without_secrets(history, sessions, out_dir):
    senior = history.school.actors["senior"]
    result = export(
        sessions,
        senior,
        out_dir,
        "custody",
        "xlsx",
        which=ReportFilter(
            dt.date(2026, 3, 23), dt.date(2026, 3, 31), year_group=8, custody_kind="daily"
        ),
    )
    with sessions() as session:
        event = session.get(AuditEvent, result.audit_seq)
        secret = settings.card_secret(session).hex()
    assert (event.kind, event.actor_name) == ("export", senior.name)
    details = json.loads(event.details)
    assert details["rows"] == result.rows and details["format"] == "xlsx"
    assert details["filters"]["year_group"] == 8 and details["file"] == "custody.xlsx"
    assert secret not in event.details
    assert chain_check.verify(sessions).intact


def test_the_xlsx_custody_log_has_typed_cells_a_frozen_header_and_filters(
    history, sessions, out_dir
):
    result = export(sessions, history.school.actors["senior"], out_dir, "custody", "xlsx")
    book = openpyxl.load_workbook(result.path)
    sheet = book["Custody log"]
    expected = expected_custody_rows(sessions, WEEK)
    assert sheet.freeze_panes == "A2"
    last = openpyxl.utils.get_column_letter(len(CUSTODY_FIELDS))
    assert sheet.auto_filter.ref == f"A1:{last}{len(expected) + 1}"
    header = [cell.value for cell in sheet[1]]
    assert sheet["A1"].font.b and sheet["J1"].value == "Received (Europe/London)"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(expected) == result.rows
    for row, c in zip(rows, expected, strict=True):
        assert row[0] == c.id and isinstance(row[0], int)
        assert row[1:6] == (
            c.pupil.admission_number,
            c.pupil.surname,
            c.pupil.display_forename,
            c.pupil.year_group,
            c.pupil.reg_group,
        )
        assert row[8] == (c.slot.number if c.slot else None)
        assert row[9] == local_naive(c.received_at)
        assert row[11] == (local_naive(c.released_at) if c.released_at else None)
        assert row[14] == c.released_to_name  # text cells: never run as formulas
        assert row[16] == c.id_seen
        assert row[header.index("Kept overnight on")] == (
            dt.datetime.combine(c.keep_overnight_on, dt.time()) if c.keep_overnight_on else None
        )
    assert sheet["J2"].number_format == "dd/mm/yyyy hh:mm:ss"
    about = dict(book["About"].iter_rows(values_only=True))
    assert about["Rows"] == str(len(expected)) and about["Exported by"] == "Sam Senior (DSL)"


def test_the_xlsx_audit_log_reads_back_as_the_database(history, sessions, out_dir):
    result = export(sessions, history.school.actors["admin"], out_dir, "audit", "xlsx")
    sheet = openpyxl.load_workbook(result.path, read_only=True)["Audit log"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    with sessions() as session:
        events = {e.seq: e for e in session.scalars(select(AuditEvent))}
    assert len(rows) == result.rows
    for row in rows:
        event = events[row[0]]
        assert row[1] == local_naive(event.at)
        assert (row[2], row[3]) == (EventKind(event.kind).words, event.kind)
        assert (row[4], row[5]) == (event.actor_name, event.pupil_id)
        assert (row[10], row[11]) == (event.slot_number, event.custody_id)
        assert json.loads(row[12]) == json.loads(event.details)
        assert row[13] is event.redacted and row[14] == event.hash


def test_filters_by_year_form_and_kind(history, sessions, out_dir):
    with sessions() as session:
        from kiosk.tables import Pupil

        form = session.get(Pupil, history.repeat_pupil).reg_group
    which = ReportFilter(
        WEEK.date_from, WEEK.date_to, reg_group=form.lower(), custody_kind="confiscation"
    )
    with open_log(sessions, "custody", which) as table:
        rows = list(table.rows)
        assert table.total == len(rows) >= 2
    assert {(r[5], r[6]) for r in rows} == {(form, "Confiscation")}
    year = ReportFilter(WEEK.date_from, WEEK.date_to, year_group=9)
    with open_log(sessions, "audit", year) as table:
        events = list(table.rows)
    assert events and {r[8] for r in events} == {9}  # events about year 9 pupils only


def test_a_day_range_is_the_school_day_not_utc(history, sessions):
    # The 30th of March in BST starts at 23:00 UTC on the 29th.
    day = ReportFilter(dt.date(2026, 3, 30), dt.date(2026, 3, 30))
    with open_log(sessions, "custody", day) as table:
        received = [row[9] for row in table.rows]
    assert received and all(t.startswith("2026-03-30") for t in received)


def test_office_staff_cannot_export_and_nothing_is_written(history, sessions, out_dir):
    with pytest.raises(NotAuthorised):
        export(sessions, history.school.actors["office"], out_dir, "audit", "csv")
    assert list(out_dir.iterdir()) == []


def test_a_cancelled_export_leaves_no_file_and_no_event(history, sessions, out_dir):
    with sessions() as session:
        before = session.scalar(select(func.max(AuditEvent.seq)))
    with pytest.raises(ExportCancelled):
        export(
            sessions,
            history.school.actors["admin"],
            out_dir,
            "audit",
            "xlsx",
            cancelled=lambda: True,
        )
    assert list(out_dir.iterdir()) == []
    with sessions() as session:
        assert session.scalar(select(func.max(AuditEvent.seq))) == before


@pytest.mark.parametrize(
    ("request_", "words"),
    [
        (
            ExportRequest(
                "custody", "csv", ReportFilter(dt.date(2026, 3, 31), dt.date(2026, 3, 1))
            ),
            "before",
        ),
        (ExportRequest("summary", "csv", WEEK), "PDF"),
        (ExportRequest("audit", "pdf", WEEK), "PDF"),
        (
            ExportRequest(
                "custody", "csv", ReportFilter(WEEK.date_from, WEEK.date_to, year_group=40)
            ),
            "Year",
        ),
        (
            ExportRequest(
                "custody", "csv", ReportFilter(WEEK.date_from, WEEK.date_to, custody_kind="x")
            ),
            "Kind",
        ),
    ],
)
def test_bad_requests_get_plain_words(history, sessions, out_dir, request_, words):
    with pytest.raises(InvalidInput, match=words):
        run_export(sessions, history.school.actors["admin"], request_, out_dir / "x.csv")
    assert list(out_dir.iterdir()) == []


def test_a_missing_folder_is_a_clear_message(history, sessions, out_dir):
    with pytest.raises(InvalidInput, match="does not exist"):
        export(sessions, history.school.actors["admin"], out_dir / "nope", "custody", "csv")


def test_default_names_land_in_the_exports_folder(out_dir):
    request = ExportRequest("audit", "xlsx", WEEK)
    path = default_path(out_dir, request, dt.datetime(2026, 3, 31, 11, 5, 9))
    assert path.parent == out_dir
    assert path.name == "audit-log_2026-03-23_to_2026-03-31_20260331-120509.xlsx"


def test_the_csv_writer_guards_formulas_itself_when_the_query_did_not():
    import io

    from kiosk.exports.csv import write_csv
    from kiosk.services.reports.cells import Column
    from kiosk.services.reports.filter import LogTable

    columns = (Column("Name", "text", free_text=True), Column("Code", "text"), Column("N", "int"))
    rows = [("=1+2", "=kind", -3), ("@SUM(A1)", "ok", 4), ("Ann", "b", None), ("", "c", 0)]
    out = io.StringIO(newline="")
    assert write_csv(LogTable("t", columns, len(rows), iter(rows)), out) == 4
    assert out.getvalue().startswith('\ufeff"Name","Code","N"\r\n')
    lines = out.getvalue().split("\r\n")
    assert lines[1:5] == [
        '"\'=1+2","=kind","-3"',
        '"\'@SUM(A1)","ok","4"',
        '"Ann","b",""',
        '"","c","0"',
    ]


def test_a_full_disk_is_a_clear_message_and_leaves_nothing(history, sessions, out_dir, monkeypatch):
    import errno

    from kiosk.exports.run import ExportFailed

    def no_space(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("kiosk.services.reports.cells.csv.writer", no_space)
    with pytest.raises(ExportFailed, match="No space left on device"):
        export(sessions, history.school.actors["admin"], out_dir, "custody", "csv")
    assert list(out_dir.iterdir()) == []


def _quoted_again(rows: list[list[str]]) -> bytes:
    import io

    buffer = io.StringIO(newline="")
    csv.writer(buffer, quoting=csv.QUOTE_ALL).writerows(rows)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


CONTROL_BYTES = rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


@pytest.mark.parametrize(
    "which",
    [WEEK, ReportFilter(WEEK.date_from, WEEK.date_to, year_group=8)],
    ids=["lines made at once", "filtered: row by row"],
)
@pytest.mark.parametrize("report", ["custody", "audit"])
def test_every_field_is_quoted_and_control_characters_cannot_hide_a_formula(
    history, sessions, out_dir, report, which
):
    """A stray NUL ahead of "=" once passed the formula guard; an unquoted "Smith;=1+1"
    was two cells, the second a live formula, in a spreadsheet that splits at ";"."""
    from sqlalchemy import update

    from kiosk.tables import Pupil

    year_8 = select(Pupil.id).where(Pupil.year_group == 8)
    with sessions.begin() as session:
        session.execute(update(Pupil).where(Pupil.id.in_(year_8)).values(surname="\x00=1+1"))
        session.execute(
            update(Pupil)
            .where(Pupil.id.in_(year_8))
            .values(legal_forename="Smith;=1+1", preferred_forename=None)
        )
        session.execute(
            update(Staff).where(Staff.name == "Olivia Office").values(name="\x1b@Olivia\x7f")
        )
        pupil = session.scalars(year_8).first()
        at = start_of_local_day(dt.date(2026, 3, 30)) + dt.timedelta(hours=12)
        audit.append(
            session, "pupil_updated", Actor(None, "\x1b@Olivia\x7f"), pupil_id=pupil, at=at
        )
    result = export(sessions, history.school.actors["admin"], out_dir, report, "csv", which)
    raw = result.path.read_bytes()
    header, *rows = read_csv(result.path)
    assert raw == _quoted_again([header, *rows])  # every field in double quotes
    assert not re.search(CONTROL_BYTES, raw)
    cells = {cell for row in rows for cell in row}
    assert not any(cell[:1] in ("=", "+", "@") for cell in cells if cell)
    if report == "custody":
        assert {"'=1+1", "Smith;=1+1"} <= cells
        assert b',"Smith;=1+1",' in raw  # one quoted cell, whatever the delimiter
    assert "'@Olivia" in cells  # the office's name, on hand-ins or events


def test_the_audit_log_names_its_events_in_words_beside_their_codes(history, sessions, out_dir):
    result = export(sessions, history.school.actors["admin"], out_dir, "audit", "csv")
    _header, *rows = read_csv(result.path)
    pairs = {(row[2], row[3]) for row in rows}
    assert ("Handed in", "hand_in") in pairs and ("Given back to the pupil", "collected") in pairs
    assert not any("_" in words for words, _code in pairs)
