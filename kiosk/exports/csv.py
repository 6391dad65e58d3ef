"""A log as CSV that Excel opens cleanly: UTF-8 with a BOM, CRLF line ends, a header row;
times as ``YYYY-MM-DD HH:MM:SS`` (school-local, the zone in the column title), yes/no as
True/False, which Excel reads as TRUE/FALSE.

Cells typed by people (names, notes) that start with ``= + - @`` (or a tab or carriage
return) get a leading apostrophe, so a spreadsheet shows them as text instead of running
them as a formula ("CSV injection")."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any, TextIO

from kiosk.services.reports import LogTable, Progress

FORMULA_STARTS = frozenset("=+-@\t\r")
BOM = "\ufeff"  # so Excel reads the file as UTF-8 (names with accents)
CHUNK = 5000


def guarded(value: str) -> str:
    """``value`` made safe to open in a spreadsheet (unchanged unless it starts a formula)."""
    return "'" + value if value and value[0] in FORMULA_STARTS else value


def _prepared(table: LogTable) -> Iterator[Sequence[Any]]:
    if table.formulas_guarded:  # done in the query already
        yield from table.rows
        return
    free_text = [i for i, column in enumerate(table.columns) if column.free_text]
    for row in table.rows:
        if any((value := row[i]) and value[0] in FORMULA_STARTS for i in free_text):
            safe = list(row)
            for i in free_text:
                safe[i] = guarded(safe[i]) if safe[i] else safe[i]
            yield safe
        else:
            yield row


def write_csv(table: LogTable, out: TextIO, progress: Progress | None = None) -> int:
    """Write a byte order mark, the header and every row to ``out`` (opened by the caller
    with ``encoding="utf-8", newline=""``); returns the number of rows. The BOM is written
    here rather than by the "utf-8-sig" codec, whose encoder is Python code called for
    every row."""
    out.write(BOM)
    writer = csv.writer(out)  # the "excel" dialect: CRLF, quotes only where needed
    writer.writerow([column.title for column in table.columns])
    # rows guarded in the query already go straight to the writer (no generator between)
    rows: Iterator[Sequence[Any]] = table.rows if table.formulas_guarded else _prepared(table)
    done = 0
    while chunk := list(islice(rows, CHUNK)):
        writer.writerows(chunk)
        done += len(chunk)
        if progress:
            progress(done, table.total)
    return done
