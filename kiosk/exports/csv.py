"""A log as CSV that Excel opens cleanly: UTF-8 with a BOM, CRLF line ends, a header row,
every field in double quotes (a semicolon-locale spreadsheet splits an unquoted field at
its ";": ``Smith;=1+1`` became a live formula); times and dates in ISO 8601 throughout,
``YYYY-MM-DD HH:MM:SS`` (school-local, the zone in the column title): one format, read
the same in every locale, which a spreadsheet shows in the computer's own date format;
yes/no as True/False, which Excel reads as TRUE/FALSE.

Cells typed by people (names, notes) lose their control characters, and those that then
start with ``= + - @`` (or a tab or carriage return) get a leading apostrophe, so a
spreadsheet shows them as text instead of running them as a formula ("CSV injection"):
``cells.guarded``, in Python, for every such cell (worked out once a distinct value, by
``csv_lines``: so the queries read the text as it is stored)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from kiosk.db import READ_MAPPED, Database
from kiosk.exports.csv_lines import CHUNK, Lines, no_cyclic_gc, prepared, write_lines
from kiosk.services import helper_process
from kiosk.services.reports.cells import Column, csv_writer
from kiosk.services.reports.fields import columns
from kiosk.services.reports.filter import LogKind, LogTable, Progress, ReportFilter
from kiosk.services.reports.reader import LogReader

BOM = "\ufeff"  # so Excel reads the file as UTF-8 (names with accents)
HALF_MODULE = "kiosk.exports.csv_half"  # the later part's process (python -I -m)
SPLIT_FROM = 60_000  # rows: below this a second process costs more than it saves
LATER_SHARE = 0.5  # of the rows, written by the second process
IN_THIS_PROCESS = "The CSV export writes its later part in this process"


def write_csv(table: LogTable, out: TextIO, progress: Progress | None = None) -> int:
    """Write a byte order mark, the header and every row to ``out`` (opened by the caller
    with ``encoding="utf-8", newline=""``); returns the number of rows. The BOM is written
    here rather than by the "utf-8-sig" codec, whose encoder is Python code called for
    every row."""
    writer = csv_writer(out)
    _write_header(out, table.columns)
    rows = prepared(table.rows, table.columns)
    done = 0
    with no_cyclic_gc():
        while chunk := list(islice(rows, CHUNK)):
            writer.writerows(chunk)
            done += len(chunk)
            if progress:
                progress(done, table.total)
    return done


def _write_header(out: TextIO, columns: Sequence[Column]) -> None:
    out.write(BOM)
    csv_writer(out).writerow([column.title for column in columns])


def _write_log(log: LogReader, out: TextIO, progress: Progress | None) -> int:
    """The header and the rows of the log."""
    with log.lean_batches(CHUNK) as lean:
        if lean is None:
            with log.table() as table:
                return write_csv(table, out, progress)
        _write_header(out, columns(log.fields))
        return _write_rows(log, lean, out, progress, log.count() if progress else 0)


def _write_rows(
    log: LogReader, lean: Any, out: TextIO, progress: Progress | None, total: int
) -> int:
    batches, found = lean
    return write_lines(batches, Lines(log.fields, found), out, progress, total)


def write_log_csv(
    sessions: Database,
    kind: LogKind,
    which: ReportFilter,
    path: Path,
    progress: Progress | None = None,
) -> int:
    """The whole CSV file of one log at ``path``, from one snapshot; returns the number of
    rows. A long log in an SQLite file, with CPU to spare, is written in two processes
    (see ``_write_in_two``); the bytes are the same."""
    with sessions.snapshot() as reader, reader() as session:
        log = LogReader(session, kind, which)
        with path.open("w", encoding="utf-8", newline="") as out:
            halves = _halves(sessions, log)
            if halves is None:
                return _write_log(log, out, progress)
            return _write_in_two(sessions, log, halves, path, out, progress)


def _halves(sessions: Database, log: LogReader) -> tuple[LogReader, LogReader] | None:
    """The log's two parts, if it is worth a second process: a long log read lean from an
    SQLite file, with CPU to spare (``helper_process.worth_it``)."""
    if sessions.file is None or not log.streams_lean():
        return None
    if log.rough_count < SPLIT_FROM or not helper_process.worth_it():
        return None
    return log.halves(LATER_SHARE)


# -- a long log in two processes -----------------------------------------------------------
#
# The second process (``csv_half``) writes the later part's lines into a temporary file
# beside the export while this one writes the header and the earlier part; then its file
# is appended. It reads its own snapshot, so its part is used only if that snapshot's
# newest audit event is ours; otherwise, or on any trouble, this process writes that part
# itself. Either way the bytes are those of one walk.


def _write_in_two(
    sessions: Database,
    log: LogReader,
    halves: tuple[LogReader, LogReader],
    path: Path,
    out: TextIO,
    progress: Progress | None,
) -> int:
    earlier, later = halves
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(handle)
    part = Path(name)
    try:
        job = _job(sessions, log, later, part)
        with helper_process.started(HALF_MODULE, job, IN_THIS_PROCESS) as helper:
            total = log.rough_count if progress else 0  # until the end
            own = max(int(total * (1 - LATER_SHARE)), 1)

            def scaled(done: int, _: int) -> None:  # both parts go on at about the same pace
                if progress:
                    progress(min(done * total // own, total), total)

            _write_header(out, columns(log.fields))
            with earlier.lean_batches(CHUNK) as lean:
                rows = _write_rows(earlier, lean, out, scaled if progress else None, own)
            answer = helper.answer_or_none() if helper else None
        if answer is not None and not answer["moved"]:
            rows += int(answer["rows"])
            _append(part, out)
        else:
            with later.lean_batches(CHUNK) as lean:
                rows += _write_rows(later, lean, out, None, 0)
        if progress:
            progress(rows, rows)
        return rows
    finally:
        part.unlink(missing_ok=True)


def _append(part: Path, out: TextIO) -> None:
    """The second process's lines (UTF-8 text) appended to ``out`` as they are."""
    out.flush()
    with part.open("rb") as lines:
        shutil.copyfileobj(lines, out.buffer, 1 << 20)


def _job(sessions: Database, log: LogReader, later: LogReader, part: Path) -> dict[str, Any]:
    """The second process's job (``csv_half``): the later half's lines into ``part``."""
    assert sessions.file is not None
    return {
        "database": str(sessions.file.resolve()),
        "log": log.kind,
        "sql": later.lean_sql(),
        "newest": log.newest_event(),
        "out": str(part),
        "mapped": READ_MAPPED,
    }
