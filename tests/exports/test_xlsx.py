"""The workbook writer on its own: every type of cell, blanks among them, read back with
openpyxl as written (the exports' own tests read the logs back as the database)."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kiosk.errors import InvalidInput
from kiosk.exports import xlsx
from kiosk.exports.xlsx import write_xlsx
from kiosk.services.reports.cells import Column
from kiosk.services.reports.filter import LogTable

COLUMNS = (
    Column("N", "int"),
    Column("At", "datetime"),
    Column("Name", "text"),
    Column("Seen", "bool"),
    Column("On", "date"),
)
# Times as LocalClock writes them: midnight, the last second, a day's first seconds, the
# clocks' change in London, a leap day; the minute form is read as its minute's start.
TIMES = (
    "2026-03-29 00:00:00",
    "2026-03-29 00:00:01",
    "2026-03-29 23:59:59",
    "2026-03-29 01:59:59",
    "2026-10-25 01:30:00",
    "2028-02-29 12:34:56",
    "1999-12-31 23:59:59",
    "2026-03-30 08:05",
)


def _read_back(path: Path, read_only: bool) -> list[tuple[object, ...]]:
    sheet = openpyxl.load_workbook(path, read_only=read_only)["Log"]
    return list(sheet.iter_rows(min_row=2, max_col=len(COLUMNS), values_only=True))


def _sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as book:
        return book.read("xl/worksheets/sheet1.xml").decode("utf-8")


@pytest.mark.parametrize("read_only", [False, True], ids=["workbook", "read-only"])
def test_every_type_of_cell_and_every_blank_reads_back_as_written(tmp_path, read_only):
    rows = [
        (n, at, f" name {n % 3} ", (True, False, None)[n % 3], dt.date(2026, 3, 1 + n % 28))
        for n, at in enumerate(TIMES)
    ]
    rows += [(None, None, None, None, None), (0, TIMES[0], "", False, None)]
    rows += [(-7, None, "last", True, dt.date(2000, 1, 1))]
    path = tmp_path / "log.xlsx"
    assert write_xlsx(LogTable("Log", COLUMNS, len(rows), iter(rows)), path, [("a", "b")]) == 11

    expected = [
        (
            n,
            at and dt.datetime.fromisoformat(at),
            name,
            seen,
            on and dt.datetime.combine(on, dt.time()),
        )
        for n, at, name, seen, on in rows
    ]
    assert _read_back(path, read_only) == expected


def test_rows_and_cells_carry_no_reference_and_a_blank_is_an_empty_cell(tmp_path):
    rows = [(1, None, None, None, None), (None, TIMES[0], "x", True, None)]
    path = tmp_path / "log.xlsx"
    write_xlsx(LogTable("Log", COLUMNS, len(rows), iter(rows)), path, [])
    data = _sheet_xml(path).split("</row>", 1)[1]  # after the header row
    assert re.findall(r"<row[^>]*>", data) == ["<row>", "<row>"]
    assert ' r="' not in data
    first = data[: data.index("</row>")]
    assert first == "<row><c><v>1</v></c><c/><c/><c/><c/>"


def test_unique_text_past_the_remembered_cells_is_written_in_place(tmp_path):
    """A column of unique values (hashes) stops being remembered and shared: the values
    after the limit are inline text, the same when read back."""
    count = 5_100
    rows = [
        (n, f"2026-03-02 {n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}", f"h{n}", None, None)
        for n in range(count)
    ]
    path = tmp_path / "log.xlsx"
    write_xlsx(LogTable("Log", COLUMNS, count, iter(rows)), path, [])
    assert 'inlineStr"><is><t>h5099</t>' in _sheet_xml(path)
    back = _read_back(path, read_only=True)
    assert [(r[0], r[1], r[2]) for r in back] == [
        (n, dt.datetime.fromisoformat(at), text) for n, at, text, _, _ in rows
    ]


def test_a_row_of_the_wrong_length_fails_rather_than_shifting_cells(tmp_path):
    rows = [(1, None, "a", True, None), (2, None, "b", True)]
    with pytest.raises(ValueError):
        write_xlsx(LogTable("Log", COLUMNS, 2, iter(rows)), tmp_path / "log.xlsx", [])


def test_more_rows_than_a_sheet_holds_is_plain_words(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 5)
    monkeypatch.setattr(xlsx, "CHUNK", 2)
    rows = [(n, None, None, None, None) for n in range(6)]
    with pytest.raises(InvalidInput, match="Too many rows"):
        write_xlsx(LogTable("Log", COLUMNS, 4, iter(rows)), tmp_path / "log.xlsx", [])
