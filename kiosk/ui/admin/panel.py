"""The admin panel: a column of big section buttons on the left and the chosen section on
the right. The staff console hosts it as a tab for admins; every action is also checked
by the services themselves, so the panel grants nothing a role does not have."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.config import Config
from kiosk.db import Database
from kiosk.services.staff import StaffMember
from kiosk.ui.admin.cards_page import CardsPage
from kiosk.ui.admin.contacts_page import ContactsPage
from kiosk.ui.admin.labels_page import LabelsPage
from kiosk.ui.admin.ladder_page import LadderPage
from kiosk.ui.admin.letters_page import LettersPage
from kiosk.ui.admin.photos_page import PhotosPage
from kiosk.ui.admin.roster_page import RosterPage
from kiosk.ui.admin.settings_page import SettingsPage
from kiosk.ui.admin.setup_guide import SetupGuide, SetupOverview
from kiosk.ui.admin.slots_page import SlotsPage
from kiosk.ui.admin.staff_page import StaffPage
from kiosk.ui.background import Lane, shared_lane
from kiosk.ui.style import BLUE, WHITE
from kiosk.ui.widgets.tab_strip import TabStrip

NAV_STYLE = f"""
QPushButton:checked {{ background: {BLUE}; color: {WHITE}; }}
QPushButton[role="primary"]:disabled, QPushButton[role="danger"]:disabled {{
    background: #e5e7eb; color: #6b7280; border-color: #9ca3af;
}}
QGroupBox {{ font-weight: 700; }}
"""


class AdminPanel(QWidget):
    def __init__(
        self,
        sessions: Database,
        staff: StaffMember,
        config: Config,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.sessions, self.staff, self.config = sessions, staff, config
        self.setStyleSheet(NAV_STYLE)
        self.roster = RosterPage(sessions, staff)
        self.contacts = ContactsPage(sessions, staff)
        self.photos = PhotosPage(sessions, staff)
        self.cards = CardsPage(sessions, staff, config)
        self.labels = LabelsPage(sessions, staff, config)
        self.staff_page = StaffPage(sessions, staff)
        self.slots = SlotsPage(sessions, staff)
        self.settings = SettingsPage(sessions, staff)
        self.ladder = LadderPage(sessions, staff)
        self.letters = LettersPage(sessions, staff, config)
        self.setup = SetupOverview(sessions)
        sections: list[tuple[str, QWidget, Callable[[], None] | None]] = [
            ("Roster import", self.roster, None),
            ("Contacts import", self.contacts, None),
            ("Photos", self.photos, None),
            ("Pupil cards", self.cards, self.cards.reload_choices),
            ("Slot labels", self.labels, self.labels.reload),
            ("Staff", self.staff_page, self.staff_page.reload),
            ("Slots", self.slots, self.slots.reload),
            ("Settings", self.settings, self.settings.reload),
            ("Confiscation rules", self.ladder, self.ladder.reload),
            ("Letters and email", self.letters, self.letters.reload),
            ("Setup", self.setup, self.setup.reload),
        ]
        self.titles = [name for name, _page, _on_show in sections]
        self.guide = SetupGuide(sessions, staff, self.setup, self.show_named)
        self.stack = QStackedWidget()
        # The sections as a wrapping row above the page (a column beside it took 230 px
        # from pages that need the whole width of a 1024 px screen).
        self.strip = TabStrip()
        self.strip.set_titles([name for name, _page, _on_show in sections])
        self._on_show: dict[int, Callable[[], None] | None] = {}
        for index, (_name, page, on_show) in enumerate(sections):
            self.stack.addWidget(page)
            self._on_show[index] = on_show
        self.strip.chosen.connect(self.show_section)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.strip)
        layout.addWidget(self.guide.bar)
        layout.addWidget(self.stack, 1)
        self.strip.select(0)

    @property
    def lane(self) -> Lane:
        """Where this panel's long jobs run: the application's shared lane."""
        return shared_lane()

    def show_named(self, title: str) -> None:
        self.show_section(self.titles.index(title))

    def show_section(self, index: int) -> None:
        """Show a section, with its lists read afresh (another kiosk may have changed them)."""
        self.strip.select(index)
        self.stack.setCurrentIndex(index)
        refresh = self._on_show.get(index)
        if refresh is not None:
            refresh()
