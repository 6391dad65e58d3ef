"""Emit Qt signals without draining Python's ``True`` (PySide6 6.12 on Python 3.11).

PySide6 6.12.0's ``SignalInstance.emit()`` returns ``True`` without taking a reference
for it, so every emit permanently takes one reference from the ``True`` object. On
Python 3.12+ ``True`` is immortal and nothing happens; on 3.11 its count reaches zero
after some thousands of emits and the interpreter aborts with "Fatal Python error:
bool_dealloc: deallocating True or False". A camera preview at 15 fps gets there in
about a minute. (``SignalInstance.disconnect()`` has the same bug.)

``emit()`` below gives the reference back, but only if a probe at import shows the bug,
so it switches itself off under a fixed PySide6 or a newer Python.

It sits at the package's top, the one Qt module outside ``ui/`` and ``scanning/``'s Qt
workers, because both emit: the screens, and the camera worker and USB-scanner filter
below them.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal, SignalInstance

_PROBE_EMITS = 16
_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None


class _Probe(QObject):
    ping = Signal()


def emit_steals_a_reference() -> bool:
    """True if ``emit()`` takes a reference from ``True`` on this PySide6/Python."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(_PROBE_EMITS):
        probe.ping.emit()
    # Half, not all: another thread may touch True's count while we measure.
    return before - sys.getrefcount(True) >= _PROBE_EMITS // 2


STEALS = emit_steals_a_reference()


def emit(signal: SignalInstance, *args: object) -> None:
    """``signal.emit(*args)``, safe for the interpreter however often it is called."""
    result = signal.emit(*args)  # type: ignore[func-returns-value]
    if STEALS and result is not None:
        _incref(result)
