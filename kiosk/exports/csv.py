"""A log as CSV that Excel opens cleanly: UTF-8 with a BOM, CRLF line ends, a header row;
times as ``YYYY-MM-DD HH:MM:SS`` (school-local, the zone in the column title), yes/no as
True/False, which Excel reads as TRUE/FALSE.

Cells typed by people (names, notes) that start with ``= + - @`` (or a tab or carriage
return) get a leading apostrophe, so a spreadsheet shows them as text instead of running
them as a formula ("CSV injection")."""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from itertools import chain, islice
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from kiosk import clock, side_process
from kiosk.config import sqlite_url
from kiosk.db import Database
from kiosk.services import audit, reports
from kiosk.services.audit import READ_MAPPED
from kiosk.services.reports import (
    AUDIT_COLUMNS,
    NO_PUPIL,
    Column,
    LocalClock,
    LogKind,
    LogReader,
    LogTable,
    LogWindow,
    Progress,
    PupilFields,
    ReportFilter,
    lean_audit_rows,
    pupils_by_id,
    reading,
    redacted_flag,
)

if TYPE_CHECKING:
    from kiosk.db import Sessions

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


def write_csv(
    table: LogTable, out: TextIO, progress: Progress | None = None, *, header: bool = True
) -> int:
    """Write a byte order mark, the header and every row to ``out`` (opened by the caller
    with ``encoding="utf-8", newline=""``); returns the number of rows. The BOM is written
    here rather than by the "utf-8-sig" codec, whose encoder is Python code called for
    every row. ``header=False`` writes the rows only (a later part of a file)."""
    writer = csv.writer(out)  # the "excel" dialect: CRLF, quotes only where needed
    if header:
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
    """CSV text for batches of ``LogReader.lean_audit`` rows; see above. (A plain class:
    the export worker loads this file alone, outside sys.modules, where dataclasses fail.)"""

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


def _write_part(
    log: LogReader,
    window: LogWindow | None,
    out: TextIO,
    progress: Progress | None,
    *,
    header: bool,
) -> int:
    """The rows of one window of the log (all of it if None), the header first if asked."""
    with log.lean_audit(window, CHUNK) as lean:
        if lean is None or not LINES_AT_ONCE:
            with log.table(window) as table:
                return write_csv(table, out, progress, header=header)
        if header:
            _write_header(out, AUDIT_COLUMNS)
        batches, pupils = lean
        total = log.count(window) if progress else 0
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


# -- a long log from an SQLite file in two processes -----------------------------------------
#
# A worker process writes the later part of the rows into a temporary file beside the export
# while this process writes the earlier part; then the worker's file is appended. The worker
# reads its own snapshot, so its part is used only if that snapshot has the same audit chain
# head as ours (every change to what a log shows is a service action with its audit event):
# otherwise, or on any trouble, this process writes that part itself. Either way the bytes
# are those of a single walk.

PARALLEL_FROM = 60_000  # rows in the period; below this a second process costs more than it saves
# Of the rows, written by the worker: balanced by measurement. The lines worker (the whole
# audit log) boots in about the time the parent takes to its first row; the other loads
# SQLAlchemy first, so it gets less.
WORKER_SHARE = 0.5
TABLE_WORKER_SHARE = 0.42
_WORKER_TIMEOUT = 900  # seconds
# The worker loads this file alone, not the kiosk.exports package (whose imports, Alembic
# among them, would cost it a few tenths of a second before its first row).
_WORKER_BOOT = """import importlib.util as u
spec = u.spec_from_file_location("_kiosk_csv_worker", {path})
module = u.module_from_spec(spec)
spec.loader.exec_module(module)
module._worker_main()"""


def _database_file(sessions: Sessions) -> str | None:
    database = sessions.file
    return str(database) if database is not None and database.is_file() else None


def write_log_csv(
    sessions: Sessions,
    kind: LogKind,
    which: ReportFilter,
    path: Path,
    progress: Progress | None = None,
) -> int:
    """The whole CSV file of one log at ``path``; returns the number of rows. A long log
    in an SQLite file is written in two processes (see above); the file is the same."""
    database = _database_file(sessions)
    with reading(sessions) as reader, reader() as session:
        log = LogReader(session, kind, which, guard_formulas=True)
        share = WORKER_SHARE if LINES_AT_ONCE and log.reads_lean_audit() else TABLE_WORKER_SHARE
        plan = log.split(share) if database is not None else None
        if database is None or plan is None or log.period_rows() < PARALLEL_FROM:
            with path.open("w", encoding="utf-8", newline="") as out:
                return _write_part(log, None, out, progress, header=True)
        return _write_in_two(log, database, plan, 1 - share, path, progress)


def _write_in_two(
    log: LogReader,
    database: str,
    plan: tuple[LogWindow, LogWindow],
    own_share: float,
    path: Path,
    progress: Progress | None,
) -> int:
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(handle)
    later = Path(name)
    worker = None
    try:
        worker = _start_worker(database, log, plan[1], later)
        with path.open("w", encoding="utf-8", newline="") as out:

            def scaled(done: int, total: int) -> None:  # this part is about own_share of all
                if progress:
                    progress(done, max(total, int(total / own_share)))

            rows = _write_part(log, plan[0], out, scaled, header=True)
        result = _worker_result(worker) if worker is not None else {}
        worker = None
        if result.get("ok") and log.snapshot is not None and result.get("snapshot") == log.snapshot:
            with path.open("ab") as out_bytes, later.open("rb") as part:
                shutil.copyfileobj(part, out_bytes, 1 << 20)
            rows += int(result["rows"])
        else:  # the worker's part from our own snapshot
            with path.open("a", encoding="utf-8", newline="") as out:
                rows += _write_part(log, plan[1], out, None, header=False)
        if progress:
            progress(rows, rows)
        return rows
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
            worker.wait()
        later.unlink(missing_ok=True)


def _start_worker(
    database: str, log: LogReader, window: LogWindow, out: Path
) -> subprocess.Popen[str] | None:
    job: dict[str, Any] = {"database": database, "out": str(out)}
    sql = log.lean_audit_sql(window) if LINES_AT_ONCE else None
    if sql is not None:
        job["sql"] = sql
        code = side_process.definitions_boot(_LINES_WORKER_SOURCES, "_worker_main")
    else:
        which, kind, seqs = log.which.describe(), log.kind, log.seqs
        job.update(which=which, kind=kind, seqs=seqs, window=[window.start, window.stop])
        code = _WORKER_BOOT.format(path=repr(__file__))
    return side_process.start(code, json.dumps(job))


# A worker writing audit log lines reads with the sqlite3 module alone and runs only these
# definitions (see side_process.definitions_boot): no SQLAlchemy to import first.
_LINES_WORKER_SOURCES = (
    (clock.__file__, ["SCHOOL_ZONE", "to_local"]),
    (audit.__file__, ["READ_MAPPED"]),
    (
        reports.__file__,
        [
            "ONE_HOUR",
            "NO_PUPIL",
            "LocalClock",
            "lean_audit_rows",
            "redacted_flag",
            "pupils_by_id",
        ],
    ),
    (
        __file__,
        [
            "CHUNK",
            "_QUOTED_FOR",
            "_csv_cells",
            "_CellTexts",
            "_LocalHours",
            "_AuditLines",
            "_COLUMN",
            "_INT",
            "_NONE",
            "_ints",
            "_plain_texts",
            "_no_cyclic_gc",
            "_write_lines",
            "_run_lines_job",
            "run_worker_job",
            "_worker_main",
        ],
    ),
)


def _worker_result(worker: subprocess.Popen[str]) -> dict[str, Any]:
    return side_process.result(worker, timeout=_WORKER_TIMEOUT) or {}


def _worker_main() -> None:
    """In the worker process: write the rows of one window (no BOM, no header) to the
    file given, and report the row count and the snapshot's chain head on stdout."""
    try:
        result = run_worker_job(json.loads(sys.argv[1]))
    except Exception:  # any trouble: the parent writes the part itself
        result = {"ok": False}
    json.dump(result, sys.stdout)


def run_worker_job(job: dict[str, Any]) -> dict[str, Any]:
    """The worker's task (see ``_start_worker`` for ``job``), on connections of its own."""
    return _run_lines_job(job) if "sql" in job else _run_table_job(job)


def _run_lines_job(job: dict[str, Any]) -> dict[str, Any]:
    """Audit log lines from ``LogReader.lean_audit_sql``, read by the sqlite3 module on a
    read-only connection, in one snapshot with its chain head."""
    uri = Path(job["database"]).as_uri() + "?mode=ro"
    connection = sqlite3.connect(uri, uri=True, timeout=10, isolation_level=None)
    try:
        connection.execute(f"PRAGMA mmap_size={READ_MAPPED}")
        connection.execute("BEGIN")
        sql = job["sql"]
        head = connection.execute(sql["snapshot"]).fetchone()
        pupils = pupils_by_id(connection.execute(sql["pupils"]))
        cursor = connection.execute(sql["rows"])
        with open(job["out"], "w", encoding="utf-8", newline="") as out:
            rows = _write_lines(iter(partial(cursor.fetchmany, CHUNK), []), pupils, out)
        return {"ok": True, "rows": rows, "snapshot": head[0] if head else None}
    finally:
        connection.close()


def _run_table_job(job: dict[str, Any]) -> dict[str, Any]:
    which = job["which"]
    which_filter = ReportFilter(
        dt.date.fromisoformat(which["from"]),
        dt.date.fromisoformat(which["to"]),
        which["year_group"],
        which["form"],
        which["custody_kind"],
    )
    engine = create_engine(sqlite_url(Path(job["database"])), poolclass=NullPool)
    window = LogWindow(*job["window"])
    try:
        with (
            reading(Database(engine)) as reader,
            reader() as session,
            open(job["out"], "w", encoding="utf-8", newline="") as out,
        ):
            seqs = job["seqs"]
            log = LogReader(
                session, job["kind"], which_filter, guard_formulas=True, seqs=(seqs[0], seqs[1])
            )
            rows = _write_part(log, window, out, None, header=False)
            return {"ok": True, "rows": rows, "snapshot": log.snapshot}
    finally:
        engine.dispose()
