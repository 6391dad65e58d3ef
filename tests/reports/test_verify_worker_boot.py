"""The verify worker runs audit.py's own fast-path functions without importing SQLAlchemy
or the kiosk package (which cost it a third of a second before its first row)."""

from __future__ import annotations

import json
import subprocess
import sys

from kiosk import side_process
from kiosk.services import audit


def test_the_worker_boot_loads_only_the_standard_library():
    boot = side_process.definitions_boot([(audit.__file__, audit._WORKER_DEFINITIONS)], "_")
    boot = boot.replace(
        "space['_']()",
        "import json; print(json.dumps([sorted(sys.modules), sorted(set(names) & set(space))]))",
    )
    done = subprocess.run([sys.executable, "-c", boot], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    modules, defined = json.loads(done.stdout)
    assert not [m for m in modules if m.startswith(("sqlalchemy", "kiosk", "alembic"))]
    assert defined == sorted(audit._WORKER_DEFINITIONS), "every definition the worker needs"
