"""How tests give a staff PIN to an in-process `kiosk` command: as a script does, in
KIOSK_PIN (a PIN is never a command-line argument)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from kiosk.demo import DEMO_STAFF

DEMO_PINS = {member.name: member.pin for member in DEMO_STAFF}


def demo_pin(args: Sequence[str]) -> str | None:
    """The demo PIN of the member of staff named after ``--as`` in ``args``, if any."""
    words = list(args)
    return DEMO_PINS.get(words[words.index("--as") + 1]) if "--as" in words else None


@contextmanager
def pin_for(args: Sequence[str], pin: str | None = None) -> Iterator[None]:
    """KIOSK_PIN set for the command: ``pin`` if given, else the demo PIN of the member of
    staff named after ``--as``; unset again afterwards."""
    chosen = pin if pin is not None else demo_pin(args)
    saved = os.environ.pop("KIOSK_PIN", None)
    if chosen is not None:
        os.environ["KIOSK_PIN"] = chosen
    try:
        yield
    finally:
        os.environ.pop("KIOSK_PIN", None)
        if saved is not None:
            os.environ["KIOSK_PIN"] = saved
