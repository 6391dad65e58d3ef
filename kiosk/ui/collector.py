"""Python's cyclic garbage collection, run on the GUI thread only.

Left to itself, the collector runs in whichever thread happens to allocate when a
generation fills up: often a background job (``kiosk.ui.background``) building an SQL
statement. A widget that has become garbage in a reference cycle is then destroyed on that
worker thread, which Qt does not allow: the process aborts (seen as "Fatal Python error:
Aborted" with a worker thread in SQLAlchemy's compiler). So automatic collection is turned
off and the same thresholds are checked from a timer on the GUI thread (the approach Anki's
desktop client takes for the same reason).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_EVERY_MS = 1000


def collect_due() -> int:
    """Collect the generations whose counts passed their thresholds, as Python would have
    at its next allocation; gives the number of objects found unreachable."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    due = [g for g in range(3) if counts[g] > thresholds[g]]
    return gc.collect(max(due)) if due else 0


class GuiThreadCollector(QObject):
    """From ``start()`` to ``stop()``, cyclic garbage is collected on the GUI thread only."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.timeout.connect(collect_due)

    def start(self) -> None:
        gc.disable()
        self.timer.start(CHECK_EVERY_MS)

    def stop(self) -> None:
        self.timer.stop()
        gc.enable()
