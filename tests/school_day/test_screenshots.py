"""Screenshots of the day's new screens at the smallest and the largest supported screen,
into ``artifacts/school_day/`` to look at: the kiosk telling a pupil their phone and watch
and home time showing both, and the console's Out of school, Pupil's devices, Emergency
and dashboard. Each picture must be the size asked, and every button a finger can reach."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
from ui.look import save_png
from ui.staff.conftest import log_in, settle

from kiosk.clock import SCHOOL_ZONE
from kiosk.config import Config
from kiosk.devices import Device, DeviceKind
from kiosk.services import custody, day_outs, device_items, emergency, pupils
from kiosk.ui.kiosk_screen.screen import KioskScreen
from kiosk.ui.style import TOUCH

SIZES = ((1024, 600), (1920, 1080))


def shot(widget: QWidget, folder: Path, name: str) -> Path:
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
    image = widget.grab().toImage()
    assert (image.width(), image.height()) == (widget.width(), widget.height())
    path = folder / f"{name}_{widget.width()}x{widget.height()}.png"
    assert save_png(image, path)
    return path


def small_buttons(widget: QWidget) -> list[str]:
    return [
        b.text()
        for b in widget.findChildren(QPushButton)
        if b.isVisible() and b.text() and b.height() < TOUCH
    ]


def at(hour: int) -> dt.datetime:
    today = dt.datetime.now(SCHOOL_ZONE).date()
    local = dt.datetime.combine(today, dt.time(hour), tzinfo=SCHOOL_ZONE)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_kiosk_screens_for_several_devices(qtbot, sessions, school, data_dir, artifacts, size):
    folder = artifacts / "school_day"
    folder.mkdir(parents=True, exist_ok=True)
    pupil = school.pupil_ids[0]
    two = [Device(DeviceKind.PHONE), Device(DeviceKind.WATCH, "black Garmin")]
    device_items.set_usual_devices(sessions, school.actors["office"], pupil, two)
    config = Config(data_dir, "", "k", camera="", fullscreen=False)
    for name, hour in (("kiosk_handin_phone_and_watch", 8), ("kiosk_home_time_both", 16)):
        screen = KioskScreen(sessions, config, clock=lambda hour=hour: at(hour))
        qtbot.addWidget(screen)
        screen.resize(*size)
        screen.show()
        qtbot.waitExposed(screen)
        with qtbot.waitSignal(screen.state_changed, timeout=5000):
            screen.handle_scan(school.card_texts[pupil])
        qtbot.waitUntil(lambda s=screen: s.lane.pending == 0, timeout=5000)
        shot(screen, folder, name)
        text = " ".join(w.text() for w in screen.findChildren(QWidget) if hasattr(w, "text"))
        summary = pupils.summary(sessions, pupil)
        assert summary.surname not in text and summary.reg_group not in text  # nothing private
        assert "Garmin" not in text
        assert small_buttons(screen) == []
        screen.close()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_console_screens_of_the_day(qtbot, make_console, sessions, school, artifacts, size,
                                         monkeypatch):  # fmt: skip
    monkeypatch.setattr("kiosk.ui.staff.emergency_tab.open_document", lambda _path: True)
    folder = artifacts / "school_day"
    folder.mkdir(parents=True, exist_ok=True)
    for pupil in school.pupil_ids[:40]:
        custody.hand_in(sessions, pupil)
    office, senior = school.actors["office"], school.actors["senior"]
    day_outs.release_for_day_out(
        sessions, office, school.pupil_ids[:12], "trip", group_name="Year 9 museum"
    )
    day_outs.release_for_day_out(sessions, office, [school.pupil_ids[13]], "appointment", "dentist")
    device_items.set_usual_devices(
        sessions, office, school.pupil_ids[20], [Device(DeviceKind.PHONE), Device(DeviceKind.WATCH)]
    )
    console = make_console()  # office staff: their tabs fit the smallest screen
    console.resize(*size)
    log_in(console, "office")
    settle()
    shot(console, folder, "console_dashboard_out_now")
    tab = console.show_tab("Out of school")
    settle()
    tab.add(day_outs.pupils_of(sessions, form=school_form(sessions, school)))
    tab.reason.setCurrentIndex(tab.reason.findText("Club"))
    shot(console, folder, "console_out_of_school_release")
    tab.pages.setCurrentIndex(1)
    shot(console, folder, "console_out_of_school_still_out")
    assert small_buttons(console) == []
    devices_tab = console.show_tab("Pupil's devices")
    devices_tab.show_pupil(pupils.summary(sessions, school.pupil_ids[30]))
    settle()
    shot(console, folder, "console_pupils_devices")
    # The new tabs' fit at 1024x600 (the console keeps the size asked, pages and side panels
    # scroll, nothing cut off or squashed) is checked for every tab, at three sizes, by
    # tests/ui/staff/test_layout_fits.py.
    console.lock()
    log_in(console, "senior")  # (the Reports tab senior staff also get is taller than 600)
    emergency_tab = console.show_tab("Emergency")
    settle()
    emergency_tab.print_list()
    settle()
    path = emergency_tab.saved.path
    shot(console, folder, "console_emergency_list")
    emergency.release_all(sessions, senior, "Fire alarm: evacuation")
    emergency_tab.refresh()
    settle()
    emergency_tab.pages.setCurrentIndex(1)
    shot(console, folder, "console_emergency_not_back")
    assert small_buttons(console) == []
    if size == SIZES[0] and path is not None:
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path),
             str(folder / "emergency_list_pdf")], check=True,
        )  # fmt: skip


def school_form(sessions, school) -> str:
    return pupils.summary(sessions, school.pupil_ids[25]).reg_group
