"""A second Python process for a long read-only job on the machine's other core (the later
rows of a CSV log, the later part of the audit chain). It runs ``code`` and reports one
JSON object on its standard output; any trouble comes back as None, and the caller then
does that part of the job itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any


def start(code: str, *args: str) -> subprocess.Popen[str] | None:
    """``python -c code args…`` with this process's import path, or None if it cannot start."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    try:
        return subprocess.Popen(
            [sys.executable, "-c", code, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
    except OSError:
        return None


def result(worker: subprocess.Popen[str], timeout: float) -> dict[str, Any] | None:
    """The worker's JSON object; None if it failed, said something else or took longer than
    ``timeout`` seconds (it is killed then)."""
    try:
        out, _ = worker.communicate(timeout=timeout)
        found = json.loads(out) if worker.returncode == 0 else None
    except (subprocess.TimeoutExpired, ValueError):
        worker.kill()
        worker.wait()
        return None
    return found if isinstance(found, dict) else None
