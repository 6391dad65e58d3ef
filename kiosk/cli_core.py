"""Core commands: run, demo, db upgrade, staff (verify-log: kiosk.cli_record)."""

from __future__ import annotations

import argparse

from kiosk.cli import CliError, Context, command, read_pin, staff_login
from kiosk.errors import KioskError


def _run_gui(ctx: Context) -> int:
    import sys

    from kiosk.record import seal
    from kiosk.ui.app import run_app

    sessions = ctx.sessions
    if ctx.sealer is not None:
        ctx.sealer.rotate_if_due(sessions)
        seal.start_daily_rotation(ctx.sealer, sessions)
    elif ctx.unsigned_because != seal.NOT_SET_UP:  # signed elsewhere, but not by this kiosk
        print(f"Warning: the audit log is not signed here: {ctx.unsigned_because}", file=sys.stderr)
    return run_app(ctx.config, sessions)


def _configure_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--windowed", action="store_true", help="not full screen")
    parser.add_argument(
        "--camera", help="camera index, video file or image folder; 'none' for scanner only"
    )


def _apply_run_options(ctx: Context, args: argparse.Namespace) -> None:
    from dataclasses import replace

    if getattr(args, "windowed", False):
        ctx.config = replace(ctx.config, fullscreen=False)
    if getattr(args, "camera", None):
        ctx.config = replace(ctx.config, camera="" if args.camera == "none" else args.camera)


@command("run", "Run the kiosk (the pupil screen and the staff console).", _configure_run)
def run(ctx: Context, args: argparse.Namespace) -> int:
    _apply_run_options(ctx, args)
    return _run_gui(ctx)


def _configure_demo(parser: argparse.ArgumentParser) -> None:
    _configure_run(parser)
    parser.add_argument("--no-run", action="store_true", help="create the demo data only")
    parser.add_argument("--pupils", type=int, default=300)
    parser.add_argument("--slots", type=int, default=120)
    parser.add_argument("--days", type=int, default=5, help="school days of history (a week)")
    parser.add_argument(
        "--lockers",
        action="store_true",
        help="a new demo's slots 1-32 behind a simulated KR-CU16 locker bank",
    )


@command(
    "demo", "Create a demo school when the database is empty, then run the kiosk.", _configure_demo
)
def demo(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.demo import DEMO_STAFF, build_demo, is_empty

    _apply_run_options(ctx, args)
    if args.lockers and args.no_run:
        raise CliError("--lockers simulates the bank while the kiosk runs: leave out --no-run")
    if is_empty(ctx.sessions):
        print(f"Creating a demo school in {ctx.config.data_dir} ...", flush=True)
        school = build_demo(ctx.sessions, pupils=args.pupils, slot_count=args.slots, days=args.days)
        print("Demo staff (shown once; change them before real use):")
        for member in DEMO_STAFF:
            print(f"  {member.name:<20} role {member.role:<7} PIN {member.pin}")
        if args.lockers:
            from kiosk.cli_lockers import demo_bank

            demo_bank(ctx.sessions, school.actors["admin"])
    else:
        if args.lockers:
            raise CliError("--lockers sets up a new demo only: give an empty KIOSK_DATA_DIR")
        print("The database already holds a school: running it as it is.")
    if args.no_run:
        return 0
    return _run_gui(ctx)


def _configure_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["upgrade", "current", "grant"])
    parser.add_argument(
        "--kiosk-role", help="grant: the PostgreSQL role the kiosks connect as (not the owner)"
    )


@command(
    "db",
    "Database schema: 'upgrade' to the latest, 'current' to show it; on PostgreSQL, run as "
    "the owner, 'grant --kiosk-role NAME' gives the kiosks' role its rights (audit log: "
    "insert only).",
    _configure_db,
)
def db(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.migrate import show_current
    from kiosk.services import pg_roles

    database = ctx.open_without_keys()  # opening upgrades already; no keys needed
    if args.action == "current":
        show_current(database.engine)
    elif args.action == "grant":
        if not args.kiosk_role:
            raise CliError("write: kiosk db grant --kiosk-role NAME (as the owner role)")
        try:
            done = pg_roles.grant(database.engine, args.kiosk_role)
        except KioskError as exc:
            raise CliError(str(exc)) from exc
        print(f"The role {args.kiosk_role} may now use the kiosk's tables ({len(done)} grants);")
        print("it may only add to the audit log. Run this again after every 'kiosk db upgrade'.")
    else:
        print("Database schema is up to date.")
    return 0


STAFF_ACTIONS = ("list", "add", "deactivate", "reactivate", "reset-pin", "role", "unlock")


def _configure_staff(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=STAFF_ACTIONS)
    parser.add_argument("--name", help="the staff member to add or change")
    parser.add_argument("--role", choices=["office", "senior", "admin"])
    parser.add_argument("--as", dest="as_name", help="your own (admin) name; your PIN is asked")


@command(
    "staff",
    "Staff accounts: list, add (the first account must be an admin), deactivate, "
    "reactivate, reset-pin, role, unlock (after wrong PINs). Changes need an admin (--as NAME).",
    _configure_staff,
)
def staff_cmd(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.services import staff

    if args.action == "list":
        members = staff.list_staff(ctx.sessions, include_inactive=True)
        if not members:
            print("No staff accounts yet. Add the first admin with:")
            print("  kiosk staff add --name 'YOUR NAME' --role admin")
        for member in members:
            state = "active" if member.active else "inactive"
            state += ", locked after wrong PINs" if member.locked else ""
            print(f"{member.id:>4}  {member.name:<30} {member.role:<7} {state}")
        return 0
    if not args.name:
        raise CliError("--name is needed")
    if args.action == "add":
        return _add_staff(ctx, args)
    if args.action == "unlock" and not args.as_name:
        return _unlock_last_admin(ctx, args)
    if not args.as_name:
        raise CliError("--as NAME is needed: an admin's own name (their PIN is asked)")
    actor = staff_login(ctx, args.as_name).actor
    target = _staff_called(ctx, args.name)
    try:
        if args.action in ("deactivate", "reactivate"):
            staff.set_active(ctx.sessions, actor, target, args.action == "reactivate")
        elif args.action == "reset-pin":
            staff.reset_pin(ctx.sessions, actor, target, _new_pin(args.name))
        elif args.action == "unlock":
            staff.unlock(ctx.sessions, actor, target)
        else:
            if not args.role:
                raise CliError("--role is needed")
            staff.set_role(ctx.sessions, actor, target, args.role)
    except KioskError as exc:
        raise CliError(str(exc)) from exc
    print(_done_words(args))
    return 0


def _unlock_last_admin(ctx: Context, args: argparse.Namespace) -> int:
    """Without --as: only when every admin is locked out (else nobody could unlock them)."""
    from kiosk.cli import cli_terminal
    from kiosk.services import staff

    try:
        staff.unlock_last_admin(
            ctx.sessions, _staff_called(ctx, args.name), cli_terminal(ctx.config)
        )
    except KioskError as exc:
        raise CliError(str(exc)) from exc
    print(_done_words(args))
    return 0


def _done_words(args: argparse.Namespace) -> str:
    if args.action == "role":
        return f"Done: {args.name} is now {args.role}."
    if args.action == "reset-pin":
        return f"Done: {args.name} has a new PIN."
    if args.action == "unlock":
        return f"Done: {args.name} can log in again."
    return f"Done: {args.name} is now {'active' if args.action == 'reactivate' else 'inactive'}."


def _staff_called(ctx: Context, name: str) -> int:
    from kiosk.services import staff

    wanted = name.strip().lower()
    members = staff.list_staff(ctx.sessions, include_inactive=True)
    found = [m for m in members if m.name.lower() == wanted]
    if len(found) != 1:
        raise CliError(f"no single staff member called {name!r} ('kiosk staff list' shows them)")
    return found[0].id


def _new_pin(name: str) -> str:
    """A new staff PIN: KIOSK_NEW_PIN, a line piped in, or typed twice at the terminal."""
    return read_pin(
        f"New PIN for {name}: ", "KIOSK_NEW_PIN", confirm=f"The new PIN for {name} again: "
    )


def _add_staff(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.services import staff

    role = args.role or "office"
    first = not staff.list_staff(ctx.sessions, include_inactive=True)
    # Refused before any PIN is asked: nobody types a PIN twice to be told no.
    if first and role != "admin":
        raise CliError("the first staff account must be an admin: add --role admin")
    if not first and not args.as_name:
        raise CliError("--as NAME is needed: an admin's own name (their PIN is asked)")
    actor = staff_login(ctx, args.as_name).actor if args.as_name else None
    try:
        staff.add_staff(ctx.sessions, actor, args.name, role, _new_pin(args.name))
    except KioskError as exc:
        raise CliError(str(exc)) from exc
    print(f"Added {args.name} ({role}).")
    return 0
