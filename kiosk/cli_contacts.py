"""``kiosk contacts import FILE --as NAME``: the pupils' contacts from the MIS's contacts
export, checked and shown like the roster, then imported all rows or none."""

from __future__ import annotations

import argparse

from kiosk.cli import CliError, Context, add_login, command, staff_login
from kiosk.cli_admin import add_file_import_args, overrides_of, print_file_check
from kiosk.errors import KioskError


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("import",))
    add_file_import_args(
        parser,
        "the contacts CSV exported from the MIS",
        "'Carer=name' or 'Collect=may_collect' or 'Notes=ignore'",
    )
    add_login(parser)


@command(
    "contacts",
    "Import the pupils' contacts from the MIS's contacts export (all rows or none).",
    _configure,
)
def contacts(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.services import contacts_check, contacts_import, roster_file
    from kiosk.services.contacts_columns import CONTACTS

    actor = staff_login(ctx, args.as_name).actor
    try:
        table = roster_file.load_roster_file(args.file, CONTACTS)
        checked = contacts_check.check_table(table, overrides_of(args.mapping))
        preview = contacts_import.preview(ctx.sessions, checked)
    except KioskError as exc:
        raise CliError(str(exc)) from exc
    print_file_check(table, checked.columns, CONTACTS.labels, preview)
    if preview.errors:
        print("Nothing was imported: fix the problems above (or the column choices) first.")
        return 1
    print(f"The import would give: {preview.summary()}.")
    if args.dry_run:
        print("Dry run: nothing was imported.")
        return 0
    try:
        result = contacts_import.apply(ctx.sessions, actor, checked)
    except KioskError as exc:
        raise CliError(str(exc)) from exc
    print(f"Imported: {result.summary()}.")
    return 0
