"""A second process for half of a long job on SQLite (``verify-log``, a long CSV export):
an ordinary standard-library module of the kiosk package, started as ``python -I -m <module>``
(isolated: no current folder, PYTHONPATH or user site, so a file named like a module where
the command runs is never imported), given its job as JSON on stdin and answering JSON on
stdout: data both ways, never code.

Measured (benchmarks/README.md, verify_split.py): on a 2-core machine at a load of up to
about 2, verify's wall time falls by about 40% for 0-8% more CPU; on a busier one it is
still not slower, but costs up to a fifth more CPU, taken from the kiosk's camera and
screen: so ``worth_it`` asks for half a core spare first."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kiosk.errors import HelperFailed
from kiosk.helper_side import PACKAGE

log = logging.getLogger(__name__)
PYTHON = sys.executable  # the kiosk's own interpreter (its venv holds the package)

SWITCH = "KIOSK_SECOND_PROCESS"  # "on" or "off" decides; unset: ``worth_it`` by the load
SPARE = 0.5  # of a core, over the last minute


def worth_it() -> bool:
    """Whether a second process can run beside this one: half a core or more was spare over
    the last minute (load average at most the cores less ``SPARE``), unless ``SWITCH``
    says. (A whole core spare refused most splits on a quiet 2-core machine whose load
    average idles near 1, and the machine's own last export counts in it.)"""
    switch = os.environ.get(SWITCH, "").strip().lower()
    if switch in ("on", "off"):
        return switch == "on"
    cores = os.cpu_count() or 1
    if not hasattr(os, "getloadavg"):  # Windows: no load average; two were never slower
        return cores > 1
    return cores > 1 and os.getloadavg()[0] <= cores - SPARE


@contextmanager
def started(module: str, job: dict[str, Any], fallback: str) -> Iterator[Helper | None]:
    """The helper process for ``job``, stopped on leaving; None if it cannot start (logged
    after ``fallback``, the words for the caller doing the work itself)."""
    try:
        helper: Helper | None = Helper(module, job, fallback)
    except OSError as error:
        log.warning("%s: %s", fallback, error)
        helper = None
    try:
        yield helper
    finally:
        if helper is not None:
            helper.stop()


class Helper:
    """One started helper process with its job sent."""

    def __init__(self, module: str, job: dict[str, Any], fallback: str = "") -> None:
        self.module, self.fallback = module, fallback
        self.process = subprocess.Popen(
            [PYTHON, "-I", "-m", module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd="/",
        )
        stdin, self.process.stdin = self.process.stdin, None  # closed here: it is sent
        assert stdin is not None
        with stdin:
            stdin.write(json.dumps(job).encode())

    def answer(self) -> dict[str, Any] | None:
        """Its answer; None if it ran another install's kiosk package than this process's
        (its answer is not this code's to trust: the caller does the work itself).
        HelperFailed, with its words, if it failed."""
        out, err = self.process.communicate()
        try:
            answer = json.loads(out) if out else None
        except ValueError:
            answer = None
        if self.process.returncode or not isinstance(answer, dict):
            words = err.decode(errors="replace").strip().splitlines()[-1:] or ["no answer"]
            raise HelperFailed(f"The second process ({self.module}) failed: {words[0]}")
        if "error" in answer:
            raise HelperFailed(f"The second process ({self.module}) failed: {answer['error']}")
        return answer if answer.get("kiosk") == PACKAGE else None

    def answer_or_none(self) -> dict[str, Any] | None:
        """``answer``, or None if it failed (logged after the fallback's words)."""
        try:
            return self.answer()
        except HelperFailed as failed:
            log.warning("%s: %s", self.fallback, failed)
            return None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()
