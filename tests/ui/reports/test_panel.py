"""The reports panel as senior staff and admins use it: export with progress on a worker
thread, cancel, refusals in plain words, backups for admins; and a finished export as a
person would check it on the screenshot."""

from __future__ import annotations

import csv
import datetime as dt
import threading
from pathlib import Path

import openpyxl
import pytest
from fixtures.reports import *  # noqa: F403 (the reports tests' fixtures)
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QPushButton
from sqlalchemy import func, select

from kiosk.config import Config
from kiosk.demo import DEMO_PINS
from kiosk.services import backup
from kiosk.services.staff import StaffMember
from kiosk.tables import AuditEvent
from kiosk.ui.reports import panel as panel_module
from kiosk.ui.reports.panel import ReportsPanel, school_year_start
from kiosk.ui.style import STYLE_SHEET
from ui.look import save_png


@pytest.fixture
def config(data_dir: Path, database_url: str) -> Config:
    return Config(data_dir, database_url, "kiosk-1", "", False)


def member(history, role: str) -> StaffMember:
    actor = history.school.actors[role]
    return StaffMember(actor.id, actor.name, role, True, False)


@pytest.fixture
def make_panel(qtbot, sessions, config, history):
    def make(role: str) -> ReportsPanel:
        panel = ReportsPanel(sessions, member(history, role), config)
        panel.setStyleSheet(STYLE_SHEET)
        qtbot.addWidget(panel)
        panel.resize(1100, 760)
        panel.date_from.setDate(QDate(2026, 3, 23))
        panel.date_to.setDate(QDate(2026, 3, 31))
        return panel

    return make


def choose(box, value) -> None:
    box.setCurrentIndex(box.findData(value))


def test_a_senior_exports_the_custody_log_with_progress(qtbot, make_panel, config):
    panel = make_panel("senior")
    choose(panel.report_box, "custody")
    choose(panel.format_box, "xlsx")
    seen: list[int] = []
    panel.progress.valueChanged.connect(seen.append)
    qtbot.mouseClick(panel.export_button, qtbot_left())
    qtbot.waitUntil(lambda: panel.result_bar.isVisibleTo(panel), timeout=20000)
    result = panel.last_result
    assert result is not None and result.path.parent == config.export_dir
    assert str(result.path) in panel.result_label.text()
    assert panel.progress.value() == 100 and seen[-1] == 100
    assert panel.export_button.isEnabled() and not panel.cancel_button.isEnabled()
    rows = list(openpyxl.load_workbook(result.path, read_only=True)["Custody log"].iter_rows())
    assert len(rows) - 1 == result.rows > 20
    assert not panel.backup_button.isVisibleTo(panel)  # backups are for admins


def test_the_summary_is_always_a_pdf(qtbot, make_panel):
    panel = make_panel("admin")
    choose(panel.report_box, "summary")
    assert not panel.format_box.isEnabled()
    assert panel.request().format == "pdf"
    qtbot.mouseClick(panel.export_button, qtbot_left())
    qtbot.waitUntil(lambda: panel.last_result is not None, timeout=20000)
    assert panel.last_result.path.suffix == ".pdf"


def test_cancelling_writes_nothing(qtbot, make_panel, config, sessions, monkeypatch):
    started, go_on = threading.Event(), threading.Event()
    real = panel_module.run_export

    def held_at_first_progress(sessions_, actor, request, out, progress, cancelled):
        def waiting(done: int, total: int) -> None:
            started.set()
            go_on.wait(10)
            progress(done, total)

        return real(sessions_, actor, request, out, waiting, cancelled)

    monkeypatch.setattr(panel_module, "run_export", held_at_first_progress)
    with sessions() as session:
        before = session.scalar(select(func.max(AuditEvent.seq)))
    panel = make_panel("admin")
    choose(panel.report_box, "audit")
    qtbot.mouseClick(panel.export_button, qtbot_left())
    assert started.wait(10)
    assert panel.cancel_button.isEnabled()
    qtbot.mouseClick(panel.cancel_button, qtbot_left())
    go_on.set()
    qtbot.waitUntil(lambda: "Cancelled" in panel.status.text(), timeout=20000)
    assert panel.status.is_error and panel.last_result is None
    assert not config.export_dir.exists() or list(config.export_dir.iterdir()) == []
    with sessions() as session:
        assert session.scalar(select(func.max(AuditEvent.seq))) == before


def test_office_staff_see_why_they_cannot_export(make_panel):
    panel = make_panel("office")
    assert not panel.export_button.isEnabled()
    assert "senior staff and admins" in panel.status.text()


def test_a_bad_date_range_is_shown_in_words(qtbot, make_panel, config):
    panel = make_panel("senior")
    panel.date_to.setDate(QDate(2026, 3, 1))
    qtbot.mouseClick(panel.export_button, qtbot_left())
    assert panel.status.is_error and "before the start date" in panel.status.text()
    assert not panel.busy and not config.export_dir.exists()


def test_an_admin_backs_up_from_the_panel(qtbot, make_panel, config):
    panel = make_panel("admin")
    assert panel.backup_button.isVisibleTo(panel) and "No backups yet" in panel.backup_label.text()
    qtbot.mouseClick(panel.backup_button, qtbot_left())
    qtbot.waitUntil(lambda: "Backed up to" in panel.status.text(), timeout=20000)
    [made] = backup.list_backups(config.backup_dir)
    assert made.path.name in panel.status.text() and "Newest backup" in panel.backup_label.text()


def test_an_admin_restore_refuses_a_tampered_file_and_says_why(qtbot, make_panel, config):
    import sqlite3

    made = backup.make_backup(config)
    with sqlite3.connect(made.path) as conn:
        conn.execute("DROP TRIGGER audit_events_no_update")
        conn.execute("UPDATE audit_events SET kind = 'collected' WHERE seq = 20")
    panel = make_panel("admin")
    panel.start_restore(made.path, DEMO_PINS["admin"])
    qtbot.waitUntil(lambda: panel.status.is_error, timeout=20000)
    assert "trigger 'audit_events_no_update' on audit_events is missing" in panel.status.text()
    assert panel.restore_button.isEnabled()


def test_the_school_year_starts_in_september():
    assert school_year_start(dt.date(2026, 3, 31)) == dt.date(2025, 9, 1)
    assert school_year_start(dt.date(2026, 9, 1)) == dt.date(2026, 9, 1)


def test_a_finished_export_shows_what_was_saved_and_everything_fits(
    qtbot, make_panel, config, artifacts
):
    """What a person checks on the screenshot: the words say how many rows went where,
    the file holds that many, the buttons are back, and nothing is cut off."""
    panel = make_panel("admin")
    choose(panel.report_box, "audit")
    choose(panel.format_box, "csv")
    panel.show()
    qtbot.waitExposed(panel)
    qtbot.mouseClick(panel.export_button, qtbot_left())
    qtbot.waitUntil(lambda: panel.last_result is not None, timeout=20000)
    result = panel.last_result
    with result.path.open(newline="", encoding="utf-8-sig") as saved:
        lines = list(csv.reader(saved))
    assert result.path.parent == config.export_dir and result.path.suffix == ".csv"
    assert len(lines) - 1 == result.rows > 20
    assert panel.status.text() == f"Done: {result.rows:,} rows." and not panel.status.is_error
    assert panel.result_label.text() == f"Saved as {result.path}"
    assert panel.progress.value() == 100
    assert panel.export_button.isEnabled() and not panel.cancel_button.isEnabled()
    shown = [panel.result_bar, panel.open_button, panel.folder_button, panel.backup_button]
    assert all(widget.isVisible() for widget in shown)
    assert "No backups yet" in panel.backup_label.text()
    assert panel.minimumSizeHint().height() <= panel.height()
    for button in panel.findChildren(QPushButton):
        assert button.width() >= button.sizeHint().width(), f"{button.text()!r} is cut off"
    for box in panel.findChildren(QComboBox):
        assert box.width() >= box.minimumSizeHint().width(), f"{box.currentText()!r} is cut off"
    image = panel.grab()
    assert image.size() == panel.size() and save_png(image, artifacts / "reports_panel.png")


def qtbot_left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
