"""The ``kiosk`` command line. ``kiosk --help`` lists the commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

# Command modules register themselves in kiosk.cli.COMMANDS when imported.
import kiosk.cli_admin
import kiosk.cli_keys  # noqa: F401  (registers keys)
import kiosk.cli_reports as _cli_reports  # noqa: F401  (registers export, purge, backup, restore)
from kiosk import cli_core  # noqa: F401  (registers run, demo, verify-log, db, staff)
from kiosk.cli import COMMANDS, CliError, Context


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="Device hand-in kiosk: phones handed in at the school office, kept in "
        "numbered slots, given back to the right person.",
    )
    parser.add_argument(
        "--data-dir", help="data directory (default: the user data dir, or KIOSK_DATA_DIR)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, configure, _handler) in sorted(COMMANDS.items()):
        configure(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    handler: Callable[[Context, argparse.Namespace], int] = COMMANDS[args.command][2]
    try:
        return handler(Context.from_args(args), args)
    except CliError as exc:
        print(f"kiosk {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
