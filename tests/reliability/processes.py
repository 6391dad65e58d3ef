"""Kiosk processes for the reliability tests, started from a fork server.

Each kiosk process is a real, separate process: its own engine and connections, killed
with SIGKILL like any other. But it is forked from a server process that has already
imported the kiosk, SQLAlchemy and the drivers, so it starts in milliseconds; a "spawn"
child re-imports all of that, a second or more of CPU for every kiosk started (28 of them
in the crash and concurrency tests). Only imports happen in the fork server: no engine,
connection or thread exists there for a child to inherit, and each child takes this
process's environment and folder as they are when it starts, as a spawned child would
(the tests' ``KIOSK_DATA_DIR``, where the school's keys are, changes from test to test).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing import forkserver
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from typing import Any

# What a kiosk process runs, and so everything it imports.
PRELOAD = ["reliability.crash", "reliability.kiosks"]


def kiosk_processes() -> ForkServerContext:
    """The context to start kiosk processes with; starts the fork server on first use."""
    context = multiprocessing.get_context("forkserver")
    assert isinstance(context, ForkServerContext)
    context.set_forkserver_preload(PRELOAD)
    with _parent_import_path():
        forkserver.ensure_running()
    return context


def new_kiosk_process(
    target: Callable[..., None], args: tuple[Any, ...], **options: Any
) -> BaseProcess:
    """A kiosk process (not started yet) that runs ``target(*args)``."""
    here = (dict(os.environ), os.getcwd())
    return kiosk_processes().Process(target=_run_here, args=(here, target, *args), **options)


def _run_here(here: tuple[dict[str, str], str], target: Callable[..., None], *args: Any) -> None:
    environment, folder = here
    os.environ.clear()
    os.environ.update(environment)
    os.chdir(folder)
    target(*args)


@contextmanager
def _parent_import_path() -> Iterator[None]:
    """This process's ``sys.path`` for the fork server while it starts. Python 3.11's
    fork server ignores the path it is handed, so the preload would not find
    ``reliability`` (under tests/), or would find another checkout's ``kiosk`` through the
    editable install; children would then import it all again, or run other code. No
    current folder first either (``-P``): the path is exactly this process's."""
    saved = {name: os.environ.get(name) for name in ("PYTHONPATH", "PYTHONSAFEPATH")}
    os.environ["PYTHONPATH"] = os.pathsep.join(path for path in sys.path if path)
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
