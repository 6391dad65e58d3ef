"""One card held in front of the camera is one scan, not thirty a second."""

from __future__ import annotations


class ScanDebouncer:
    """Accepts a text once per ``window_seconds``.

    A text seen again within the window of its last *accepted* time is dropped; once the
    window has passed it counts as a new scan. Each text has its own window, so a
    different card is accepted at once, and two cards in view together do not
    re-trigger each other (A, B, A within the window gives A, B).

    Pure: the caller passes the time (``time.monotonic()`` in the camera worker).
    """

    def __init__(self, window_seconds: float = 4.0) -> None:
        if window_seconds < 0:
            raise ValueError("window_seconds must not be negative")
        self.window_seconds = window_seconds
        self._accepted_at: dict[str, float] = {}

    def accept(self, text: str, now: float) -> bool:
        """True if ``text`` at time ``now`` is a new scan."""
        self._forget_before(now)
        last = self._accepted_at.get(text)
        if last is not None and now - last < self.window_seconds:
            return False
        self._accepted_at[text] = now
        return True

    def reset(self) -> None:
        """Forget every text, e.g. when the screen goes back to idle by hand."""
        self._accepted_at.clear()

    def _forget_before(self, now: float) -> None:
        # Keeps the memory to the texts seen in the last window (a handful at most).
        expired = [t for t, at in self._accepted_at.items() if now - at >= self.window_seconds]
        for text in expired:
            del self._accepted_at[text]
