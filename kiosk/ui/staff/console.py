"""The staff console: a PIN log-in, then tabs by role. Locks itself after a few minutes
without a touch or key press, and when staff tap Lock or go back to the kiosk; each lock
is recorded. Scanned cards go to the tab on show (or to Release when that tab takes none).

Every screen is a tab added through ``add_tab``, the reports and admin panels included.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QInputEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.config import Config
from kiosk.db import Database
from kiosk.qtfix import emit  # PySide6 6.12 on Python 3.11: see there
from kiosk.rules import Action, may
from kiosk.services.common import PupilSummary
from kiosk.services.lockers.bank import LockerBank
from kiosk.services.staff import StaffMember, record_console_locked
from kiosk.ui.admin.panel import AdminPanel
from kiosk.ui.background import Op, describe_failure
from kiosk.ui.reports.panel import ReportsPanel
from kiosk.ui.staff.confiscate import ConfiscateTab
from kiosk.ui.staff.dashboard import DashboardTab
from kiosk.ui.staff.devices import DevicesTab
from kiosk.ui.staff.emergency_tab import EmergencyTab
from kiosk.ui.staff.end_of_day import EndOfDayTab
from kiosk.ui.staff.exams_tab import ExamsTab
from kiosk.ui.staff.lists import ListsTab
from kiosk.ui.staff.locker_faults import LockerFaultsTab
from kiosk.ui.staff.out_of_school import OutOfSchoolTab
from kiosk.ui.staff.pupil_devices import PupilDevicesTab
from kiosk.ui.staff.release import ReleaseTab
from kiosk.ui.staff.searches_tab import SearchesTab
from kiosk.ui.style import BLUE, WHITE
from kiosk.ui.widgets.pinpad import StaffLogin
from kiosk.ui.widgets.tab_strip import StripTabs

log = logging.getLogger("kiosk.ui.staff")

# On top of the application's style: show which choice button is on, and grey out a
# primary or danger button that the role cannot use (the base style keeps their colour).
CONSOLE_STYLE = f"""
QPushButton:checked {{ background: {BLUE}; color: {WHITE}; }}
QPushButton[role="primary"]:disabled, QPushButton[role="danger"]:disabled {{
    background: #e5e7eb; color: #6b7280; border-color: #9ca3af;
}}
"""

IDLE_LOCK_MS = 3 * 60 * 1000
CONSOLE_ROLES = frozenset({"office", "senior", "admin"})
TabFactory = Callable[[StaffMember], QWidget]
ACTIVITY = frozenset(
    {
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.KeyPress,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.Wheel,
    }
)


@dataclass(frozen=True)
class TabSpec:
    title: str
    factory: TabFactory
    roles: frozenset[str]


class PendingTab(QWidget):
    """A tab the log-in has not built: built the first time it is shown or asked for, so a
    log-in costs one screen (the first) rather than every screen of the role."""

    def __init__(self, spec: TabSpec, staff: StaffMember) -> None:
        super().__init__()
        self.spec, self.staff = spec, staff


class StaffConsole(QWidget):
    exit_requested = Signal()
    locked = Signal()

    def __init__(
        self,
        sessions: Database,
        config: Config,
        parent: QWidget | None = None,
        *,
        idle_ms: int = IDLE_LOCK_MS,
        bank: LockerBank | None = None,
    ) -> None:
        super().__init__(parent)
        self.setStyleSheet(CONSOLE_STYLE)
        self.sessions, self.config = sessions, config
        self.bank = bank  # the kiosk's locker doors (one owner per serial port), if any
        self.staff: StaffMember | None = None
        self.open_setup = False  # an admin's log-in opens Admin, Setup (a new school)
        self._specs: list[TabSpec] = []
        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.setTimerType(Qt.TimerType.PreciseTimer)  # coarse: up to 9 s late
        self.idle_timer.setInterval(idle_ms)
        self.idle_timer.timeout.connect(lambda: self.lock("idle"))

        self.login = StaffLogin(
            sessions, "Staff console", cancellable=True, terminal=config.kiosk_name
        )
        self.login.logged_in.connect(self._logged_in)
        self.login.cancelled.connect(lambda: emit(self.exit_requested))
        self.who = QLabel("")
        self.who.setStyleSheet("font-size: 17px; font-weight: 700;")
        self.lock_button = QPushButton("Lock")
        self.lock_button.clicked.connect(lambda: self.lock("locked"))
        self.exit_button = QPushButton("Back to kiosk")
        self.exit_button.clicked.connect(self.leave)
        self.tabs = StripTabs()
        self.tabs.currentChanged.connect(self._tab_shown)
        # The tabs share a row with who is logged in, Lock and Back: on a 600 px screen
        # every row of chrome is a row the lists do not get.
        buttons = QHBoxLayout()
        buttons.addWidget(self.lock_button)
        buttons.addWidget(self.exit_button)
        corner = QVBoxLayout()
        corner.addWidget(self.who)
        corner.addLayout(buttons)
        corner.addStretch(1)
        bar = QHBoxLayout()
        bar.addWidget(self.tabs.strip, 1)
        bar.addLayout(corner)
        working = QWidget()
        working_layout = QVBoxLayout(working)
        working_layout.setContentsMargins(8, 4, 8, 4)
        working_layout.setSpacing(4)
        working_layout.addLayout(bar)
        working_layout.addWidget(self.tabs, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.login)
        self.stack.addWidget(working)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self._add_tabs()

    # -- tabs

    def add_tab(self, title: str, factory: TabFactory, roles: set[str]) -> None:
        """Offer a tab to the roles named; ``factory(staff)`` builds it when it is first
        shown after a log-in (and it is thrown away at each lock, so nothing is left behind
        the log-in screen)."""
        spec = TabSpec(title, factory, frozenset(roles))
        self._specs.append(spec)
        if self.staff is not None and self.staff.role in spec.roles:
            self.tabs.add_page(PendingTab(spec, self.staff), spec.title)

    def _add_tabs(self) -> None:
        s, c = self.sessions, self.config
        everyone = set(CONSOLE_ROLES)
        self.add_tab("Dashboard", lambda staff: self._dashboard(staff), everyone)
        self.add_tab("Lists", lambda staff: ListsTab(s, staff, c), everyone)
        self.add_tab("Release", lambda staff: self._release_tab(staff), everyone)
        self.add_tab("Confiscate", lambda staff: self._confiscate_tab(staff), everyone)
        self.add_tab("Searches", lambda staff: SearchesTab(s, staff, c), {"office", "senior"})
        self.add_tab("Devices", lambda staff: DevicesTab(s, staff, c), everyone)
        self.add_tab("End of day", lambda staff: EndOfDayTab(s, staff, c), everyone)
        self.add_tab("Lockers", lambda staff: LockerFaultsTab(s, staff, self.bank), everyone)
        self.add_tab("Out of school", lambda staff: OutOfSchoolTab(s, staff, c), everyone)
        self.add_tab("Pupil's devices", lambda staff: PupilDevicesTab(s, staff, c), everyone)
        self.add_tab("Emergency", lambda staff: EmergencyTab(s, staff, c), {"senior", "admin"})
        self.add_tab("Exams", lambda staff: ExamsTab(s, staff, c), {"senior", "admin"})
        self.add_tab("Reports", lambda staff: ReportsPanel(s, staff, c), {"senior", "admin"})
        self.add_tab("Admin", lambda staff: self._admin_panel(staff), {"admin"})

    def _confiscate_tab(self, staff: StaffMember) -> QWidget:
        tab = ConfiscateTab(self.sessions, staff, self.config)
        tab.search_requested.connect(self._record_search)
        return tab

    def _record_search(self, pupil: PupilSummary, custody_id: int) -> None:
        """From a confiscation just recorded: a search record for that pupil and device."""
        searches_tab = self.show_tab("Searches")
        if isinstance(searches_tab, SearchesTab):
            searches_tab.new_record(pupil, custody_id)

    def _release_tab(self, staff: StaffMember) -> QWidget:
        tab = ReleaseTab(self.sessions, staff, self.config)
        tab.bank = self.bank  # a release opens the slot's locker door, if it has one
        return tab

    def _admin_panel(self, staff: StaffMember) -> QWidget:
        panel = AdminPanel(self.sessions, staff, self.config)
        panel.guide.open_tab = self.show_tab  # the setup's slots step links to Lockers
        return panel

    def _dashboard(self, staff: StaffMember) -> QWidget:
        tab = DashboardTab(self.sessions, staff, self.config)
        tab.list_requested.connect(self.open_list)
        return tab

    def _build_tab(self, spec: TabSpec, staff: StaffMember) -> QWidget:
        try:
            return spec.factory(staff)
        except Exception as error:  # one broken screen must not take the console down
            log.error("Opening the %s tab failed: %s", spec.title, describe_failure(error))
            widget = QLabel(f"{spec.title} could not be opened. The problem has been logged.")
            widget.setProperty("role", "error")
            return widget

    def _built(self, index: int) -> QWidget | None:
        """The tab at ``index``, built now if it was still pending."""
        page = self.tabs.widget(index)
        if isinstance(page, PendingTab):
            page = self._build_tab(page.spec, page.staff)
            self.tabs.replace_page(index, page)
        return page

    def tab(self, title: str) -> QWidget | None:
        for index in range(self.tabs.count()):
            if self.tabs.tabText(index) == title:
                return self._built(index)
        return None

    def show_tab(self, title: str) -> QWidget | None:
        widget = self.tab(title)
        if widget is not None:
            self.tabs.setCurrentWidget(widget)
        return widget

    def show_setup(self) -> None:
        """Admin, Setup, guided from the first step not done."""
        panel = self.show_tab("Admin")
        if isinstance(panel, AdminPanel):
            panel.guide.start()

    def _tab_shown(self, index: int) -> None:
        widget = self._built(index)
        refresh = getattr(widget, "refresh", None)
        if callable(refresh):
            refresh()

    def open_list(self, name: str) -> None:
        if name == "lockers":  # the dashboard's locker-fault banner
            self.show_tab("Lockers")
            return
        lists = self.tab("Lists")
        if isinstance(lists, ListsTab) and name in lists.specs:
            self.tabs.setCurrentWidget(lists)
            lists.show_list(name)

    # -- logging in and out

    def _logged_in(self, member: StaffMember) -> None:
        if member.role not in CONSOLE_ROLES or not may(member.role, Action.VIEW_CONSOLE):
            self.login.message.setText("Your role cannot use the staff console.")
            return
        self.staff = member
        self.who.setText(f"Logged in: {member.name}, {member.role}")
        self.tabs.blockSignals(True)
        for spec in self._specs:
            if member.role in spec.roles:
                self.tabs.add_page(PendingTab(spec, member), spec.title)
        self._built(0)
        self.tabs.setCurrentIndex(0)
        self.tabs.blockSignals(False)
        self.stack.setCurrentIndex(1)
        if self.open_setup and member.role == "admin":
            self.show_setup()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.idle_timer.start()

    def lock(self, reason: str = "locked") -> None:
        """Back to the log-in screen, throwing the tabs away; recorded in the audit log."""
        member = self.staff
        if member is None:
            return
        self.staff = None
        self.idle_timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self._discard_tabs()
        self.who.setText("")
        self.login.reload()
        self.login.message.setText("Locked after a few minutes unused." if reason == "idle" else "")
        self.stack.setCurrentIndex(0)
        # The lock itself has happened; only the record can fail (and is then logged).
        record = partial(record_console_locked, self.sessions, member.actor, reason)
        Op(self, "Recording a console lock", record).run()
        emit(self.locked)

    def _discard_tabs(self) -> None:
        # Quietly: each removal makes the next tab current, which would reload it.
        self.tabs.blockSignals(True)
        while self.tabs.count():
            self.tabs.remove_page(0)
        self.tabs.blockSignals(False)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.lock("exit")
        super().closeEvent(event)

    def leave(self) -> None:
        self.lock("exit")
        emit(self.exit_requested)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            isinstance(event, QInputEvent)  # first: this filter sees every event of the app
            and event.type() in ACTIVITY
            and isinstance(watched, QWidget)
            and (watched is self or self.isAncestorOf(watched))
        ):
            self.idle_timer.start()  # restarts the countdown
        return False

    # -- scans

    def handle_scan(self, text: str) -> None:
        """A pupil card read by the USB scanner (or camera) while the console is showing."""
        if self.staff is None:
            self.login.message.setText("Log in first, then scan the card.")
            return
        self.idle_timer.start()
        current: QWidget | None = self.tabs.currentWidget()
        if not callable(getattr(current, "handle_scan", None)):
            current = self.show_tab("Release")
        handler = getattr(current, "handle_scan", None)
        if callable(handler):
            handler(text)
