"""Start the Qt application: logging to a file in the data directory, the style, the
main window full screen (kiosk mode) or in a window."""

from __future__ import annotations

import ctypes
import logging
import os
import platform
import signal
import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QMessageLogContext, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from kiosk.config import Config, ensure_data_dir
from kiosk.db import Database
from kiosk.logfile import QuietFileHandler
from kiosk.ui.collector import GuiThreadCollector
from kiosk.ui.main_window import MainWindow
from kiosk.ui.style import STYLE_SHEET

LOG_BYTES = 1_000_000
LOG_FILES = 5
log = logging.getLogger("kiosk")


def protect_singletons() -> None:
    """Work around a reference-counting bug in PySide6 6.12.0 on Python 3.11: every
    ``Signal.emit()`` from Python drops a reference to ``True`` it never took (and a slot
    that is a bound method can drop one to ``None``). Python 3.12 made these singletons
    immortal, so the bug is harmless there; on 3.11 the process aborts with "deallocating
    True" after a few hundred emits, i.e. within a minute of camera preview. Giving the
    singletons a huge head start makes them as good as immortal here too. Safe to call
    more than once; does nothing where it is not needed."""
    if sys.version_info >= (3, 12) or platform.python_implementation() != "CPython":
        return
    for singleton in (True, False, None):
        if sys.getrefcount(singleton) < 1 << 40:
            ctypes.c_ssize_t.from_address(id(singleton)).value += 1 << 42


def log_file(config: Config) -> Path:
    return config.data_dir / "logs" / "kiosk.log"


def setup_logging(config: Config) -> Path:
    """Log to ``<data dir>/logs/kiosk.log`` (rotated). Messages name kinds of errors and
    what the kiosk was doing, never a pupil, a card text or a PIN."""
    path = log_file(config)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    root = logging.getLogger()
    if not any(getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
        # Goes quiet (one line on stderr, then a pause) when its disk fails.
        handler = QuietFileHandler(
            path, maxBytes=LOG_BYTES, backupCount=LOG_FILES, encoding="utf-8"
        )
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    sys.excepthook = _log_uncaught
    return path


def _log_uncaught(
    kind: type[BaseException], error: BaseException, stack: TracebackType | None
) -> None:
    # A bug in a slot must not kill the kiosk; log where it happened (not its values).
    where = "".join(traceback.format_tb(stack))
    log.error("Uncaught %s\n%s", kind.__name__, where)


NO_DISPLAY = (
    "No display: the kiosk needs the PC's desktop. Run it from a desktop session (or set "
    "DISPLAY), or try the commands that need no screen: kiosk --help."
)


def has_display() -> bool:
    """False on a Linux machine with neither X11 nor Wayland (an SSH login, a service),
    where Qt would otherwise blame a missing libxcb-cursor0."""
    if not sys.platform.startswith("linux"):
        return True
    platform_name = os.environ.get("QT_QPA_PLATFORM", "")
    if platform_name and not platform_name.startswith(("xcb", "wayland")):
        return True  # offscreen, vnc, eglfs...: Qt needs no display server for these
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _qt_message(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    """Qt's own chatter (multimedia back-ends it could not load, no PulseAudio on a kiosk
    without speakers) goes to the log file; only Qt's critical errors reach the terminal."""
    if kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
        print(message, file=sys.stderr)
    level = logging.WARNING if kind != QtMsgType.QtDebugMsg else logging.DEBUG
    logging.getLogger("qt").log(level, "%s", message)


def quiet_launch() -> None:
    """Only lines that tell the person at the terminal something: Qt's and OpenCV's
    warnings (no webcam, optional libraries) go to the log file or nowhere."""
    qInstallMessageHandler(_qt_message)
    # OpenCV reads its level when it loads; set here, it costs nothing at start (importing
    # cv2 and numpy took a quarter of a second) and a kiosk with a USB scanner never loads it.
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")


def stop_on_signals(app: QApplication) -> QTimer:
    """Ctrl-C or a service manager's SIGTERM closes the kiosk as its own Close does (its
    workers stopped, nothing half-written). Python handles a signal only between
    bytecodes, so a timer lets it look while Qt's loop waits."""

    def stop(_number: int, _frame: object) -> None:
        log.info("Kiosk stopped by a signal")
        app.quit()

    for name in ("SIGINT", "SIGTERM"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)
    tick = QTimer(app)
    tick.timeout.connect(lambda: None)
    tick.start(250)
    return tick


def run_app(config: Config, sessions: Database) -> int:
    if not has_display():
        print(NO_DISPLAY, file=sys.stderr)
        return 2
    ensure_data_dir(config)
    setup_logging(config)
    quiet_launch()
    protect_singletons()
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("Device hand-in kiosk")
    app.setStyleSheet(STYLE_SHEET)
    collector = GuiThreadCollector(app)  # never destroy a widget on a worker thread
    collector.start()
    window = MainWindow(config, sessions)
    if config.fullscreen:
        window.set_kiosk_mode(True)
    else:
        window.resize(1280, 800)
        window.show()
    log.info("Kiosk %s started", config.kiosk_name)
    stop_on_signals(app)
    code = app.exec()
    window.shutdown()
    collector.stop()
    return code
