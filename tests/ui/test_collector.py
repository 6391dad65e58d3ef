"""Cyclic garbage is collected on the GUI thread (kiosk.ui.collector): automatic collection
is off while the kiosk runs, and the timer collects what Python would have."""

from __future__ import annotations

import gc

from PySide6.QtWidgets import QWidget

from kiosk.ui.collector import GuiThreadCollector, collect_due


class Cycle:
    def __init__(self) -> None:
        self.me = self
        self.widget = QWidget()  # a widget kept alive only by the cycle


def test_a_widget_in_a_cycle_is_destroyed_by_the_collector_on_this_thread(qtbot):
    collector = GuiThreadCollector()
    thresholds = gc.get_threshold()
    collector.start()
    try:
        assert not gc.isenabled()
        gc.set_threshold(1, 1, 1)
        destroyed = []
        cycle = Cycle()
        cycle.widget.destroyed.connect(lambda: destroyed.append(True))
        del cycle
        qtbot.waitUntil(lambda: bool(destroyed), timeout=5000)  # the timer's collection
    finally:
        gc.set_threshold(*thresholds)
        collector.stop()
    assert gc.isenabled()
    gc.disable()  # as the tests' own fixture keeps it


def test_nothing_is_collected_before_a_threshold_is_passed():
    gc.collect()
    thresholds = gc.get_threshold()
    gc.set_threshold(10**6, 10**6, 10**6)
    try:
        assert collect_due() == 0
    finally:
        gc.set_threshold(*thresholds)
