"""``kiosk lockers``: map slots to locker doors, list and export the map, run the board
simulator for a demo, check a newly wired bank door by door, see and clear faults, and the
emergency open-all."""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.cli import CliError, Context, add_login, command, staff_login
from kiosk.errors import KioskError

if TYPE_CHECKING:
    from kiosk.db import Database
    from kiosk.lockers.simulator import BoardSimulator
    from kiosk.services.audit import Actor

DEFAULT_DRIVER = "kerong-cu16"
SIM_COMMANDS = (
    "shut|open|fill|empty|jam|unjam BOARD DOOR, silence|wake BOARD, noise, corrupt, show, quit"
)
NOISE = b"\x02\x00\x35\x00garbage\x03\x02"  # a torn frame and junk ahead of a reply


def _bus(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--driver", default=DEFAULT_DRIVER, help="board family")
    parser.add_argument("--baud", type=int, default=19200)
    parser.add_argument("--pulse-ms", type=int, help="unlock pulse (500 magnetic, 1000 servo)")
    parser.add_argument("--no-sensors", action="store_true", help="no occupancy sensors fitted")
    parser.add_argument(
        "--closed-bit", type=int, choices=(0, 1), default=1, help="hook bit of a shut door"
    )


def _configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="lockers_action", metavar="ACTION", required=True)
    map_ = actions.add_parser("map", help="give slots FROM..TO doors on a board, in order")
    map_.add_argument("--cabinet", required=True, help="the locker cabinet's name")
    map_.add_argument(
        "--port", required=True, help="serial port, e.g. /dev/ttyUSB0 (COM3 on Windows)"
    )
    map_.add_argument("--from", dest="first", type=int, required=True)
    map_.add_argument("--to", dest="last", type=int, required=True)
    map_.add_argument("--board", type=int, default=0, help="address of the first board")
    map_.add_argument("--first-channel", type=int, default=1)
    map_.add_argument("--open-limit", type=int, default=60, help="seconds before 'left open'")
    _bus(map_)
    add_login(map_)
    unmap = actions.add_parser("unmap", help="slots FROM..TO back to manual")
    unmap.add_argument("--from", dest="first", type=int, required=True)
    unmap.add_argument("--to", dest="last", type=int, required=True)
    add_login(unmap)
    actions.add_parser("list", help="the door map")
    export = actions.add_parser("export", help="the door map with slot labels, as CSV")
    export.add_argument("--out", type=Path, required=True)
    simulate = actions.add_parser("simulate", help="KR-CU16 boards on a pseudo-terminal")
    simulate.add_argument("--boards", default="0,1", help="board addresses, e.g. 0,1")
    simulate.add_argument("--no-sensors", action="store_true")
    simulate.add_argument(
        "--manual", action="store_true", help="no pretend pupils: doors change only by command"
    )
    test = actions.add_parser("test", help="open each door in turn and read it back")
    test.add_argument("--port", required=True)
    test.add_argument("--boards", default="0", help="board addresses, e.g. 0,1,2")
    test.add_argument("--doors", default="1-16", help="door channels, e.g. 1-16 or 3,5")
    test.add_argument("--wait", type=float, default=1.0, help="seconds between doors")
    test.add_argument("--include-held", action="store_true", help="also slots holding devices")
    _bus(test)
    add_login(test)
    actions.add_parser("faults", help="open locker faults")
    clear = actions.add_parser("clear", help="clear a fault, saying what was done")
    clear.add_argument("fault_id", type=int)
    clear.add_argument("--note", required=True)
    add_login(clear)
    open_all = actions.add_parser("open-all", help="EMERGENCY: open every door")
    open_all.add_argument("--reason", required=True)
    open_all.add_argument("--yes", action="store_true", help="no question (for scripts)")
    add_login(open_all)


@command(
    "lockers",
    "Electronic locker banks: map, list, export, simulate, test, faults, clear, open-all.",
    _configure,
)
def lockers_cmd(ctx: Context, args: argparse.Namespace) -> int:
    handler = {
        "map": _map,
        "unmap": _unmap,
        "list": _list,
        "export": _export,
        "simulate": _simulate,
        "test": _test,
        "faults": _faults,
        "clear": _clear,
        "open-all": _open_all,
    }[args.lockers_action]
    from kiosk.lockers.driver import LockerBoardError

    try:
        return handler(ctx, args)
    except (KioskError, LockerBoardError) as exc:
        raise CliError(str(exc)) from exc


def _actor(ctx: Context, args: argparse.Namespace) -> Actor:
    return staff_login(ctx, args.as_name).actor


def _numbers(text: str) -> list[int]:
    """ "0,1" or "1-16" or "3,5-7" as numbers."""
    numbers: list[int] = []
    try:
        for part in text.split(","):
            low, _, high = part.strip().partition("-")
            numbers.extend(range(int(low), int(high or low) + 1))
    except ValueError as exc:
        raise CliError(f"not a list of numbers: {text!r} (write e.g. 1-16 or 0,1)") from exc
    return numbers


def _map(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.services.lockers import mapping

    setup = mapping.CabinetSetup(
        args.cabinet,
        args.driver,
        args.port,
        args.baud,
        args.pulse_ms,
        not args.no_sensors,
        args.closed_bit,
        args.open_limit,
    )
    rows = mapping.map_doors(
        ctx.sessions,
        _actor(ctx, args),
        setup,
        args.first,
        args.last,
        board=args.board,
        first_channel=args.first_channel,
    )
    first, last = rows[0], rows[-1]
    print(
        f"Slots {first.slot_number}-{last.slot_number} are in locker cabinet {setup.name} on "
        f"{setup.port}: board {first.board} door {first.channel} to board {last.board} "
        f"door {last.channel}."
    )
    return 0


def _unmap(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.services.lockers import mapping

    count = mapping.unmap_doors(ctx.sessions, _actor(ctx, args), args.first, args.last)
    print(f"{count} slots are manual again.")
    return 0


def _list(ctx: Context, _args: argparse.Namespace) -> int:
    from kiosk.services.lockers import mapping

    rows = mapping.door_map(ctx.sessions)
    if not rows:
        print("No slot has a locker door ('kiosk lockers map' sets them).")
    for row in rows:
        label = f" ({row.label})" if row.label else ""
        print(
            f"{row.slot_number:>5}{label}  {row.cabinet:<16} {row.driver} {row.port} "
            f"board {row.board} door {row.channel}"
        )
    return 0


def _export(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.services.lockers import mapping

    try:
        count = mapping.export_csv(ctx.sessions, args.out)
    except OSError as exc:
        raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
    print(f"Wrote {count} doors to {args.out}.")
    return 0


def _simulator() -> type[BoardSimulator]:
    """The board simulator, which runs behind a pseudo-terminal: POSIX only."""
    try:
        from kiosk.lockers.simulator import BoardSimulator
    except ImportError as exc:  # Windows: no pty, tty or termios
        raise CliError(
            "The locker simulator needs a pseudo-terminal (Linux or macOS). On Windows, "
            "try the real boards on their COM port (kiosk lockers test --port COM3 --as NAME)."
        ) from exc
    return BoardSimulator


def _simulate(_ctx: Context, args: argparse.Namespace) -> int:
    BoardSimulator = _simulator()
    boards = _numbers(args.boards)
    with BoardSimulator(boards, sensors=not args.no_sensors) as sim:
        print(f"Simulated KR-CU16 boards {', '.join(map(str, boards))} on {sim.port}", flush=True)
        print(
            f"Map slots to it: kiosk lockers map --cabinet Lockers --port {sim.port} "
            "--from 1 --to 16 --as NAME",
            flush=True,
        )
        if not args.manual:
            sim.pretend_pupils()
        print("Commands: " + SIM_COMMANDS, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            if not _operate(sim):  # no terminal (started in the background): serve on
                while True:
                    time.sleep(3600)
    return 0


def _operate(sim: BoardSimulator) -> bool:
    """Carry out the commands typed on standard input; True when told to quit, False when
    the input ended (or there is none to read)."""

    def unjam(board: int, channel: int) -> None:
        sim.jam(board, channel, False)

    actions: dict[str, Callable[[int, int], None]] = {
        "shut": sim.shut,
        "open": sim.pull_open,
        "fill": sim.fill,
        "empty": sim.empty,
        "jam": sim.jam,
        "unjam": unjam,
    }
    while True:
        try:
            line = sys.stdin.readline()
        except (OSError, ValueError):  # no standard input to read (a test, a service)
            return False
        if not line:
            return False
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            return True
        try:
            if words[0] == "show":
                _show(sim)
            elif words[0] == "noise":  # bytes on the bus ahead of the next reply
                sim.add_noise(NOISE)
            elif words[0] == "corrupt":  # the next reply's checksum is wrong
                sim.corrupt_next_reply()
            elif words[0] in ("silence", "wake"):
                sim.silence(int(words[1]), words[0] == "silence")
            else:
                actions[words[0]](int(words[1]), int(words[2]))
        except (KeyError, IndexError, ValueError):
            print("?  e.g. 'shut 0 3', 'fill 0 3', 'jam 1 2', 'silence 1', 'show'", flush=True)


def demo_bank(sessions: Database, admin: Actor, first: int = 1, last: int = 32) -> BoardSimulator:
    """For ``kiosk demo --lockers``: two simulated boards behind slots ``first``-``last``,
    pretend pupils at the doors, and the simulator's commands read from this terminal
    while the kiosk runs (``jam 0 3``, ``silence 1``...: the faults reach the dashboard)."""
    from kiosk.services.lockers import mapping

    sim = _simulator()((0, 1)).start()
    setup = mapping.CabinetSetup("Demo lockers", "kerong-cu16", sim.port, pulse_ms=500)
    mapping.map_doors(sessions, admin, setup, first, last, board=0)
    sim.pretend_pupils()
    print(f"Simulated locker bank on {sim.port}: slots {first}-{last} have doors.", flush=True)
    print("Type here while the kiosk runs: " + SIM_COMMANDS, flush=True)
    threading.Thread(target=_operate, args=(sim,), name="sim-commands", daemon=True).start()
    return sim


def _show(sim: BoardSimulator) -> None:
    for address, board in sim.boards.items():
        doors = " ".join(
            ("o" if not d.closed else "-") + ("*" if d.occupied else " ") for d in board.doors
        )
        state = " (silent)" if board.silent else ""
        print(f"board {address}{state}: {doors}", flush=True)


def _test(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.lockers.driver import BusSettings
    from kiosk.services.lockers.technician import DoorCheck, check_bank

    settings = BusSettings(
        args.port,
        args.baud,
        args.pulse_ms,
        not args.no_sensors,
        (("hook_closed_bit", args.closed_bit),),
    )

    def report(check: DoorCheck) -> None:
        occupied = {True: ", something inside", False: ", empty", None: ""}[check.occupied]
        where = f"board {check.board}" + (f" door {check.channel:>2}" if check.channel else "")
        note = f" ({check.note})" if check.note else ""
        print(f"{where}: {check.result}{occupied}{note}", flush=True)

    checks = check_bank(
        ctx.sessions,
        _actor(ctx, args),
        args.driver,
        settings,
        _numbers(args.boards),
        _numbers(args.doors),
        wait=args.wait,
        include_held=args.include_held,
        report=report,
    )
    failed = [c for c in checks if c.result in ("did not open", "board error")]
    opened = sum(c.result == "opened" for c in checks)
    skipped = sum(c.result == "skipped" for c in checks)
    if failed and not opened and all(c.result == "did not open" for c in failed):
        print(
            "No door read open: if they did open, the closed bit is the other way round "
            f"(--closed-bit {1 - args.closed_bit})."
        )
    summary = f"{opened} of {len(checks) - skipped} doors opened"
    print(summary + (f"; {skipped} skipped." if skipped else "."))
    return 1 if failed else 0


def _faults(ctx: Context, _args: argparse.Namespace) -> int:
    from kiosk.clock import to_local
    from kiosk.services.lockers import faults

    rows = faults.open_faults(ctx.sessions)
    if not rows:
        print("No open locker faults.")
    for fault in rows:
        when = to_local(fault.raised_at).strftime("%d/%m %H:%M")
        print(f"{fault.id:>5}  {when}  {fault.kind:<26} {fault.message}")
    return 0


def _clear(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.services.lockers import faults

    faults.clear(ctx.sessions, _actor(ctx, args), args.fault_id, args.note)
    print(f"Fault {args.fault_id} cleared.")
    return 0


def _open_all(ctx: Context, args: argparse.Namespace) -> int:
    from kiosk.services.lockers import emergency
    from kiosk.services.lockers.bank import LockerBank

    if not args.yes:
        if not sys.stdin.isatty():
            raise CliError("this opens EVERY locker door: run again with --yes to go ahead")
        if input("Open EVERY locker door now? [y/N] ").strip().lower() not in ("y", "yes"):
            print("No door was opened.")
            return 1
    actor = _actor(ctx, args)
    bank = LockerBank.load(ctx.sessions)
    try:
        result = emergency.emergency_open_all(ctx.sessions, bank, actor, args.reason)
    finally:
        bank.close()
    for cabinet, board in result.boards_opened:
        print(f"Cabinet {cabinet} board {board}: every door opened.")
    for cabinet, board, error in result.boards_failed:
        print(f"Cabinet {cabinet} board {board}: FAILED ({error}): open it by key.")
    return 1 if result.boards_failed else 0
