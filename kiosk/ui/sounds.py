"""The kiosk's sounds: a chime for success, a buzz for errors, a soft tone for notices.

QtMultimedia's ``QSoundEffect`` plays the WAV files in assets/sounds/ (made by
``kiosk.ui.make_sounds``). It needs the full ``pyside6`` wheel and, on Debian, ``libpulse0``
and a sound device. When any of that is missing the kiosk is silent, never broken: the
screen says everything the sounds say.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal

log = logging.getLogger(__name__)

SOUND_DIR = Path(__file__).resolve().parents[2] / "assets" / "sounds"
VOLUME = 0.8


class Sound(StrEnum):
    SUCCESS = "success"
    ERROR = "error"
    INFO = "info"


class SoundPlayer(QObject):
    """Plays a ``Sound`` if sounds are on and the machine can play them.

    ``requested`` is emitted for every sound asked for, played or not, so tests (and a
    future "visual bell") can follow what the kiosk meant to sound."""

    requested = Signal(str)

    def __init__(
        self, parent: QObject | None = None, directory: Path = SOUND_DIR, *, enabled: bool = True
    ) -> None:
        super().__init__(parent)
        self.enabled = enabled
        self._effects: dict[Sound, Any] = _load_effects(directory, self)

    def play(self, sound: Sound) -> None:
        self.requested.emit(sound.value)
        if not self.enabled:
            return
        for other in self._effects.values():
            other.stop()  # a new result's sound replaces the last one's, never mixes
        effect = self._effects.get(sound)
        if effect is not None:
            effect.play()


def _load_effects(directory: Path, parent: QObject) -> dict[Sound, Any]:
    try:
        from PySide6.QtMultimedia import QMediaDevices, QSoundEffect
    except ImportError:
        log.info("QtMultimedia is not installed: the kiosk will be silent")
        return {}
    try:
        if not QMediaDevices.audioOutputs():
            log.info("No audio output device: the kiosk will be silent")
            return {}
        effects: dict[Sound, Any] = {}
        for sound in Sound:
            path = directory / f"{sound.value}.wav"
            if not path.is_file():
                log.warning("Sound file missing: %s", path.name)
                continue
            effect = QSoundEffect(parent)
            effect.setSource(QUrl.fromLocalFile(str(path)))
            effect.setVolume(VOLUME)
            effects[sound] = effect
        return effects
    except Exception:  # a broken audio stack must not stop the kiosk
        log.warning("Sound could not be set up: the kiosk will be silent", exc_info=True)
        return {}
