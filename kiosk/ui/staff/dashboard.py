"""The dashboard: today's counts at a glance and the slot map."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
)

from kiosk.clock import to_local, utcnow
from kiosk.config import Config
from kiosk.db import Database
from kiosk.qtfix import emit  # PySide6 6.12 on Python 3.11: see there
from kiosk.services import console, exams, health, pin_tries
from kiosk.services.console import Dashboard
from kiosk.services.pin_tries import PinAlert
from kiosk.services.staff import StaffMember
from kiosk.ui.background import Op
from kiosk.ui.staff.attention import AttentionPanel
from kiosk.ui.staff.common import ConsoleTab, date_text
from kiosk.ui.staff.locker_faults import LockerFaultsBanner
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


def _tile_style() -> str:
    """One style sheet for all the tiles, set once on the dashboard (a style sheet per
    widget costs a style object each, which shows in the time to open)."""
    rules = [
        "QPushButton[tile] { background: white; min-height: 96px; padding: 4px; }",
        "QPushButton[tile] QLabel { background: transparent; }",
        'QLabel[part="count"] { font-size: 36px; font-weight: 800; }',
        'QLabel[part="words"] { font-size: 16px; font-weight: 700; }',
    ]
    for name, _words, colour in TILES:
        rules.append(f'QPushButton[tile="{name}"] {{ border: 3px solid {colour}; }}')
        rules.append(f'QPushButton[tile="{name}"] QLabel {{ color: {colour}; }}')
    return "\n".join(rules)


class Tile(QPushButton):
    """A big count with its words under it; tapping opens the matching list."""

    def __init__(self, name: str, words: str) -> None:
        super().__init__()
        self.setProperty("tile", name)
        self.count_label = self._part("count", "–")
        self.words_label = self._part("words", words)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(0)
        layout.addWidget(self.count_label)
        layout.addWidget(self.words_label)
        self.count: int | None = None

    def _part(self, part: str, text: str) -> QLabel:
        label = QLabel(text)
        label.setProperty("part", part)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        return label

    def set_count(self, count: int | None) -> None:
        self.count = count
        self.count_label.setText("–" if count is None else str(count))
        self.setAccessibleName(f"{self.words_label.text()}: {self.count_label.text()}")


class DashboardTab(ConsoleTab):
    list_requested = Signal(str)

    def __init__(self, sessions: Database, staff: StaffMember, config: Config) -> None:
        super().__init__(sessions, staff, config)
        self.setStyleSheet(_tile_style())
        self.data: Dashboard | None = None
        self.heading = QLabel("")
        self.heading.setStyleSheet("font-size: 24px; font-weight: 800;")
        self.updated = QLabel("")
        self.day_line = QLabel("")  # who is out of school, what an emergency left
        self.day_line.setStyleSheet("font-size: 20px; font-weight: 700; color: #b45309;")
        self.day_line.setVisible(False)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.day_line)
        top.addWidget(self.updated)
        top.addWidget(refresh)
        self.tiles: dict[str, Tile] = {}
        grid = QGridLayout()
        for position, (name, words, _colour) in enumerate(TILES):
            tile = Tile(name, words)
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
        self.pin_alerts = QLabel("")  # wrong PINs typed for someone: staff should know
        self.pin_alerts.setWordWrap(True)
        self.pin_alerts.setStyleSheet(f"color: {RED}; font-size: 18px; font-weight: 700;")
        self.pin_alerts.hide()
        self.attention = AttentionPanel(sessions, staff, config)
        self.health = QLabel("")  # the kiosk's health line, read with the day
        self.health.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.health)
        layout.addWidget(self.pin_alerts)
        layout.addLayout(grid)
        self.locker_faults = LockerFaultsBanner(sessions)
        self.locker_faults.clicked.connect(lambda: emit(self.list_requested, "lockers"))
        layout.addWidget(self.locker_faults)
        layout.addWidget(self.attention)
        self.exam_banner = QPushButton("")  # exam candidates still to hand in, on exam days
        self.exam_banner.setStyleSheet(f"background: {AMBER}; color: white; font-size: 20px;")
        self.exam_banner.clicked.connect(lambda: emit(self.list_requested, "exam_missing"))
        self.exam_banner.setVisible(False)
        layout.addWidget(self.exam_banner)
        layout.addWidget(SlotLegend())
        layout.addWidget(scroll, 1)
        layout.addWidget(self.slot_detail)
        layout.addWidget(self.feedback)
        self.refresh()

    def refresh(self) -> None:
        """Read the day afresh in the background; the tiles change when it answers."""
        self.attention.refresh()
        Op(self, "Loading the dashboard", partial(console.dashboard, self.sessions)).success(
            self._show
        ).failure(lambda failure: self.feedback.error(failure.words)).run()
        alerts = partial(pin_tries.alerts, self.sessions, utcnow())
        Op(self, "Loading the PIN alerts", alerts).success(self._show_pin_alerts).run()
        Op(self, "Loading today's exams", partial(exams.exam_day, self.sessions)).success(
            self._show_exams
        ).run()
        Op(
            self, "Checking the kiosk's health", partial(health.check, self.sessions, self.config)
        ).success(lambda found: self.health.setText(found.words())).run()

    def _show_pin_alerts(self, alerts: list[PinAlert]) -> None:
        self.pin_alerts.setText("\n".join(alert.words for alert in alerts))
        self.pin_alerts.setVisible(bool(alerts))

    def _show_exams(self, day: exams.ExamDay) -> None:
        self.exam_banner.setVisible(bool(day.exams))
        self.exam_banner.setText(
            f"Exam today: {day.missing} candidate{'s have' if day.missing != 1 else ' has'}"
            " not handed in (tap for the list)"
        )
        self.exam_banner.setToolTip("\n".join(f"{e.starts_at:%H:%M} {e.title}" for e in day.exams))

    def _show(self, data: Dashboard) -> None:
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
        expected = self.tiles["expected"]
        if data.handin_opens_later is None:
            expected.words_label.setText("Expected, not handed in")
        else:
            expected.words_label.setText(
                f"Expected today (hand-in opens {data.handin_opens_later:%H:%M})"
            )
        for name, count in counts.items():
            self.tiles[name].set_count(count)
        self._show_day_line(data)
        self.slot_map.set_slots(data.slots)
        selected = self.slot_map.selected
        if selected is not None:
            self._show_slot(selected)

    def _show_day_line(self, data: Dashboard) -> None:
        words = []
        if data.out_now:
            words.append(f"{data.out_now} out of school")
        if data.emergency_not_back:
            words.append(f"{data.emergency_not_back} not back after an emergency")
        self.day_line.setText(" · ".join(words))
        self.day_line.setToolTip(
            "Out of school tab: who is still out. Emergency tab: devices released in an "
            "emergency that no one has confirmed back with their pupil."
        )
        self.day_line.setVisible(bool(words))

    def _show_slot(self, number: int) -> None:
        slot = self.slot_map.slot(number)
        if slot is not None:
            self.slot_detail.setText(describe_slot(slot))
