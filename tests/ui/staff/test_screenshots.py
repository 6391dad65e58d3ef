"""Screenshots of the staff console at the smallest, a middle and the largest supported
screen, into ``artifacts/staff/`` to look at: the log-in, the dashboard, and the reports
and admin panels an admin sees. Nothing may be cut off: the console keeps the size asked
(its minimum fits the screen), and so each picture is that size."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QWidget

from ui.look import save_png
from ui.staff.conftest import log_in, settle

SIZES = ((1024, 600), (1280, 800), (1920, 1080))


def shot(widget: QWidget, folder: Path, name: str, asked: tuple[int, int] | None = None) -> Path:
    """Save a picture of ``widget``; with ``asked``, first check it kept that size."""
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
    size = (widget.width(), widget.height())
    if asked is not None:
        assert size == asked, f"the console grew past the screen: {size}, not {asked}"
        hint = widget.minimumSizeHint()
        assert hint.width() <= asked[0] and hint.height() <= asked[1]
    image = widget.grab().toImage()
    assert (image.width(), image.height()) == size
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}_{size[0]}x{size[1]}.png"
    assert save_png(image, path)
    return path


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_console_at_each_screen_size(qtbot, make_console, artifacts, size):
    folder = artifacts / "staff"
    folder.mkdir(parents=True, exist_ok=True)
    console = make_console()
    console.resize(*size)
    qtbot.waitUntil(lambda: console.login.loaded, timeout=5000)  # names read in the background
    shot(console, folder, "01_login", size)
    log_in(console, "admin")
    shot(console, folder, "02_dashboard_admin", size)
    for index, title in enumerate(("Release", "Reports", "Admin"), start=3):
        console.show_tab(title)
        settle()
        shot(console, folder, f"0{index}_{title.lower()}", size)
