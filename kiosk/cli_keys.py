"""Key commands: ``kiosk keys export / import / show`` and ``kiosk cards rotate-secret``.

The school's card key and PIN pepper live in this kiosk's key store (``<data dir>/keys``),
not in the database. A second kiosk on the same PostgreSQL database, or a new PC restoring
a backup, gets them from a key file an admin exports here and imports there.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.cli import CliError, Context, command, read_pin, staff_login
from kiosk.errors import KioskError
from kiosk.keystore import KeyStore


def _configure_keys(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("export", "import", "show"))
    parser.add_argument("file", nargs="?", type=Path, help="import: the key file")
    parser.add_argument("--out", type=Path, help="export: the key file to write")
    parser.add_argument("--as", dest="as_name", help="an admin's name (PIN: KIOSK_PIN or asked)")


def _export(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.services import key_transfer

    if not args.out or not args.as_name:
        raise CliError("write: kiosk keys export --as NAME --out FILE")
    actor = staff_login(ctx, args.as_name).actor
    try:
        done = key_transfer.export_keys(ctx.sessions, actor, args.out)
    except (KioskError, OSError) as exc:
        raise CliError(str(exc)) from exc
    print(f"Wrote the school's keys to {done.path}, sealed with this transfer code:")
    print(f"    {done.code}")
    print("Write the code down and keep it apart from the file; it is not shown again.")
    return 0


def _import(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.services import key_transfer

    if not args.file:
        raise CliError("write: kiosk keys import FILE --as NAME")
    sessions = ctx.open_without_keys()
    code = read_pin("Transfer code: ", "KIOSK_TRANSFER_CODE")
    store = KeyStore.for_config(ctx.config)
    try:
        pin = read_pin("Admin PIN: ") if args.as_name else ""
        login = (args.as_name or "", pin)
        key_transfer.import_keys(sessions, store, args.file, code, login, ctx.config.kiosk_name)
    except KioskError as exc:
        raise CliError(str(exc)) from exc
    print(f"The school's keys are now in {store.folder}: cards and PINs work on this kiosk.")
    return 0


@command(
    "keys",
    "The school's card key and PIN pepper (kept outside the database): 'export --as NAME "
    "--out FILE' for another kiosk or the school safe, 'import FILE --as NAME', or 'show' "
    "their ids.",
    _configure_keys,
)
def keys_cmd(ctx: Context, args: argparse.Namespace) -> int:
    if args.action == "export":
        return _export(ctx, args)
    if args.action == "import":
        return _import(ctx, args)
    from kiosk.services import school_keys

    with ctx.database.connect() as conn:
        keys = school_keys.of(conn)
    print(f"card key id   {keys.card_id}")
    print(f"PIN pepper id {keys.pepper_id}")
    print(f"kept in       {KeyStore.for_config(ctx.config).folder}")
    return 0


def rotate_card_secret(ctx: Context, args: argparse.Namespace) -> int:
    """``kiosk cards rotate-secret --as ADMIN``."""
    from kiosk.services import card_keys

    if not args.as_name:
        raise CliError("write: kiosk cards rotate-secret --as NAME")
    actor = staff_login(ctx, args.as_name).actor
    try:
        until = card_keys.rotate(ctx.sessions, actor, KeyStore.for_config(ctx.config))
    except (KioskError, OSError) as exc:
        raise CliError(str(exc)) from exc
    print(
        "The school has a new card key. Cards printed before now work until "
        f"{until:%d %b %Y %H:%M} UTC."
    )
    print("Print new cards for everyone: kiosk cards --all --out cards.pdf --as NAME")
    print("Other kiosks on this database need the new key: kiosk keys export / import.")
    return 0
