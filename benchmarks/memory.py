"""Memory over a simulated 8-hour school day with the camera running (target: resident
memory flat within 10 MB).

The real ``CameraService`` (its ``CameraWorker`` in a ``QThread``, the default decoder) reads
a folder of 640x480 frames, half of them showing one of 30 pupils' cards, as fast as it
can (the day is compressed: many more frames a second than a webcam gives). Each decoded
card goes through the real services: a hand-in, or, if that pupil's device is held, a
collection by the office. The preview frames are painted into the real ``ImageView`` of
the idle screen. Resident memory (VmRSS) is sampled once a simulated minute.

    .venv/bin/python benchmarks/memory.py [--quick] [--seconds 480]

Growth is the median RSS of the last simulated hour minus that of the second (imports,
caches and the decoder's buffers settle in the first); a leak of even 100 bytes a frame
would show as several MB over the run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2
import numpy as np
from _support import load_note, record
from _table import print_table
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from kiosk.db import open_database
from kiosk.demo import DemoSchool, build_school
from kiosk.errors import KioskError
from kiosk.scanning.camera import CameraService
from kiosk.services import custody, settings
from kiosk.ui.app import protect_singletons
from kiosk.ui.widgets.image_view import ImageView

if TYPE_CHECKING:  # the tree before issue 13 (redesign.py runs it too) has no Database
    from kiosk.db import Database

TARGET_MB = 10.0
DAY_HOURS = 8
CARDS = 30
FRAME = (640, 480)
HEADERS = ["hour 2", "hour 8", "peak", "growth", "trend", "frames", "hand-ins"]
HEADERS += ["collections", "refused", "target", "met"]


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def card_frame(text: str, index: int) -> np.ndarray:
    """A grey desk with the card's QR code, a little off-centre."""
    symbol = cv2.QRCodeEncoder.create().encode(text)
    qr = cv2.resize(symbol, None, fx=5, fy=5, interpolation=cv2.INTER_NEAREST)
    frame = np.full((FRAME[1], FRAME[0], 3), 120 + index % 40, np.uint8)
    y, x = 60 + index % 50, 150 + (index * 7) % 120
    frame[y : y + qr.shape[0], x : x + qr.shape[1]] = qr[:, :, None]
    return frame


def empty_frame(index: int) -> np.ndarray:
    rng = np.random.default_rng(index)
    return rng.integers(90, 160, (FRAME[1], FRAME[0], 3), dtype=np.uint8)


def write_frames(folder: Path, school: DemoSchool) -> None:
    for i, pupil_id in enumerate(school.pupil_ids[:CARDS]):
        cv2.imwrite(str(folder / f"{2 * i:04d}.png"), card_frame(school.card_texts[pupil_id], i))
        cv2.imwrite(str(folder / f"{2 * i + 1:04d}.png"), empty_frame(i))


@dataclass
class Day:
    """What happened, and the memory samples (simulated minute, MB)."""

    samples: list[tuple[float, float]] = field(default_factory=list)
    hand_ins: int = 0
    collections: int = 0
    refusals: int = 0
    frames: int = 0

    def count_frame(self, _image: object) -> None:
        self.frames += 1


class Office:
    """Receives the camera's scans as the kiosk would, and does the database work."""

    def __init__(self, sessions: Database, school: DemoSchool, day: Day) -> None:
        self.sessions, self.office, self.day = sessions, school.actors["office"], day

    def on_scan(self, text: str) -> None:
        try:
            result = custody.hand_in_by_card(self.sessions, text)
            if result.already_held and result.custody_id is not None:
                custody.collect(self.sessions, result.custody_id, self.office)
                self.day.collections += 1
            else:
                self.day.hand_ins += 1
        except KioskError:
            self.day.refusals += 1


def run_day(seconds: float, folder: Path, sessions: Database, school: DemoSchool) -> Day:
    app = QApplication.instance() or QApplication([])
    day = Day()
    preview = ImageView(placeholder="Starting the camera…")
    preview.resize(640, 480)
    preview.show()
    office = Office(sessions, school, day)
    # Every frame is also a preview (a webcam kiosk previews about every other frame).
    camera = CameraService(str(folder), fps=1000.0, preview_fps=1000.0, debounce_seconds=2.0)
    camera.code_scanned.connect(office.on_scan)
    camera.frame_ready.connect(preview.set_image)
    camera.frame_ready.connect(day.count_frame)
    began = time.perf_counter()
    minute = seconds / (DAY_HOURS * 60)  # real seconds per simulated minute

    def sample() -> None:
        simulated = (time.perf_counter() - began) / minute
        day.samples.append((simulated, rss_mb()))
        if simulated >= DAY_HOURS * 60:
            app.quit()

    sampler = QTimer()
    sampler.timeout.connect(sample)
    sampler.start(max(1, int(minute * 1000)))
    camera.start()
    app.exec()
    camera.stop()
    return day


def report(day: Day, seconds: float) -> bool:
    """Growth is the typical RSS of the last simulated hour minus that of the second hour
    (medians: one sample of a burst is not growth); the peak is shown beside it."""
    baseline = _median_between(day, 60, 120)
    end = _median_between(day, (DAY_HOURS - 1) * 60, DAY_HOURS * 60)
    peak = max(mb for _, mb in day.samples)
    growth = end - baseline
    slope = _slope([(m, mb) for m, mb in day.samples if m >= 60]) * 60  # MB a simulated hour
    met = growth <= TARGET_MB
    print_table(
        f"Memory over a simulated {DAY_HOURS}-hour day in {seconds:.0f} s with the camera "
        f"running flat out; {load_note()}",
        HEADERS,
        [
            [
                f"{baseline:.1f} MB",
                f"{end:.1f} MB",
                f"{peak:.1f} MB",
                f"{growth:+.1f} MB",
                f"{slope:+.2f} MB/h",
                f"{day.frames:,}",
                day.hand_ins,
                day.collections,
                day.refusals,
                f"growth <= {TARGET_MB:g} MB",
                "yes" if met else "NO",
            ]
        ],
    )
    hourly = [[f"{h} h", f"{_at_minute(day, h * 60):.1f}"] for h in range(0, DAY_HOURS + 1)]
    print_table("Resident memory at each simulated hour (MB)", ["hour", "RSS"], hourly)
    value = f"{growth:+.1f} MB over {day.frames:,} frames (peak {peak:.0f} MB)"
    record("memory", "RSS over an 8-hour day", value, f"<= {TARGET_MB:g} MB", met)
    return met


def _median_between(day: Day, first: float, last: float) -> float:
    return float(np.median([mb for minute, mb in day.samples if first <= minute <= last]))


def _at_minute(day: Day, minute: float) -> float:
    return min(day.samples, key=lambda sample: abs(sample[0] - minute))[1]


def _slope(points: list[tuple[float, float]]) -> float:
    xs = np.array([p[0] for p in points])
    ys = np.array([p[1] for p in points])
    return float(np.polyfit(xs, ys, 1)[0]) if len(points) > 2 else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the day in 60 s")
    parser.add_argument("--seconds", type=float, default=None, help="real seconds (480)")
    args = parser.parse_args()
    seconds = args.seconds or (60.0 if args.quick else 480.0)
    protect_singletons()
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-memory-") as name:
        folder = Path(name)
        sessions = open_database(f"sqlite:///{folder / 'kiosk.db'}")
        engine = sessions.engine
        settings.ensure_install(sessions)
        school = build_school(sessions, pupils=60, slot_count=60, reserved=4)
        frames = folder / "frames"
        frames.mkdir()
        write_frames(frames, school)
        day = run_day(seconds, frames, sessions, school)
        engine.dispose()
    return 0 if report(day, seconds) else 1


if __name__ == "__main__":
    raise SystemExit(main())
