"""A log as CSV that Excel opens cleanly: UTF-8 with a BOM, CRLF line ends, a header row;
times as ``YYYY-MM-DD HH:MM:SS`` (school-local, the zone in the column title), yes/no as
True/False, which Excel reads as TRUE/FALSE.

Cells typed by people (names, notes) that start with ``= + - @`` (or a tab or carriage
return) get a leading apostrophe, so a spreadsheet shows them as text instead of running
them as a formula ("CSV injection")."""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain, islice
from operator import itemgetter
from pathlib import Path
from typing import Any, TextIO

from kiosk.clock import LocalClock
from kiosk.db import Sessions
from kiosk.services.reports.audit_log import (
    AUDIT_COLUMNS,
    NO_PUPIL,
    PupilFields,
    lean_audit_rows,
    redacted_flag,
)
from kiosk.services.reports.filter import Column, LogKind, LogTable, Progress, ReportFilter
from kiosk.services.reports.reader import LogReader

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
    writer = csv.writer(out)  # the "excel" dialect: CRLF, quotes only where needed
    _write_header(out, table.columns)
    # rows guarded in the query already go straight to the writer (no generator between)
    rows: Iterator[Sequence[Any]] = table.rows if table.formulas_guarded else _prepared(table)
    done = 0
    with _no_cyclic_gc():
        while chunk := list(islice(rows, CHUNK)):
            writer.writerows(chunk)
            done += len(chunk)
            if progress:
                progress(done, table.total)
    return done


def _write_header(out: TextIO, columns: Sequence[Column]) -> None:
    out.write(BOM)
    csv.writer(out).writerow([column.title for column in columns])


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The cycle collector paused while rows stream: every row is a new tuple, and the
    collections they set off were a tenth of a large export's time. The rows make no
    reference cycles; anything else's are collected once it is switched back on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# -- the audit log's lines made in one step -------------------------------------------------
#
# Profiled on a year of a large school (600,000 events), two thirds of a CSV's time went on
# Python handling each row twice after the DBAPI made it: ``lean_audit_rows`` rebuilding it
# as a tuple (school-local time, the pupil's fields), then csv.writer quoting each value
# and handing every line to the text file on its own. Here each batch of the cursor's rows
# becomes its text in one f-string a row: the values that repeat (event kind, staff, details,
# the redacted flag, the pupil's four fields, the local hour) are turned into csv.writer's
# own text once each and looked up; the rest (event number, ids, the time's minutes and
# seconds, hash) are written as they are, which is what csv.writer writes for integers, None
# and text holding no comma, double quote, CR or LF. A batch with any value outside those
# cases goes through ``lean_audit_rows`` and csv.writer instead: the bytes are always theirs.

LINES_AT_ONCE = True  # False: every row through csv.writer (what the tests compare with)
_QUOTED_FOR = (",", '"', "\r", "\n")  # the characters csv.writer ("excel") quotes a field for


def _csv_cells(values: Sequence[Any]) -> str:
    """What csv.writer writes for ``values`` as a row, without the line end."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    return buffer.getvalue().removesuffix("\r\n")


class _CellTexts(dict[Any, str]):
    """csv.writer's text for the cells ``shape`` makes of a value, made once a value.
    Keyed by value: the columns it serves hold text only (SQLite's TEXT affinity), 0/1
    flags or ids checked to be ints, so values equal as keys (1, 1.0, True) never need
    different texts."""

    def __init__(self, shape: Callable[[Any], tuple[Any, ...]] = lambda value: (value,)) -> None:
        super().__init__()
        self.shape = shape

    def __missing__(self, value: Any) -> str:
        # one cell more, cut off after: csv.writer quotes a row of one empty cell
        text = self[value] = _csv_cells((*self.shape(value), None))[:-1]
        return text


class _LocalHours(dict[str, str]):
    """School-local hours by UTC hour (``LocalClock.hour``); an hour it has none for is
    noted in ``missed`` (not kept, so every use of it is noted) and looked up as ""."""

    def __init__(self, clock: LocalClock) -> None:
        super().__init__()
        self.clock, self.missed = clock, False

    def __missing__(self, key: str) -> str:
        local = self.clock.hour(key) if len(key) == 13 and key[10] == " " else None
        if local is None:
            self.missed = True
            return ""
        self[key] = local
        return local


class _AuditLines:
    """CSV text for batches of ``LogReader.lean_audit`` rows; see above."""

    def __init__(self, pupils: dict[Any, PupilFields]) -> None:
        self.pupils, self.clock = pupils, LocalClock()
        self.pupil_cells = _CellTexts(lambda pupil: (pupil, *pupils.get(pupil, NO_PUPIL)))
        self.texts, self.flags = _CellTexts(), _CellTexts(lambda red: (redacted_flag(red),))
        self.hours = _LocalHours(self.clock)

    def text(self, rows: list[Any]) -> str:
        fast = self._fast(rows)
        if fast is not None:
            return fast
        buffer = io.StringIO()
        csv.writer(buffer).writerows(lean_audit_rows(iter(rows), self.clock, self.pupils))
        return buffer.getvalue()

    def _fast(self, rows: list[Any]) -> str | None:
        """The batch's text, or None if a value is not of a kind this handles exactly."""
        if len(self.texts) > 50_000:  # details are mostly "{}"; keep rare ones from piling up
            self.texts.clear()
        column = _COLUMN  # by column (itemgetters): a third of the time of zip(*rows)
        ids = chain(map(column[4], rows), map(column[5], rows), map(column[6], rows))
        if not (_ints(map(column[0], rows), none=False) and _ints(ids)):  # seq; ids
            return None
        ats, hashes = list(map(column[1], rows)), list(map(column[9], rows))
        if not (_plain_texts(ats, shortest=19) and _plain_texts(hashes)):
            return None
        texts, flags, hours, pupil_cells = self.texts, self.flags, self.hours, self.pupil_cells
        hours.missed = False
        text = "".join(
            [
                f"{seq},{hours[at[:13]]}{at[13:19]},{texts[kind]},{texts[staff]},"
                f"{pupil_cells[pupil]},"
                f"{'' if slot is None else slot},{'' if cid is None else cid},"
                f"{texts[details]},{flags[red]},{hashed}\r\n"
                for seq, at, kind, staff, pupil, slot, cid, details, red, hashed in rows
            ]
        )
        return None if hours.missed else text


_COLUMN = [itemgetter(n) for n in range(10)]  # the ten values of a lean audit row
_INT = frozenset({int})
_NONE = frozenset({int, type(None)})


def _ints(values: Iterable[Any], *, none: bool = True) -> bool:
    """Whether every value is an int (or None, if ``none``)."""
    return set(map(type, values)) <= (_NONE if none else _INT)


def _plain_texts(values: Sequence[Any], shortest: int = 0) -> bool:
    """Whether every value is text of at least ``shortest`` characters that csv.writer
    writes as it is."""
    if not set(map(type, values)) <= {str} or min(map(len, values), default=0) < shortest:
        return False
    joined = "".join(values)
    return not any(char in joined for char in _QUOTED_FOR)


def _write_log(log: LogReader, out: TextIO, progress: Progress | None) -> int:
    """The header and the rows of the log."""
    with log.lean_audit(CHUNK) as lean:
        if lean is None or not LINES_AT_ONCE:
            with log.table() as table:
                return write_csv(table, out, progress)
        _write_header(out, AUDIT_COLUMNS)
        batches, pupils = lean
        total = log.count() if progress else 0
        return _write_lines(batches, pupils, out, progress, total)


def _write_lines(
    batches: Iterable[list[Any]],
    pupils: dict[Any, PupilFields],
    out: TextIO,
    progress: Progress | None = None,
    total: int = 0,
) -> int:
    """Batches of ``LogReader.lean_audit`` rows written as CSV lines; returns how many."""
    lines, done = _AuditLines(pupils), 0
    with _no_cyclic_gc():
        for rows in batches:
            out.write(lines.text(rows))
            done += len(rows)
            if progress:
                progress(done, total)
    return done


def write_log_csv(
    sessions: Sessions,
    kind: LogKind,
    which: ReportFilter,
    path: Path,
    progress: Progress | None = None,
) -> int:
    """The whole CSV file of one log at ``path``, from one snapshot; returns the number of
    rows."""
    with sessions.snapshot() as reader, reader() as session:
        log = LogReader(session, kind, which, guard_formulas=True)
        with path.open("w", encoding="utf-8", newline="") as out:
            return _write_log(log, out, progress)
