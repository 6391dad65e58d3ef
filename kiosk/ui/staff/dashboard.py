"""The dashboard: today's counts at a glance and the slot map."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kiosk.clock import to_local, utcnow
from kiosk.config import Config
from kiosk.db import Sessions
from kiosk.scanning.qtfix import emit  # PySide6 6.12 on Python 3.11: see there
from kiosk.services import console
from kiosk.services.console import Dashboard
from kiosk.services.staff import StaffMember
from kiosk.ui.staff.common import Feedback, attempt, date_text
from kiosk.ui.staff.slot_map import SlotLegend, SlotMap, describe_slot
from kiosk.ui.style import AMBER, BLUE, GREEN, GREY, RED

# (list name for the Lists tab, tile words, colour)
TILES = (
    ("held_today", "Held today", BLUE),
    ("held_overnight", "Held overnight", AMBER),
    ("confiscations", "Confiscations awaiting parent", RED),
    ("expected", "Expected, not handed in", GREY),
    ("exemptions", "Exemptions today", GREEN),
    ("free_slots", "Free slots", GREY),
)


class Tile(QPushButton):
    """A big count with its words under it; tapping opens the matching list."""

    def __init__(self, words: str, colour: str) -> None:
        super().__init__()
        self.words = words
        self.setMinimumHeight(104)
        self.setStyleSheet(
            f"QPushButton {{ border: 3px solid {colour}; color: {colour}; background: white;"
            " text-align: center; font-size: 17px; padding: 6px; }"
        )
        self.set_count(None)

    def set_count(self, count: int | None) -> None:
        self.count = count
        self.setText(f"{'–' if count is None else count}\n{self.words}")
        font = self.font()
        font.setBold(True)
        self.setFont(font)


class DashboardTab(QWidget):
    list_requested = Signal(str)

    def __init__(
        self,
        sessions: Sessions,
        staff: StaffMember,
        config: Config,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.sessions, self.staff, self.config = sessions, staff, config
        self.data: Dashboard | None = None
        self.heading = QLabel("")
        self.heading.setStyleSheet("font-size: 24px; font-weight: 800;")
        self.updated = QLabel("")
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.updated)
        top.addWidget(refresh)
        self.tiles: dict[str, Tile] = {}
        grid = QGridLayout()
        for position, (name, words, colour) in enumerate(TILES):
            tile = Tile(words, colour)
            tile.clicked.connect(lambda _=False, n=name: emit(self.list_requested, n))
            grid.addWidget(tile, 0, position)
            self.tiles[name] = tile
        self.slot_map = SlotMap()
        self.slot_map.slot_tapped.connect(self._show_slot)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.slot_map)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.slot_detail = QLabel("Tap a slot to see who is in it and since when.")
        self.slot_detail.setWordWrap(True)
        self.slot_detail.setStyleSheet("font-size: 20px; font-weight: 600;")
        self.feedback = Feedback()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(grid)
        layout.addWidget(SlotLegend())
        layout.addWidget(scroll, 1)
        layout.addWidget(self.slot_detail)
        layout.addWidget(self.feedback)
        self.refresh()

    def refresh(self) -> None:
        ok, data = attempt(
            self.feedback, "Loading the dashboard", lambda: console.dashboard(self.sessions)
        )
        if not ok or data is None:
            return
        self.feedback.clear()
        self.data = data
        self.heading.setText(f"Today, {date_text(data.today)}")
        self.updated.setText(f"Updated {to_local(utcnow()):%H:%M}")
        counts = {
            "held_today": data.held_today,
            "held_overnight": data.held_overnight,
            "confiscations": data.confiscations,
            "expected": data.expected_not_in,
            "exemptions": data.exemptions,
            "free_slots": data.free_slots,
        }
        for name, count in counts.items():
            self.tiles[name].set_count(count)
        self.slot_map.set_slots(data.slots)
        selected = self.slot_map.selected
        if selected is not None:
            self._show_slot(selected)

    def _show_slot(self, number: int) -> None:
        slot = self.slot_map.slot(number)
        if slot is not None:
            self.slot_detail.setText(describe_slot(slot))
