"""Commands for the signed audit record: verify-log and audit-keys."""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
from pathlib import Path

from kiosk.cli import CliError, Context, add_login, command, staff_login
from kiosk.keystore import KeyStore


def _expectation(text: str) -> tuple[int, str]:
    seq, _, hashed = text.partition(":")
    if not seq.strip().lstrip("#").isdigit() or len(hashed.strip()) != 64:
        raise argparse.ArgumentTypeError("use SEQ:HASH, e.g. 1234:9f2c... (64 hex digits)")
    return int(seq.strip().lstrip("#")), hashed.strip().lower()


def _configure_verify(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", type=Path, help="check this SQLite file (a copy, a backup): opened read-only"
    )
    parser.add_argument("--fingerprint", help="the school audit fingerprint (from the sheet)")
    parser.add_argument(
        "--expect",
        type=_expectation,
        action="append",
        default=[],
        metavar="SEQ:HASH",
        help="an event printed on a receipt or report: fail unless it is in the chain",
    )
    parser.add_argument(
        "--anchors", type=Path, help="the folder of daily anchors (default: the anchor_dir set)"
    )


@command(
    "verify-log",
    "Check the audit log: the hash chain, the kiosks' signatures under the school audit "
    "fingerprint, anchors and printed hashes. Exit 0 intact, 1 broken, 2 not a kiosk "
    "database or unreadable.",
    _configure_verify,
)
def verify_log(ctx: Context, args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DBAPIError

    from kiosk.record import keys
    from kiosk.record.check import verify_record

    fingerprint = None
    if args.fingerprint:
        try:
            fingerprint = keys.normal_fingerprint(args.fingerprint)
        except keys.BadKey as error:
            raise CliError(str(error)) from error
    sessions = _evidence(args.db) if args.db else ctx.sessions
    anchors = args.anchors or (None if args.db else ctx.config.anchor_dir)
    try:
        report = verify_record(sessions, fingerprint, args.expect, anchors)
    except (DBAPIError, sqlite3.Error) as error:
        raise CliError(f"this is not a kiosk database, or it cannot be read ({error})") from error
    print(report.describe())
    return 0 if report.intact else 1


def _evidence(path: Path):  # type: ignore[no-untyped-def]
    """The file opened read-only and immutable: checking a copy never changes its bytes
    (no journal, no WAL switch, no -shm file). When a write-ahead log lies beside it, the
    pair is checked as a temporary copy, so its last changes are not left out."""
    from sqlalchemy import create_engine

    from kiosk.db import Database

    if not path.is_file():
        raise CliError(f"no such file: {path}")
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size:
        scratch = _scratch(path, wal)
        print(f"Note: {wal.name} beside the file was included (checked on a temporary copy).")
        uri = f"{(scratch / 'copy.db').as_uri()}?mode=ro"
    else:
        uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    if _kiosk_tables(path, uri) == {"audit_events"}:  # from before the signed record
        scratch = _scratch(path, wal if wal.exists() else None)
        _upgrade(scratch / "copy.db")
        print("Note: a database from an earlier version: checked on an upgraded temporary copy.")
        uri = f"{(scratch / 'copy.db').as_uri()}?mode=ro"
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True))
    return Database(engine)


def _scratch(path: Path, wal: Path | None) -> Path:
    """A temporary copy of the file (and its write-ahead log), removed at exit."""
    import atexit
    import tempfile

    scratch = Path(tempfile.mkdtemp(prefix="kiosk-verify-"))
    atexit.register(shutil.rmtree, scratch, True)
    shutil.copyfile(path, scratch / "copy.db")
    if wal is not None:
        shutil.copyfile(wal, scratch / "copy.db-wal")
    return scratch


def _upgrade(copy: Path) -> None:
    from kiosk.config import sqlite_url
    from kiosk.db import make_engine
    from kiosk.migrate import upgrade

    engine = make_engine(sqlite_url(copy))
    try:
        upgrade(engine)
    except Exception as error:  # an unknown or damaged schema: not ours to check
        raise CliError(f"{copy.name} cannot be brought to this version ({error})") from error
    finally:
        engine.dispose()


def _kiosk_tables(path: Path, uri: str) -> set[str]:
    try:
        probe = sqlite3.connect(uri, uri=True)
        try:
            found = probe.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name IN ('audit_events', 'audit_heads')"
            ).fetchall()
        finally:
            probe.close()
    except sqlite3.Error as error:
        raise CliError(f"{path.name} is not a kiosk database, or it cannot be read") from error
    if not found:
        raise CliError(f"{path.name} is not a kiosk database (it has no audit log)")
    return {name for (name,) in found}


KEY_ACTIONS = ("setup", "enrol", "handover", "revoke", "rotate", "fingerprint")


def _configure_keys(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=KEY_ACTIONS)
    add_login(parser)
    parser.add_argument("--sheet", type=Path, help="setup: where to write the recovery sheet PDF")
    parser.add_argument("--kiosk", help="revoke: the kiosk to stop")
    parser.add_argument(
        "--replaces", action="append", default=[], help="handover: the dead PC's kiosk name"
    )


@command(
    "audit-keys",
    "The audit log's signing keys (an admin): setup (school root and recovery sheet), "
    "enrol this kiosk, handover after a restore on a new PC, revoke a kiosk, rotate "
    "today's key, show the fingerprint. The recovery key comes from KIOSK_RECOVERY_KEY "
    "or is asked for.",
    _configure_keys,
)
def audit_keys(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.record import seal
    from kiosk.record.lines import school_fingerprint

    member = staff_login(ctx, args.as_name)
    if member.role != "admin":
        raise CliError("only an admin can change the audit keys")
    store, line = KeyStore.for_config(ctx.config), ctx.config.kiosk_name
    try:
        if args.action == "fingerprint":
            with ctx.sessions() as session:
                shown = school_fingerprint(session.connection())
            print(shown or "The audit log is not signed yet.")
        elif args.action == "setup":
            return _setup(ctx, args, store, member.actor)
        elif args.action == "rotate":
            sealer, why = seal.load(ctx.database.engine, store, line, ctx.config.anchor_dir)
            if sealer is None:
                raise CliError(why)
            print(f"Kiosk {line!r} now signs with daily key {sealer.rotate(ctx.sessions)}.")
        elif args.action == "revoke":
            if not args.kiosk:
                raise CliError("--kiosk NAME is needed")
            seq = seal.revoke(ctx.sessions, args.kiosk, _recovery_key(), member.actor)
            print(f"Kiosk {args.kiosk!r} revoked (event #{seq}).")
        else:
            replaces = args.replaces if args.action == "handover" else []
            if args.action == "handover" and not replaces:
                raise CliError("--replaces NAME is needed: the kiosk name of the PC that died")
            seq = seal.enrol(ctx.sessions, store, line, _recovery_key(), member.actor, replaces)
            print(f"Kiosk {line!r} enrolled (event #{seq}); it signs the log from now on.")
    except seal.NotSetUp as error:
        raise CliError(str(error)) from error
    return 0


def _setup(ctx: Context, args: argparse.Namespace, store: KeyStore, actor: object) -> int:
    from kiosk.record import keys, seal, sheet
    from kiosk.services import settings
    from kiosk.services.audit import Actor

    if not args.sheet:
        raise CliError("--sheet PATH is needed (e.g. on a USB stick): the recovery sheet PDF")
    assert isinstance(actor, Actor)
    recovery = seal.setup_school(ctx.sessions, store, ctx.config.kiosk_name, actor)
    with ctx.sessions() as session:
        school = settings.get_value(session, "school_name")
    sheet.write_sheet(args.sheet, school, recovery.private_hex, recovery.fingerprint)
    print(f"School audit fingerprint: {keys.show_fingerprint(recovery.fingerprint)}")
    print(f"Recovery sheet written to {args.sheet}: print it, put it in the school safe,")
    print("then delete the file. The kiosk keeps no copy of the recovery key.")
    return 0


def _recovery_key() -> str:
    import getpass

    given = os.environ.get("KIOSK_RECOVERY_KEY")
    if given:
        return given
    try:
        return getpass.getpass("Recovery key (from the sheet in the safe): ")
    except (EOFError, KeyboardInterrupt) as error:
        raise CliError("no recovery key given") from error
