"""Emitting through ``qtfix.emit`` leaves Python's ``True`` with the references it had."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

from kiosk import qtfix


class Sender(QObject):
    text = Signal(str)
    bare = Signal()


def test_emitting_many_times_does_not_drain_true() -> None:
    sender = Sender()
    received: list[str] = []
    sender.text.connect(received.append)
    before = sys.getrefcount(True)
    for _ in range(2000):
        qtfix.emit(sender.text, "HK1")
        qtfix.emit(sender.bare)
    assert len(received) == 2000
    # A leak either way would move the count by thousands; leave room for bystanders.
    assert abs(sys.getrefcount(True) - before) < 50


def test_the_probe_agrees_with_a_fresh_measurement() -> None:
    assert qtfix.emit_steals_a_reference() is qtfix.STEALS
