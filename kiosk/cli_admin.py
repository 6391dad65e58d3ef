"""Admin commands: import-roster, import-photos, cards, labels, slots, settings.

Every command that changes something logs in a staff member (``--as NAME``; the PIN is
asked for, or KIOSK_PIN in scripts) so the audit log names who did it.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.cli import CliError, Context, add_login, command, confirm, staff_login
from kiosk.errors import KioskError
from kiosk.services.audit import Actor

if TYPE_CHECKING:  # the modules themselves load when a command runs: `kiosk --help` stays quick
    from kiosk.services.card_runs import CardSelection
    from kiosk.services.roster import RosterPreview
    from kiosk.services.roster_check import WithProblems
    from kiosk.services.roster_file import RawTable


def _actor(ctx: Context, args: argparse.Namespace) -> Actor:
    return staff_login(ctx, args.as_name).actor


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


# --- import-roster ----------------------------------------------------------------------


def add_file_import_args(parser: argparse.ArgumentParser, file_help: str, examples: str) -> None:
    """The file, --dry-run and --mapping (``examples``: of COLUMN=FIELD) of an MIS import."""
    parser.add_argument("file", type=Path, help=file_help)
    parser.add_argument("--dry-run", action="store_true", help="check and show, import nothing")
    parser.add_argument(
        "--mapping",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help=f"say what a column means, e.g. {examples} (repeat as needed)",
    )


def _configure_import_roster(parser: argparse.ArgumentParser) -> None:
    examples = "'Known As=preferred_forename' or '3=surname' or 'Gender=ignore'"
    add_file_import_args(parser, "the CSV exported from the MIS", examples)
    parser.add_argument(
        "--confirm-leavers",
        action="store_true",
        help="go ahead even though many pupils would be marked as left",
    )
    add_login(parser)


def overrides_of(pairs: list[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        column, sep, field = pair.partition("=")
        if not sep or not column.strip():
            raise CliError(f"--mapping {pair!r}: write COLUMN=FIELD")
        overrides[column.strip()] = field.strip()
    return overrides


def print_file_check(
    table: RawTable,
    columns: Sequence[object | None],
    labels: Mapping[Any, str],
    checked: WithProblems,
) -> None:
    """What was read from an MIS export, what each column means, and its problems."""
    where = f"header on line {table.header_line}" if table.header_line else "no header row"
    print(f"Read {len(table.rows)} rows ({table.encoding}, {where}).")
    print("Columns:")
    width = max(len(h) for h in table.headers)
    for header, field in zip(table.headers, columns, strict=True):
        meaning = labels[field] if field else "(not used)"
        print(f"  {header:<{width}}  ->  {meaning}")
    for title, problems in (("Problems", checked.errors), ("Warnings", checked.warnings)):
        if problems:
            print(f"{title} ({len(problems)}):")
            for problem in problems:
                print(f"  {problem.describe()}")


def _print_roster_check(preview: RosterPreview) -> None:
    from kiosk.services.roster_columns import FIELD_LABELS

    print_file_check(preview.checked.table, preview.checked.columns, FIELD_LABELS, preview)
    if not preview.errors:
        print(f"The import would give: {preview.summary()}.")


@command(
    "import-roster",
    "Import pupils from the MIS's CSV export (all rows or none).",
    _configure_import_roster,
)
def import_roster(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.services import roster, roster_check, roster_file

    actor = _actor(ctx, args)
    try:
        table = roster_file.load_roster_file(args.file)
        checked = roster_check.check_table(table, overrides_of(args.mapping))
        preview = roster.preview(ctx.sessions, checked)
    except KioskError as exc:
        raise CliError(str(exc)) from exc
    _print_roster_check(preview)
    if preview.errors:
        print("Nothing was imported: fix the problems above (or the column choices) first.")
        return 1
    if args.dry_run:
        print("Dry run: nothing was imported.")
        return 0
    if not preview.changes_anything:
        print("Nothing to import: the records already match this file.")
        return 0
    if preview.leavers_need_confirmation and not args.confirm_leavers:
        print(
            f"Nothing was imported: {len(preview.leavers)} pupils would be marked as left. "
            "If this file really is the whole school's roster, run again with --confirm-leavers."
        )
        return 1
    try:
        result = roster.apply(
            ctx.sessions, actor, preview.checked, confirm_leavers=args.confirm_leavers
        )
    except KioskError as exc:
        raise CliError(str(exc)) from exc
    print(f"Imported: {result.summary()}.")
    return 0


# --- import-photos ----------------------------------------------------------------------


def _configure_import_photos(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, help="images named by admission number or UPN")
    add_login(parser)


@command(
    "import-photos",
    "Import pupil photos from a folder of images named by admission number or UPN.",
    _configure_import_photos,
)
def import_photos(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.services import photos

    actor = _actor(ctx, args)
    try:
        report = photos.import_folder(ctx.sessions, actor, args.folder)
    except KioskError as exc:
        raise CliError(str(exc)) from exc
    print(f"Photos: {report.summary()}.")
    for name in report.unmatched:
        print(f"  not matched to a pupil on roll: {name}")
    for problem in (*report.unreadable, *report.duplicates):
        print(f"  {problem.name}: {problem.reason}")
    return 0


# --- cards ----------------------------------------------------------------------------


def _configure_cards(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("rotate-secret",), help="new card key")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--pupil", metavar="ADMISSION_NUMBER", help="one pupil")
    which.add_argument("--form", help="a registration group, e.g. 7B")
    which.add_argument("--year", help="a year group, e.g. 7 or R")
    which.add_argument("--all", action="store_true", help="every pupil on roll")
    parser.add_argument(
        "--reissue", action="store_true", help="new cards: the pupils' old cards stop working"
    )
    parser.add_argument("--yes", action="store_true", help="no questions (for scripts)")
    parser.add_argument("--out", type=Path, help="the PDF to write")
    add_login(parser)


def _card_selection(args: argparse.Namespace) -> CardSelection:
    from kiosk.services.card_runs import CardSelection
    from kiosk.services.roster_check import parse_year_group

    if args.pupil:
        return CardSelection(admission_number=args.pupil)
    if args.form:
        return CardSelection(form=args.form)
    if args.year:
        year = parse_year_group(args.year)
        if year is None:
            raise CliError(f"--year {args.year!r} is not a year group")
        return CardSelection(year=year)
    return CardSelection(everyone=True)


@command(
    "cards",
    "Print pupil cards (CR80, 10 to an A4 page) to a PDF; --reissue replaces old cards.",
    _configure_cards,
)
def cards_cmd(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.cli_keys import rotate_card_secret
    from kiosk.printing import cards as card_sheet
    from kiosk.services import card_runs

    if args.action == "rotate-secret":
        return rotate_card_secret(ctx, args)
    if args.out is None or not (args.pupil or args.form or args.year or args.all):
        raise CliError("say which cards (--pupil, --form, --year or --all) and --out FILE")
    selection = _card_selection(args)
    question = f"Reissue cards for {selection.describe()}? Their current cards will stop working."
    if args.reissue and not confirm(question, args.yes):
        print("Nothing was changed.")
        return 1
    actor = _actor(ctx, args)
    try:
        batch = card_runs.prepare_cards(
            ctx.sessions,
            actor,
            selection,
            fits_on_card=card_sheet.check_code_fits,
            reissue=args.reissue,
        )
        pages = card_sheet.write_card_sheet(batch, args.out)
    except KioskError as exc:
        raise CliError(str(exc)) from exc
    except OSError as exc:
        raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
    print(
        f"Wrote {_count(len(batch.faces), 'card')} ({_count(pages, 'page')}) "
        f"to {args.out}: "
        f"{batch.issued} new, {batch.reissued} reissued."
    )
    return 0


# --- labels ---------------------------------------------------------------------------


def _configure_labels(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="the PDF to write")
    parser.add_argument("--from", dest="first", type=int, help="first slot number")
    parser.add_argument("--to", dest="last", type=int, help="last slot number")
    add_login(parser)


@command(
    "labels", "Print slot labels (21 to an A4 label sheet, L7160) to a PDF.", _configure_labels
)
def labels_cmd(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.printing.labels import write_label_sheet
    from kiosk.services.slot_labels import prepare_labels

    actor = _actor(ctx, args)
    try:
        labels = prepare_labels(ctx.sessions, actor, args.first, args.last)
        pages = write_label_sheet(labels, args.out)
    except KioskError as exc:
        raise CliError(str(exc)) from exc
    except OSError as exc:
        raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
    print(f"Wrote {_count(len(labels), 'label')} ({_count(pages, 'page')}) to {args.out}.")
    return 0


# --- slots ----------------------------------------------------------------------------

SLOT_ACTIONS = ("list", "add", "remove", "cabinet", "reserve", "unreserve", "out", "in")


def _configure_slots(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=SLOT_ACTIONS)
    parser.add_argument("number", nargs="?", type=int, help="the slot, for 'out' and 'in'")
    parser.add_argument("--from", dest="first", type=int)
    parser.add_argument("--to", dest="last", type=int)
    parser.add_argument("--cabinet", default="A", help="cabinet name (add, cabinet)")
    parser.add_argument("--reserved", action="store_true", help="add: keep for confiscations")
    parser.add_argument("--reason", default="", help="out: why it is out of service")
    parser.add_argument("--as", dest="as_name", help="your staff name (to change slots)")
    parser.add_argument(
        "--pin",
        help="your PIN, for scripts (visible to other users: prefer KIOSK_PIN or the prompt)",
    )


def _list_slots(ctx: Context) -> int:
    from kiosk.services.slot_admin import list_slot_rows

    for row in list_slot_rows(ctx.sessions):
        flags = [
            "" if row.in_service else "OUT OF SERVICE",
            "reserved" if row.reserved_for_confiscation else "",
            f"holds a {row.holding} device" if row.holding else "",
        ]
        print(f"{row.number:>5}  {row.cabinet:<20} {' '.join(f for f in flags if f)}")
    return 0


def _slot_range(args: argparse.Namespace) -> tuple[int, int]:
    if args.first is None:
        raise CliError(f"'slots {args.action}' needs --from (and --to)")
    return args.first, args.last if args.last is not None else args.first


def _change_slots(ctx: Context, args: argparse.Namespace, actor: Actor) -> str:
    from kiosk.services import slot_admin, slots

    if args.action in ("out", "in"):
        if args.number is None:
            raise CliError(f"'slots {args.action}' needs the slot number")
        slots.set_in_service(ctx.sessions, actor, args.number, args.action == "in", args.reason)
        return f"Slot {args.number} is {'back in' if args.action == 'in' else 'out of'} service."
    first, last = _slot_range(args)
    if args.action == "add":
        added = slots.add_slots(
            ctx.sessions, actor, first, last, args.cabinet, reserved=args.reserved
        )
        return f"Added {added} slots ({last - first + 1 - added} already existed)."
    if args.action == "remove":
        removed = slot_admin.remove_slots(ctx.sessions, actor, first, last)
        return f"Removed {removed.removed} slots; {removed.retired} used before are out of service."
    if args.action == "cabinet":
        count = slot_admin.set_cabinet(ctx.sessions, actor, first, last, args.cabinet)
        return f"{count} slots are now in cabinet {args.cabinet}."
    reserved = args.action == "reserve"
    count = slot_admin.set_reserved_range(ctx.sessions, actor, first, last, reserved)
    return f"{count} slots {'reserved for' if reserved else 'no longer kept for'} confiscations."


@command(
    "slots",
    "Slots: list, add/remove --from N --to M, cabinet, reserve/unreserve, out/in NUMBER.",
    _configure_slots,
)
def slots_cmd(ctx: Context, args: argparse.Namespace) -> int:
    if args.action == "list":
        return _list_slots(ctx)
    if not args.as_name:
        raise CliError("changing slots needs --as NAME")
    actor = staff_login(ctx, args.as_name).actor
    try:
        print(_change_slots(ctx, args, actor))
    except KioskError as exc:
        raise CliError(str(exc)) from exc
    return 0


# --- settings -------------------------------------------------------------------------


def _configure_settings(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("show", "set"))
    parser.add_argument("key", nargs="?", help="e.g. school_name, handin_opens, sound")
    parser.add_argument("value", nargs="?")
    parser.add_argument("--yes", action="store_true", help="no questions (for scripts)")
    parser.add_argument("--as", dest="as_name", help="your staff name (to change settings)")
    parser.add_argument(
        "--pin",
        help="your PIN, for scripts (visible to other users: prefer KIOSK_PIN or the prompt)",
    )


@command(
    "settings",
    "School settings: 'show', or 'set KEY VALUE' (school_name, school_code, times, sound, "
    "retention_days).",
    _configure_settings,
)
def settings_cmd(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.services import settings

    if args.action == "show":
        with ctx.sessions() as session:
            for key in settings.DEFAULTS:
                print(f"{key:<20} {settings.get_value(session, key)}")
        return 0
    if not args.key or args.value is None:
        raise CliError("write: kiosk settings set KEY VALUE --as NAME")
    if not args.as_name:
        raise CliError("changing settings needs --as NAME")
    question = "Changing the school code stops every printed card working until reprinted."
    if args.key == "school_code" and not confirm(question + " Go ahead?", args.yes):
        print("Nothing was changed.")
        return 1
    actor = staff_login(ctx, args.as_name).actor
    try:
        settings.update(ctx.sessions, actor, {args.key: args.value})
    except KioskError as exc:
        raise CliError(str(exc)) from exc
    print(f"{args.key} is now {args.value.strip()}.")
    return 0
