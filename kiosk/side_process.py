"""A second Python process for a long read-only job on the machine's other core (the later
rows of a CSV log, the later part of the audit chain). It runs ``code`` and reports one
JSON object on its standard output; any trouble comes back as None, and the caller then
does that part of the job itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
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


# A worker that needs a few definitions of modules whose imports are heavy (SQLAlchemy costs
# a third of a second before the first row) compiles just those from the source files, with
# their standard-library imports, into one namespace, and calls ``main`` there.
_DEFINITIONS_BOOT = """import ast, sys
def wanted(node, names):
    if isinstance(node, ast.Import):
        return all(a.name.split(".")[0] in sys.stdlib_module_names for a in node.names)
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] in sys.stdlib_module_names
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return node.name in names
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return any(isinstance(t, ast.Name) and t.id in names for t in targets)
space = {{"__name__": "_kiosk_worker"}}
for path, names in {sources}:
    tree = ast.parse(open(path, encoding="utf-8").read())
    tree.body = [node for node in tree.body if wanted(node, set(names))]
    exec(compile(tree, path, "exec"), space)
space[{main}]()"""


def definitions_boot(sources: Sequence[tuple[str, Sequence[str]]], main: str) -> str:
    """Code for ``start`` that runs ``main()`` from the named definitions (functions,
    classes, assignments) of each source file, in order, without importing them."""
    listed = [(path, sorted(names)) for path, names in sources]
    return _DEFINITIONS_BOOT.format(sources=repr(listed), main=repr(main))
