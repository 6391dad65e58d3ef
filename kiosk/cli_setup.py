"""``kiosk setup``: the steps of setting up a school, and which are done (the console's
Admin, Setup shows the same), and marking one done or skipped."""

from __future__ import annotations

import argparse

from kiosk.cli import CliError, Context, command, staff_login
from kiosk.services import setup

STEP_LIST = ", ".join(setup.STEP_KEYS)


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("show", "done", "skip"), default="show")
    parser.add_argument("step", nargs="?", choices=setup.STEP_KEYS, help=f"one of {STEP_LIST}")
    parser.add_argument("--as", dest="as_name", help="your (admin) name, to mark a step")


@command(
    "setup",
    "The steps of setting up a school and which are done ('kiosk setup'); "
    "'kiosk setup done STEP --as ADMIN' or 'skip STEP' marks one the records cannot show.",
    _configure,
)
def setup_cmd(ctx: Context, args: argparse.Namespace) -> int:
    if args.action == "show":
        _print(setup.status(ctx.sessions))
        return 0
    if args.step is None or not args.as_name:
        raise CliError(
            f"say which step and who you are: kiosk setup {args.action} STEP --as NAME "
            f"(steps: {STEP_LIST})"
        )
    member = staff_login(ctx, args.as_name)
    mark = setup.Mark.DONE if args.action == "done" else setup.Mark.SKIPPED
    setup.mark_step(ctx.sessions, member.actor, args.step, mark)
    print(f"Setup step {args.step}: {mark.value}.")
    return 0


def _print(status: setup.SetupStatus) -> None:
    for number, item in enumerate(status.steps, start=1):
        line = f"{number}. {item.step.title:<12} {item.state.value:<8}"
        print(f"{line} {item.detail}".rstrip() if item.detail else f"{line} {item.step.what}")
    if status.ready:
        print("The pupil screen takes scans: it has slots and pupils.")
    else:
        print("The pupil screen says 'not set up yet' until there are slots and pupils.")
