"""USB barcode scanners in keyboard-wedge mode: tell a scan from a person typing.

A wedge scanner "types" the card text, a character every few milliseconds, then Enter.
A person leaves 60 ms or more between keys, and never keeps under 40 ms for six keys and
an Enter in a row.

How the keys are handled while we do not yet know (the choice, and why):
    Every printable key press is *held* (swallowed and kept, with the key releases that
    follow it) while a burst is still possible. The held keys are *replayed*, in order,
    to the widget they were meant for as soon as the burst is ruled out: a key comes too
    late, a non-printable key comes, Enter arrives too soon or too late, or nothing
    arrives for ``release_after_ms``.
    A completed burst is emitted as ``scanned`` and its keys (and Enter) are dropped.

    So a scan never lands in any widget, whatever has focus, and typing reaches its
    widget unchanged, only up to ~0.1 s late, which nobody notices. This needs no
    knowledge of the focused widget's type, and no "undo" of text already inserted
    (which would be fragile across QLineEdit, QSpinBox, validators, completers...).

Install the filter on the application so it sees keys wherever focus is::

    wedge = ScannerWedgeFilter(app)
    app.installEventFilter(wedge)
    wedge.scanned.connect(on_scan)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent

from kiosk.qtfix import emit

T = TypeVar("T")

MAX_GAP_MS = 40.0
MIN_LENGTH = 6
RELEASE_AFTER_MS = 100
_TERMINATORS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
# Scanners press Shift around capitals like a keyboard: such key presses type nothing and
# must neither break a burst nor count in it.
_MODIFIER_KEYS = frozenset(
    (
        Qt.Key.Key_Shift,
        Qt.Key.Key_Control,
        Qt.Key.Key_Alt,
        Qt.Key.Key_AltGr,
        Qt.Key.Key_Meta,
        Qt.Key.Key_CapsLock,
        Qt.Key.Key_NumLock,
    )
)
_NOT_TYPING = (
    Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.MetaModifier
)


@dataclass
class _Held(Generic[T]):
    char: str
    at_ms: float
    item: T


@dataclass
class BurstDetector(Generic[T]):
    """The timing rules, without Qt. Times are in milliseconds from any fixed origin.

    Each printable key is ``push``-ed with an opaque ``item`` (the Qt filter passes a
    copy of the key event); methods return the items to release as ordinary typing.
    """

    max_gap_ms: float = MAX_GAP_MS
    min_length: int = MIN_LENGTH
    _held: list[_Held[T]] = field(default_factory=list)

    @property
    def holding(self) -> bool:
        return bool(self._held)

    def push(self, char: str, now_ms: float, item: T) -> list[T]:
        """Hold a printable key. Returns the keys held before it if it came too late to
        continue their burst (they were typed, release them first)."""
        released = self.release() if self._too_late(now_ms) else []
        self._held.append(_Held(char, now_ms, item))
        return released

    def finish(self, now_ms: float) -> str | None:
        """Enter was pressed. Returns the scanned text if the held keys are a burst;
        otherwise None, and the held keys stay held for ``release()``."""
        if len(self._held) < self.min_length or self._too_late(now_ms):
            return None
        text = "".join(held.char for held in self._held)
        self._held.clear()
        return text

    def release(self) -> list[T]:
        """Give up on the current burst: the held keys, oldest first."""
        items = [held.item for held in self._held]
        self._held.clear()
        return items

    def _too_late(self, now_ms: float) -> bool:
        return bool(self._held) and now_ms - self._held[-1].at_ms > self.max_gap_ms


@dataclass
class _HeldKey:
    """A held key press, and the key releases that came after it while it was held
    (replayed in the same order, so a button never sees a release before its press)."""

    receiver: QObject
    events: list[QKeyEvent]


class ScannerWedgeFilter(QObject):
    """Qt event filter turning keyboard-wedge scanner bursts into ``scanned(str)``.

    Times come from the key event's own timestamp (when the key was pressed, even if the
    GUI thread was busy), or from the monotonic clock when an event has none (QTest).
    """

    scanned = Signal(str)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        max_gap_ms: float = MAX_GAP_MS,
        min_length: int = MIN_LENGTH,
        release_after_ms: int = RELEASE_AFTER_MS,
    ) -> None:
        super().__init__(parent)
        self._detector: BurstDetector[_HeldKey] = BurstDetector(max_gap_ms, min_length)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(release_after_ms)
        self._timer.timeout.connect(self.release_held)
        self._replaying = False
        self._last: _HeldKey | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._replaying or event.type() not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            return False
        key = cast(QKeyEvent, event)
        if event.type() == QEvent.Type.KeyRelease:
            return self._on_release(key)
        if key.key() in _MODIFIER_KEYS:
            return False
        if key.key() in _TERMINATORS and not key.modifiers() & _NOT_TYPING:
            return self._on_enter(key)
        char = _typed_char(key)
        if char is None:
            self.release_held()
            return False
        held = _HeldKey(watched, [_copy(key)])
        self._replay(self._detector.push(char, _time_ms(key), held))
        self._last = held
        self._timer.start()
        return True

    def release_held(self) -> None:
        """Replay any held keys as typing (also called by the idle timer)."""
        self._timer.stop()
        self._replay(self._detector.release())

    def _on_release(self, key: QKeyEvent) -> bool:
        if self._last is None or not self._detector.holding:
            return False
        self._last.events.append(_copy(key))
        return True

    def _on_enter(self, key: QKeyEvent) -> bool:
        if not self._detector.holding:
            return False
        text = self._detector.finish(_time_ms(key))
        if text is None:
            self.release_held()
            return False
        self._timer.stop()
        self._last = None
        emit(self.scanned, text)
        return True

    def _replay(self, keys: list[_HeldKey]) -> None:
        if not self._detector.holding:
            self._last = None
        self._replaying = True
        try:
            for held in keys:
                for event in held.events:
                    if shiboken6.isValid(held.receiver):
                        QCoreApplication.sendEvent(held.receiver, event)
        finally:
            self._replaying = False


def _typed_char(key: QKeyEvent) -> str | None:
    """The single printable character this key press types, or None."""
    text = key.text()
    if len(text) != 1 or not text.isprintable() or key.isAutoRepeat():
        return None
    if key.modifiers() & _NOT_TYPING:
        return None
    return text


def _time_ms(key: QKeyEvent) -> float:
    stamp = key.timestamp()
    return float(stamp) if stamp else time.monotonic() * 1000.0


def _copy(key: QKeyEvent) -> QKeyEvent:
    # Qt reuses the original event object after the filter returns; keep our own.
    copy = QKeyEvent(
        key.type(),
        key.key(),
        key.modifiers(),
        key.nativeScanCode(),
        key.nativeVirtualKey(),
        key.nativeModifiers(),
        key.text(),
        key.isAutoRepeat(),
        key.count(),
    )
    copy.setTimestamp(key.timestamp())
    return copy
