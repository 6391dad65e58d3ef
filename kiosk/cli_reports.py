"""Report and data-care commands: export, purge, backup, restore.

Exports and the purge log in a staff member (``--as NAME``; the PIN is asked for, or
KIOSK_PIN in scripts) so the audit log names who did it. An export goes where ``--out``
says, or into the data directory's ``exports`` folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.cli import CliError, Context, add_login, command, confirm, read_pin, staff_login
from kiosk.errors import KioskError

if TYPE_CHECKING:
    from kiosk.exports.run import ExportRequest, Format, Report


def _date(text: str) -> dt.date:
    """A date as a school office writes it: 2026-09-01, or the UK's 01/09/2026 (also
    1/9/2026, 01-09-2026, 01.09.2026: day first)."""
    cleaned = text.strip()
    try:
        if cleaned[:4].isdigit() and cleaned[4:5] == "-":
            return dt.date.fromisoformat(cleaned)
        day, month, year = (
            int(part) for part in cleaned.replace("-", "/").replace(".", "/").split("/")
        )
        return dt.date(year if year > 99 else 2000 + year, month, day)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date like 2026-09-01 or 01/09/2026"
        ) from exc


FORMATS: dict[str, Format] = {".csv": "csv", ".xlsx": "xlsx", ".pdf": "pdf"}


def _format_of(args: argparse.Namespace) -> Format:
    """The export's format: --format, or the --out file's extension; the two must agree (an
    Excel file named .csv does not open as one)."""
    by_name = FORMATS.get(args.out.suffix.lower()) if args.out else None
    if args.out is not None and by_name is None:
        raise CliError(f"--out must end in .csv, .xlsx or .pdf (not {args.out.name!r})")
    chosen: Format | None = args.format or by_name
    if chosen is None:
        raise CliError("say which format: --format csv, xlsx or pdf (or --out FILE.csv ...)")
    if by_name is not None and by_name != chosen:
        raise CliError(f"--format {chosen} does not match the file name {args.out.name!r}")
    if chosen == "pdf" and args.kind is not None:
        raise CliError(
            "--kind is for the CSV and XLSX logs: the PDF is the governors' summary of both"
        )
    return chosen


# --- export -------------------------------------------------------------------------------


def _configure_export(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from",
        dest="date_from",
        type=_date,
        required=True,
        metavar="DATE",
        help="the first day: 01/09/2026 (day first) or 2026-09-01",
    )
    parser.add_argument(
        "--to", dest="date_to", type=_date, required=True, metavar="DATE", help="the last day"
    )
    parser.add_argument(
        "--format",
        choices=["csv", "xlsx", "pdf"],
        help="csv or xlsx for a log; pdf for the summary for governors (default: from --out)",
    )
    parser.add_argument(
        "--kind",
        choices=["custody", "audit", "searches"],
        help="which log (csv/xlsx): one row per device stay (custody, the default), every "
        "audit event, or the search records (senior staff)",
    )
    parser.add_argument("--year", type=int, help="only pupils in this year group")
    parser.add_argument("--form", help="only pupils in this form, e.g. 7B")
    parser.add_argument("--custody-kind", choices=["daily", "confiscation"])
    parser.add_argument("--out", type=Path, help="the file to write (default: the exports folder)")
    add_login(parser)


def _request(args: argparse.Namespace) -> ExportRequest:
    from kiosk.exports.run import ExportRequest
    from kiosk.services.reports.filter import ReportFilter

    which = ReportFilter(args.date_from, args.date_to, args.year, args.form, args.custody_kind)
    chosen = _format_of(args)
    report: Report = "summary" if chosen == "pdf" else (args.kind or "custody")
    return ExportRequest(report, chosen, which)


class _Progress:
    """A percentage on stderr, for a person watching a terminal."""

    def __init__(self) -> None:
        self.shown = -1
        self.live = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if self.live and percent // 10 != self.shown // 10:
            self.shown = percent
            print(f"\r  {percent:3d}%", end="", file=sys.stderr, flush=True)

    def end(self) -> None:
        if self.live and self.shown >= 0:
            print(file=sys.stderr)


@command(
    "export",
    "Export the custody or audit log or the search records (CSV, XLSX), or the PDF summary.",
    _configure_export,
)
def export(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.exports.run import default_path, run_export

    try:
        request = _request(args).checked()
        actor = staff_login(ctx, args.as_name).actor
        out = args.out
        if out is None:
            ctx.config.export_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            out = default_path(ctx.config.export_dir, request)
        progress = _Progress()
        try:
            result = run_export(ctx.sessions, actor, request, out, progress)
        finally:
            progress.end()
    except KioskError as exc:
        raise CliError(str(exc)) from exc
    noun = "records summarised" if request.report == "summary" else "rows"
    print(f"Wrote {result.path} ({result.rows:,} {noun}; audit event #{result.audit_seq}).")
    return 0


# --- purge --------------------------------------------------------------------------------


def _configure_purge(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would be purged, change nothing"
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_login(parser)


@command(
    "purge",
    "Remove the personal data of pupils who left longer ago than the retention period.",
    _configure_purge,
)
def purge(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.services import purge_copies, retention

    try:
        actor = staff_login(ctx, args.as_name).actor
        plan = retention.purge(ctx.sessions, actor, dry_run=True)
        files = purge_copies.purge_copies(
            ctx.config, ctx.sessions, actor, dry_run=True, also=plan.pupil_ids
        )
        print(plan.describe())
        print(files.describe())
        if args.dry_run or plan.pupils + files.count == 0:
            return 0
        if not confirm("Purge them now? This cannot be undone.", args.yes):
            print("Nothing purged.")
            return 1
        done = retention.purge(ctx.sessions, actor)
        removed = purge_copies.purge_copies(ctx.config, ctx.sessions, actor)
    except KioskError as exc:
        raise CliError(str(exc)) from exc
    if done.audit_seq is not None:
        print(f"Done: audit event #{done.audit_seq} records it.")
    print(done.describe())
    print(removed.describe())
    return 0


# --- backup and restore -------------------------------------------------------------------


BACKUPS_KEPT = """\
Which backups are kept (SQLite; in the data folder's backups/ folder):
  - a backup made with this command or the Backups page's "Back up now", and the copy a
    restore keeps of the records it replaced (pre-restore), are never deleted by the
    kiosk: delete them yourself when they are no longer needed;
  - the kiosk makes an automatic backup each day it runs, and keeps the newest of each of
    the last 14 days that have one, of the last 8 weeks and of the last 12 months, and
    any holding records the current database lacks (the school settings
    backup_keep_daily, backup_keep_weekly and backup_keep_monthly change the numbers,
    e.g. kiosk settings set backup_keep_daily 20 --as ADMIN);
  - a backup that fails part-way (a full disk) is removed, never kept as a backup;
  - kiosk purge removes every backup older than the retention period (they hold the
    details of pupils who have left).
"""


def _configure_backup(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = BACKUPS_KEPT
    parser.add_argument("--list", action="store_true", help="list the backups, make none")


@command("backup", "Back up the database now (SQLite), or --list the backups.", _configure_backup)
def backup(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.services import backup as backups

    if args.list:
        found = backups.list_backups(ctx.config.backup_dir)
        for info in found:
            print(
                f"{info.made_at:%Y-%m-%d %H:%M:%S}  {info.kind:<11} {info.size:>12,}  {info.path}"
            )
        if not found:
            print(f"No backups yet in {ctx.config.backup_dir}.")
        return 0
    try:
        info = backups.make_backup(ctx.config)
    except KioskError as exc:
        raise CliError(str(exc)) from exc
    print(f"Backed up to {info.path} ({info.size:,} bytes).")
    print("A backup made by hand is kept until you delete it (see kiosk backup --help).")
    return 0


def _configure_restore(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the backup file to restore")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--fingerprint",
        help="the school audit fingerprint (from the recovery sheet): needed on a new PC, "
        "where no signed log says which school's backups to trust",
    )
    add_login(parser)  # an admin: the PIN is checked by the restore itself


@command(
    "restore",
    "Restore a backup after checking it (admin PIN; integrity, exact schema, audit chain, "
    "records against the log, and an earlier state of this kiosk's own log).",
    _configure_restore,
)
def restore(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.services import restore as restoring

    question = (
        f"Replace the current database with {args.file}? Anything recorded since that "
        "backup is set aside (the current database is kept as a pre-restore backup)."
    )
    if not confirm(question, args.yes):
        print("Nothing restored.")
        return 1
    try:
        result = restoring.restore(
            ctx.config,
            args.file,
            admin_name=args.as_name,
            pin=read_pin("Admin PIN: "),
            fingerprint=args.fingerprint,
        )
    except KioskError as exc:
        raise CliError(str(exc)) from exc
    print(f"Restored {result.restored_from}: audit chain intact, {result.events:,} events.")
    if result.pre_restore_backup:
        print(
            f"The database it replaced is kept as {result.pre_restore_backup} "
            f"({result.events_set_aside:,} events recorded after the backup are kept there)."
        )
    if result.accounts_without_pin:
        names = ", ".join(result.accounts_without_pin)
        print(f"These accounts need a new PIN (kiosk staff reset-pin): {names}.")
    print("Restart any kiosk that is running so it starts afresh.")
    return 0
