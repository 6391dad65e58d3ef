"""Screenshots of the staff console at the smallest, a middle and the largest supported
screen, into ``artifacts/staff/`` to look at: the log-in, the dashboard, and the reports
and admin panels an admin sees. Nothing may be cut off: each picture is the size asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QWidget

from ui_staff.conftest import log_in, settle

SIZES = ((1024, 600), (1280, 800), (1920, 1080))


def shot(widget: QWidget, folder: Path, name: str) -> Path:
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
    size = (widget.width(), widget.height())
    image = widget.grab().toImage()
    assert (image.width(), image.height()) == size
    path = folder / f"{name}_{size[0]}x{size[1]}.png"
    assert image.save(str(path))
    return path


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_console_at_each_screen_size(qtbot, make_console, artifacts, size):
    folder = artifacts / "staff"
    folder.mkdir(parents=True, exist_ok=True)
    console = make_console()
    console.resize(*size)
    qtbot.waitUntil(lambda: console.login.loaded, timeout=5000)  # names read in the background
    shot(console, folder, "01_login")
    log_in(console, "admin")
    shot(console, folder, "02_dashboard_admin")
    for index, title in enumerate(("Release", "Reports", "Admin"), start=3):
        console.show_tab(title)
        settle()
        shot(console, folder, f"0{index}_{title.lower()}")
