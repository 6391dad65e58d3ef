"""The verify worker runs audit.py's own fast-path functions without importing SQLAlchemy
or the kiosk package (which cost it a third of a second before its first row)."""

from __future__ import annotations

import json
import subprocess
import sys

from kiosk.services import audit


def test_the_worker_boot_loads_only_the_standard_library():
    boot = audit._WORKER_BOOT.format(
        path=repr(audit.__file__), names=repr(audit._WORKER_DEFINITIONS)
    )
    boot = boot.replace(
        'space["_worker_main"]()',
        "import json; print(json.dumps([sorted(sys.modules), sorted(names & set(space))]))",
    )
    done = subprocess.run([sys.executable, "-c", boot], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    modules, defined = json.loads(done.stdout)
    assert not [m for m in modules if m.startswith(("sqlalchemy", "kiosk", "alembic"))]
    assert defined == sorted(audit._WORKER_DEFINITIONS), "every definition the worker needs"
