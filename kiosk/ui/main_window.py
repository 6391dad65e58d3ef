"""The main window: stacks the pupil screen and the staff console, routes the USB
scanner, keeps the kiosk full screen, and runs the daily backup in the background."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import QMainWindow, QStackedWidget, QWidget

from kiosk.config import Config
from kiosk.db import Database
from kiosk.db_limits import deadline
from kiosk.scanning.wedge import ScannerWedgeFilter
from kiosk.services import backup, setup
from kiosk.services.health import DEVICES
from kiosk.ui.background import Failure, Lane, Op, log_failure
from kiosk.ui.kiosk_screen.screen import KioskScreen

if TYPE_CHECKING:
    from kiosk.ui.staff.console import StaffConsole

log = logging.getLogger(__name__)

BACKUP_EVERY_MS = 60 * 60 * 1000
DailyBackup = Callable[[Config], object]


class MainWindow(QMainWindow):
    def __init__(
        self,
        config: Config,
        sessions: Database,
        *,
        daily_backup: DailyBackup = backup.ensure_daily_backup,
    ) -> None:
        super().__init__()
        self.config, self.sessions = config, sessions
        self.daily_backup = daily_backup
        self.setWindowTitle("Device hand-in kiosk")
        self.allow_close = False
        self.kiosk = KioskScreen(sessions, config, self)
        self.kiosk.console_requested.connect(self.open_console)
        self.kiosk.full_screen_requested.connect(self.set_kiosk_mode)
        self.kiosk.close_requested.connect(self.close_for_good)
        self.console: StaffConsole | None = None
        self.stack = QStackedWidget()
        self.stack.addWidget(self.kiosk)
        self.setCentralWidget(self.stack)
        self.wedge = ScannerWedgeFilter(self)
        self.wedge.scanned.connect(self.route_scan)
        app = QCoreApplication.instance()
        if app is not None:
            app.installEventFilter(self.wedge)
        self.maintenance = Lane("maintenance", owner=self)
        self.backup_timer = QTimer(self)
        self.backup_timer.timeout.connect(self.run_backup)
        self.backup_timer.start(BACKUP_EVERY_MS)
        QTimer.singleShot(0, self.run_backup)
        if self._new_school():
            self.show_first_admin()

    # -- scanning

    def route_scan(self, text: str) -> None:
        """A USB scanner burst goes to whichever screen is showing."""
        DEVICES.scanner_heard()
        current = self.stack.currentWidget()
        if current is self.kiosk:
            self.kiosk.handle_scan(text)
            return
        handler = getattr(current, "handle_scan", None)
        if callable(handler):
            handler(text)

    # -- a new school

    def _new_school(self) -> bool:
        """No staff account at all: the first start of a new kiosk."""
        try:
            with deadline(self.sessions.limits.job_s):
                return not setup.has_staff(self.sessions)
        except Exception as error:  # the pupil screen says what is wrong at the first scan
            log_failure("Checking for staff accounts", error)
            return False

    def show_first_admin(self) -> None:
        """The first admin is made here; the setup goes on in the console, behind their PIN."""
        from kiosk.ui.admin.first_admin import FirstAdminPage

        page = FirstAdminPage(self.sessions)
        page.created.connect(partial(self._first_admin_made, page))
        self.stack.addWidget(page)
        self.stack.setCurrentWidget(page)

    def _first_admin_made(self, page: QWidget, name: str) -> None:
        self.stack.removeWidget(page)
        page.deleteLater()
        self.open_console(setup_first=True)
        if self.console is not None:
            self.console.login.message.setText(
                f"{name} is the first admin. Log in with the PIN you chose to go on with the setup."
            )

    # -- the staff console

    def open_console(self, setup_first: bool | None = None) -> None:
        """``setup_first``: an admin's log-in opens the setup (by default, while the pupil
        screen is not set up)."""
        # Imported here, not at the top: the console with its panels (and their PDF, XLSX
        # and printing libraries) is half of the kiosk's start-up imports, and a pupil's
        # first scan should not wait for them.
        from kiosk.ui.staff.console import StaffConsole

        console = StaffConsole(self.sessions, self.config, None, bank=self.kiosk.bank)
        console.open_setup = not self.kiosk.ready if setup_first is None else setup_first
        console.exit_requested.connect(self.close_console)
        self.console = console
        self.stack.addWidget(console)
        self.stack.setCurrentWidget(console)

    def close_console(self) -> None:
        """Back to the pupil screen. The console is thrown away, so no staff log-in can
        linger behind the pupil screen."""
        self.stack.setCurrentWidget(self.kiosk)
        if self.console is not None:
            self.stack.removeWidget(self.console)
            self.console.deleteLater()
            self.console = None
        self.kiosk.reload_settings()  # the setup, or settings, may have changed

    # -- full screen

    def set_kiosk_mode(self, full_screen: bool) -> None:
        """Full screen without window decorations, or an ordinary window (after a PIN)."""
        self.setWindowFlag(Qt.WindowType.FramelessWindowHint, full_screen)
        if full_screen:
            # Without a window manager (a bare X session on a kiosk PC) "full screen" is
            # only a hint nobody acts on: cover the screen ourselves as well.
            screen = self.screen() or QGuiApplication.primaryScreen()
            if screen is not None:
                self.setGeometry(screen.geometry())
            self.showFullScreen()
        else:
            self.showNormal()
            self.resize(1280, 800)

    def close_for_good(self) -> None:
        self.allow_close = True
        self.close()
        QCoreApplication.quit()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.isFullScreen() and not self.allow_close:
            event.ignore()  # Alt+F4 and the like: leaving needs a staff PIN
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        app = QCoreApplication.instance()
        if app is not None:
            app.removeEventFilter(self.wedge)
        self.backup_timer.stop()
        self.kiosk.shutdown()
        self.maintenance.stop()

    # -- backups

    def run_backup(self) -> None:
        """Once a day's backup is made, ``ensure_daily_backup`` does nothing until the next
        day; running it hourly means a kiosk left on overnight still gets its backup."""
        if self.maintenance.pending:
            return
        job = partial(self.daily_backup, self.config)
        Op(self, "The daily backup", job).failure(_backup_failed).run(self.maintenance)


def _backup_failed(failure: Failure) -> None:
    # Never on the pupils' screen: the office sees a missing backup in the backups list.
    log.warning("Daily backup not made: %s", failure.words)
