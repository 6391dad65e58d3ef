"""Running an export for the headteacher: the custody and audit logs (CSV, XLSX) and the
governors' summary (PDF).

``run_export`` is the one entry point (the CLI and the reports screen both use it): it checks
the staff member may export, writes the file beside its final name and moves it into place
only when complete, and records an "export" audit event (what, which filters, how many rows,
the file name) in the same transaction as that move. A failed or cancelled export leaves no
file and no event.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kiosk.clock import moment_text, to_local, utcnow
from kiosk.db import Database
from kiosk.errors import InvalidInput, KioskError
from kiosk.event_kinds import EventKind
from kiosk.rules import Action
from kiosk.services import audit
from kiosk.services.audit import Actor
from kiosk.services.common import require
from kiosk.services.reports import governors
from kiosk.services.reports.cells import ZONE_NAME
from kiosk.services.reports.custody_columns import KIND_WORDS
from kiosk.services.reports.filter import (
    LOG_TITLES,
    LogKind,
    LogTable,
    Progress,
    ReportFilter,
)
from kiosk.services.reports.reader import open_log

Report = Literal["custody", "audit", "summary", "searches"]
Format = Literal["csv", "xlsx", "pdf"]
REPORTS: tuple[Report, ...] = ("custody", "audit", "summary", "searches")
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "pdf")
FILE_STEMS = {
    "custody": "custody-log",
    "audit": "audit-log",
    "summary": "governors-summary",
    "searches": "search-records",
}


class ExportCancelled(KioskError):
    default_message = "Export cancelled: no file was written."


class ExportFailed(KioskError):
    default_message = "The export could not be written."


@dataclass(frozen=True)
class ExportRequest:
    report: Report
    format: Format
    which: ReportFilter

    def checked(self) -> ExportRequest:
        if self.report not in REPORTS:
            raise InvalidInput(
                "Choose the custody log, the audit log, the search records or the summary."
            )
        if self.format not in FORMATS:
            raise InvalidInput("The format is csv, xlsx or pdf.")
        if (self.report == "summary") != (self.format == "pdf"):
            raise InvalidInput("The summary for governors is a PDF; the logs are CSV or XLSX.")
        return ExportRequest(self.report, self.format, self.which.checked())


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int  # log rows written, or custody records summarised
    audit_seq: int


def default_path(export_dir: Path, request: ExportRequest, now: dt.datetime | None = None) -> Path:
    """A new file in the data directory's exports folder, named after what it holds."""
    stamp = to_local(now or utcnow()).strftime("%Y%m%d-%H%M%S")
    which = request.which
    name = f"{FILE_STEMS[request.report]}_{which.date_from}_to_{which.date_to}_{stamp}"
    return export_dir / f"{name}.{request.format}"


def _writable_target(out: Path) -> Path:
    out = out.expanduser().absolute()
    if out.is_dir():
        raise InvalidInput(f"{out} is a folder: give a file name.")
    if not out.parent.is_dir():
        raise InvalidInput(f"The folder {out.parent} does not exist.")
    return out


@contextmanager
def _partial_file(out: Path) -> Iterator[Path]:
    """A private temporary file beside ``out``; removed unless the caller moved it."""
    handle, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    os.close(handle)
    partial = Path(name)
    try:
        yield partial
    finally:
        partial.unlink(missing_ok=True)


def _authorise(sessions: Database, actor: Actor, report: Report) -> str:
    with sessions.read() as session:  # a look-up: no write lock
        if report == "searches":  # safeguarding records: a senior's, not IT's
            require(session, actor, Action.RECORD_SEARCH)
        return require(session, actor, Action.EXPORT).name


def _about(
    request: ExportRequest, staff_name: str, rows: int, school: str, fingerprint: str | None
) -> list[tuple[str, str]]:
    which = request.which
    return [
        ("Report", LOG_TITLES.get(request.report, request.report)),
        ("School", school),
        ("Period", which.words()),
        ("Year group", str(which.year_group) if which.year_group else "all"),
        ("Form", which.reg_group or "all"),
        ("Kind", KIND_WORDS.get(which.custody_kind or "", "all")),
        ("Rows", f"{rows:,}"),
        ("Times", f"school-local ({ZONE_NAME}), as Excel date-times"),
        ("Exported", f"{moment_text(to_local(utcnow()))} ({ZONE_NAME})"),
        ("Exported by", staff_name),
        ("School audit fingerprint", fingerprint or "not set up: the audit log is not signed"),
        ("Check a copy", "kiosk verify-log --db COPY --fingerprint FINGERPRINT"),
    ]


def _write_log(
    sessions: Database,
    request: ExportRequest,
    partial: Path,
    staff_name: str,
    progress: Progress | None,
) -> int:
    from kiosk.exports.csv import write_csv, write_log_csv
    from kiosk.exports.xlsx import write_xlsx
    from kiosk.services import settings

    if request.format == "csv":  # free text guarded: CSV cells can run as formulas
        if request.report != "searches":
            return write_log_csv(sessions, _log_kind(request), request.which, partial, progress)
        with partial.open("w", encoding="utf-8", newline="") as out:
            return write_csv(_searches(sessions, request), out, progress)
    school = settings.load(sessions).school_name
    fingerprint = governors.school_fingerprint(sessions)
    with _log_table(sessions, request) as table:
        about = _about(request, staff_name, table.total, school, fingerprint)
        return write_xlsx(table, partial, about, progress)


def _log_kind(request: ExportRequest) -> LogKind:
    return "custody" if request.report == "custody" else "audit"


def _searches(sessions: Database, request: ExportRequest) -> LogTable:
    from kiosk.services.reports.searches_log import searches_table

    return searches_table(sessions, request.which)


def _log_table(sessions: Database, request: ExportRequest) -> AbstractContextManager[LogTable]:
    """The rows to export: the custody or audit log read as it is written out, or the
    searches (few enough to hold)."""
    if request.report == "searches":
        return nullcontext(_searches(sessions, request))
    return open_log(sessions, _log_kind(request), request.which)


def _write_summary(
    sessions: Database, request: ExportRequest, partial: Path, staff_name: str
) -> int:
    from kiosk.exports.pdf import write_summary_pdf

    summary = governors.summary(sessions, request.which)
    write_summary_pdf(summary, partial, staff_name)
    return summary.handins + summary.confiscations


def run_export(
    sessions: Database,
    actor: Actor,
    request: ExportRequest,
    out: Path,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ExportResult:
    """Write one export to ``out`` and record it. ``progress(done, total)`` is called now
    and then; when ``cancelled()`` turns true the export stops and nothing is kept."""
    request = request.checked()
    out = _writable_target(out)
    staff_name = _authorise(sessions, actor, request.report)

    def report_progress(done: int, total: int) -> None:
        if cancelled and cancelled():
            raise ExportCancelled()
        if progress:
            progress(done, total)

    try:
        with _partial_file(out) as partial:
            rows = _write(sessions, request, partial, staff_name, report_progress)
            if cancelled and cancelled():  # a last chance, before the file becomes real
                raise ExportCancelled()
            return _record(sessions, actor, request, rows, partial, out)
    except OSError as exc:
        raise ExportFailed(f"The export could not be written: {exc.strerror or exc}.") from exc


def _write(
    sessions: Database, request: ExportRequest, partial: Path, staff_name: str, progress: Progress
) -> int:
    if request.format != "pdf":
        return _write_log(sessions, request, partial, staff_name, progress)
    progress(0, 1)
    rows = _write_summary(sessions, request, partial, staff_name)
    progress(1, 1)
    return rows


def _record(
    sessions: Database, actor: Actor, request: ExportRequest, rows: int, partial: Path, out: Path
) -> ExportResult:
    """The audit event and the move into place: both happen, or neither."""
    details = {
        "report": request.report,
        "format": request.format,
        "filters": request.which.describe(),
        "rows": rows,
        "file": out.name,
    }
    moved = False
    try:
        with sessions.begin() as session:
            require(session, actor, Action.EXPORT)
            seq = audit.append(session, EventKind.EXPORT, actor, details=details).seq
            os.replace(partial, out)
            moved = True
    except BaseException:
        if moved:  # the commit failed after the move: take the file back out
            out.unlink(missing_ok=True)
        raise
    return ExportResult(out, rows, seq)
