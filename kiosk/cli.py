"""Registry for the ``kiosk`` sub-commands, and what they share."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config import Config, UnsafeDataDir, ensure_data_dir, load_config
from kiosk.db import Database, open_database
from kiosk.errors import KioskError
from kiosk.keystore import KeyStore
from kiosk.services import staff
from kiosk.services.staff import StaffMember
from kiosk.sqlite_guard import folder_problem

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from kiosk.record.seal import Sealer

Handler = Callable[["Context", argparse.Namespace], int]
Configure = Callable[[argparse.ArgumentParser], None]
COMMANDS: dict[str, tuple[str, Configure, Handler]] = {}


class CliError(Exception):
    """A plain-words failure: printed without a traceback, exit status 2."""


def confirm(question: str, assume_yes: bool) -> bool:
    """The person's yes to ``question`` (or ``--yes``); without a terminal to ask on, a
    CliError saying to run again with ``--yes``."""
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        raise CliError(f"{question} Run again with --yes to go ahead.")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def command(
    name: str, help_text: str, configure: Configure | None = None
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        COMMANDS[name] = (help_text, configure or (lambda _p: None), handler)
        return handler

    return register


@dataclass
class Context:
    config: Config
    sealer: Sealer | None = None  # signs the audit chain's heads (once the database is open)
    unsigned_because: str = ""

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Context:
        data_dir = Path(args.data_dir) if getattr(args, "data_dir", None) else None
        return cls(load_config(data_dir))

    @cached_property
    def database(self) -> Database:
        """Open (and upgrade) the database; set up the install on first use."""
        from kiosk.services import settings

        database = self.open_without_keys()
        try:
            settings.ensure_install(database, KeyStore.for_config(self.config))
        except KioskError as exc:
            raise CliError(str(exc)) from exc
        self._start_sealing(database.engine)
        return database

    def open_without_keys(self) -> Database:
        """Open (and upgrade) the database with the data folder made private, but without
        the school's keys: for the commands that bring them (``kiosk keys import``)."""
        try:
            ensure_data_dir(self.config)
        except UnsafeDataDir as exc:
            raise CliError(str(exc)) from exc
        problem = folder_problem(self.config.data_dir)
        if problem is not None:  # said at once; the kiosk still starts, and says so too
            print(
                f"kiosk: {problem}: nothing can be saved there until it is fixed", file=sys.stderr
            )
        try:
            return open_database(self.config.database_url)
        except Exception as exc:  # the driver's own words are useful to an admin here
            cause = exc.__cause__ if isinstance(exc, KioskError) and exc.__cause__ else exc
            raise CliError(f"cannot open the database: {cause}") from exc

    def _start_sealing(self, engine: Engine) -> None:
        """Sign every audit event this process appends, when this kiosk is enrolled."""
        from kiosk.keystore import KeyStore, KeyStoreError
        from kiosk.record import seal

        store = KeyStore.for_config(self.config)
        try:
            self.sealer, self.unsigned_because = seal.load(
                engine, store, self.config.kiosk_name, self.config.anchor_dir
            )
        except KeyStoreError as exc:
            self.sealer, self.unsigned_because = None, str(exc)

    @property
    def sessions(self) -> Database:
        return self.database


def read_pin(prompt: str, env: str = "KIOSK_PIN", *, confirm: str | None = None) -> str:
    """A PIN from the environment variable ``env`` (for scripts: unlike a command-line
    argument, a process's environment is not shown to other users of the machine), else one
    line of standard input when that is not a terminal (a pipe), else typed at the
    terminal without echo (twice, when ``confirm`` gives the second prompt)."""
    import getpass
    import sys

    given = os.environ.get(env)
    if given:
        return given
    if not sys.stdin.isatty():
        line = sys.stdin.readline().strip()
        if not line:
            raise CliError(f"a PIN is needed: set {env} or run the command in a terminal")
        return line
    try:
        pin = getpass.getpass(prompt)
        if confirm is not None and getpass.getpass(confirm) != pin:
            raise CliError("the two PINs differ: nothing was changed")
    except (EOFError, KeyboardInterrupt) as exc:
        raise CliError("no PIN given") from exc
    return pin


def add_login(parser: argparse.ArgumentParser) -> None:
    """``--as NAME`` for a command that acts as a member of staff (the PIN: KIOSK_PIN or
    the prompt, never an argument)."""
    parser.add_argument("--as", dest="as_name", required=True, help="your staff name")


def cli_terminal(config: Config) -> str:
    return staff.command_line(config.kiosk_name)


def staff_login(ctx: Context, name: str) -> StaffMember:
    """Check a staff PIN for a CLI command (asks for it when not given)."""
    members = {m.name.lower(): m for m in staff.list_staff(ctx.sessions)}
    member = members.get(name.strip().lower())
    if member is None:
        raise CliError(f"no active staff member called {name!r} ('kiosk staff list' shows them)")
    typed = read_pin(f"PIN for {member.name}: ")
    try:
        return staff.check_pin(ctx.sessions, member.id, typed, terminal=cli_terminal(ctx.config))
    except KioskError as exc:
        raise CliError(str(exc)) from exc
