"""The `kiosk` command as the tests run it: in this process (the real parser and the real
command, through ``kiosk.__main__.main``, with the environment and standard input set as
a script sets them), or as a separate process when the process itself is what a test is
about (the entry point, exit statuses, a pipe with no terminal, a window).

An interpreter start that imports the kiosk costs about a second of CPU, more than most
commands: in-process runs are the default. PINs hashed in this process use the tests'
cheap argon2 cost (tests/conftest.py); a hash records its cost, so a separate kiosk
process checks them quickly too, with the real argon2id.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.__main__ import main

SCRIPT_SETTINGS = ("KIOSK_DATABASE_URL", "KIOSK_PIN", "KIOSK_NEW_PIN")


@dataclass(frozen=True)
class Ran:
    """What a command did, named as subprocess.CompletedProcess names it."""

    returncode: int
    stdout: str
    stderr: str


def kiosk(
    data_dir: Path,
    *args: str,
    typed: str = "",
    pin: str | None = None,
    new_pin: str | None = None,
    cwd: Path | None = None,
) -> Ran:
    """Run ``kiosk ARGS`` in this process on ``data_dir`` (KIOSK_DATA_DIR). ``typed`` is
    standard input, a pipe and not a terminal (PINs are read from it a line each, as from
    a script's pipe); ``pin`` and ``new_pin`` go in KIOSK_PIN and KIOSK_NEW_PIN."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KIOSK_DATA_DIR", str(data_dir))
        for name in SCRIPT_SETTINGS:
            patch.delenv(name, raising=False)
        if pin is not None:
            patch.setenv("KIOSK_PIN", pin)
        if new_pin is not None:
            patch.setenv("KIOSK_NEW_PIN", new_pin)
        patch.setattr(sys, "stdin", io.StringIO(typed))
        if cwd is not None:
            patch.chdir(cwd)
        with redirect_stdout(out), redirect_stderr(err):
            try:
                status = main(list(args))
            except SystemExit as stop:  # argparse's --help and its refusals
                status = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
    return Ran(status, out.getvalue(), err.getvalue())


def kiosk_process(
    data_dir: Path,
    *args: str,
    typed: str = "",
    pin: str | None = None,
    new_pin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m kiosk ARGS`` as a process of its own, with no terminal (a new
    session: getpass reads ``typed`` from the pipe), otherwise as :func:`kiosk`."""
    env = {**os.environ, "KIOSK_DATA_DIR": str(data_dir), "QT_QPA_PLATFORM": "offscreen"}
    for name in SCRIPT_SETTINGS:
        env.pop(name, None)
    if pin is not None:
        env["KIOSK_PIN"] = pin
    if new_pin is not None:
        env["KIOSK_NEW_PIN"] = new_pin
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        env=env,
        input=typed,
        text=True,
        capture_output=True,
        timeout=300,
        start_new_session=True,
    )
