"""The ``kiosk`` command line. ``kiosk --help`` lists the commands."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

# Command modules register themselves in kiosk.cli.COMMANDS when imported.
import kiosk.cli_admin as _cli_admin  # noqa: F401  (registers the admin commands)
import kiosk.cli_contacts as _cli_contacts  # noqa: F401  (registers contacts)
import kiosk.cli_core as _cli_core  # noqa: F401  (registers run, demo, db, staff)
import kiosk.cli_keys as _cli_keys  # noqa: F401  (registers keys)
import kiosk.cli_lockers as _cli_lockers  # noqa: F401  (registers lockers)
import kiosk.cli_record as _cli_record  # noqa: F401  (registers verify-log, audit-keys)
import kiosk.cli_reports as _cli_reports  # noqa: F401  (registers export, purge, backup, restore)
import kiosk.cli_setup as _cli_setup  # noqa: F401  (registers setup)
from kiosk.cli import COMMANDS, CliError, Context
from kiosk.errors import KioskError

EXIT_CODES = """exit status: 0 done; 1 a check found a problem (verify-log: the audit log is
broken); 2 refused or not possible (bad arguments, wrong PIN, not allowed, unreadable
file: the message says why); 3 an unexpected fault (details in the data folder's
kiosk-errors.log)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="Device hand-in kiosk: phones handed in at the school office, kept in "
        "numbered slots, given back to the right person.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    words = list(sys.argv[1:] if argv is None else argv)
    if any(word == "--pin" or word.startswith("--pin=") for word in words):
        # Refused before argparse, which would echo the PIN back in its error.
        print(
            "kiosk: a PIN is never given on the command line (other users of the machine can "
            "see it): set KIOSK_PIN, or type it when asked.",
            file=sys.stderr,
        )
        return 2
    args = parser.parse_args(words)
    if not args.command:
        parser.print_help()
        return 0
    handler: Callable[[Context, argparse.Namespace], int] = COMMANDS[args.command][2]
    context: Context | None = None
    try:
        context = Context.from_args(args)
        status = handler(context, args)
        sys.stdout.flush()  # inside the try: a reader that went away is caught below
        return status
    except (CliError, KioskError) as exc:
        print(f"kiosk {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`kiosk slots list | head -1`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"kiosk {args.command}: stopped.", file=sys.stderr)
        return 130
    except Exception as exc:
        return _unexpected(args.command, exc, context)


def _unexpected(name: str, exc: Exception, context: Context | None) -> int:
    """One line for the person at the terminal; the traceback goes to a log file."""
    import traceback

    log = f"{context.config.data_dir / 'kiosk-errors.log'}" if context else None
    where = ""
    if log is not None:
        try:
            with open(log, "a", encoding="utf-8") as fh:
                traceback.print_exception(exc, file=fh)
            where = f" (details in {log})"
        except OSError:
            pass
    if _is_database_error(exc):
        print(
            f"kiosk {name}: the database could not be used: {_first_line(exc)}{where}",
            file=sys.stderr,
        )
        return 2
    print(
        f"kiosk {name}: unexpected error: {type(exc).__name__}: {_first_line(exc)}{where}",
        file=sys.stderr,
    )
    return 3


def _is_database_error(exc: BaseException) -> bool:
    from sqlalchemy.exc import SQLAlchemyError

    return isinstance(exc, SQLAlchemyError)


def _first_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    return (str(cause).strip().splitlines() or [""])[0][:200]


if __name__ == "__main__":
    sys.exit(main())
