"""Write the kiosk's three sounds to assets/sounds/ (16-bit mono WAV, 22.05 kHz).

    python -m kiosk.ui.make_sounds [OUT_DIR]

* ``success.wav``: a bright two-tone chime rising a fourth (G5 then C6), bell-like decay.
* ``error.wav``: a low double buzz (two short 150 Hz pulses rich in odd harmonics),
  unmistakably different from the chime even for someone not looking at the screen.
* ``info.wav``: one soft neutral tone (D5), for "already handed in" and other notices.

Only the standard library is used, so the files can be regenerated anywhere.
"""

from __future__ import annotations

import math
import struct
import sys
import wave
from collections.abc import Callable, Sequence
from pathlib import Path

RATE = 22_050
PEAK = 0.6  # of full scale: loud enough in an office, never clipping
FADE_SECONDS = 0.005  # ramps at both ends so no sound starts or stops with a click
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "assets" / "sounds"

Wave = Callable[[float], float]


def silence(seconds: float) -> list[float]:
    return [0.0] * round(seconds * RATE)


def bell(frequency: float, seconds: float, decay: float = 7.0) -> list[float]:
    """A struck tone: fundamental plus a quieter octave, exponentially decaying."""

    def sample(t: float) -> float:
        tone = math.sin(2 * math.pi * frequency * t) + 0.3 * math.sin(4 * math.pi * frequency * t)
        return tone * math.exp(-decay * t) / 1.3

    return _render(sample, seconds)


def buzz(frequency: float, seconds: float) -> list[float]:
    """A harsh, flat-topped tone: the first five odd harmonics of a square wave."""

    def sample(t: float) -> float:
        total = sum(math.sin(2 * math.pi * frequency * k * t) / k for k in (1, 3, 5, 7, 9))
        return total / 1.1

    return _render(sample, seconds)


def soft(frequency: float, seconds: float) -> list[float]:
    """A plain sine with a gentle rise and fall (a raised-cosine envelope)."""

    def sample(t: float) -> float:
        envelope = 0.5 - 0.5 * math.cos(2 * math.pi * t / seconds)
        return math.sin(2 * math.pi * frequency * t) * envelope

    return _render(sample, seconds)


def _render(sample: Wave, seconds: float) -> list[float]:
    count = round(seconds * RATE)
    return _faded([sample(i / RATE) for i in range(count)])


def _faded(samples: list[float]) -> list[float]:
    ramp = min(round(FADE_SECONDS * RATE), len(samples) // 2)
    for i in range(ramp):
        gain = i / ramp
        samples[i] *= gain
        samples[-1 - i] *= gain
    return samples


def mix(*parts: tuple[float, Sequence[float]]) -> list[float]:
    """Overlay ``(start_seconds, samples)`` parts into one track."""
    length = max(round(start * RATE) + len(samples) for start, samples in parts)
    track = [0.0] * length
    for start, samples in parts:
        offset = round(start * RATE)
        for i, value in enumerate(samples):
            track[offset + i] += value
    return track


def normalised(samples: Sequence[float]) -> list[float]:
    loudest = max(abs(v) for v in samples) or 1.0
    return [v * PEAK / loudest for v in samples]


def success() -> list[float]:
    return mix((0.0, bell(783.99, 0.30)), (0.13, bell(1046.50, 0.32)))


def error() -> list[float]:
    pulse = buzz(150.0, 0.13)
    return mix((0.0, pulse), (0.20, pulse))


def info() -> list[float]:
    return soft(587.33, 0.30)


SOUNDS: dict[str, Callable[[], list[float]]] = {"success": success, "error": error, "info": info}


def write_wav(path: Path, samples: Sequence[float]) -> None:
    frames = b"".join(struct.pack("<h", round(v * 32767)) for v in normalised(samples))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames)


def write_all(directory: Path = DEFAULT_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in SOUNDS.items():
        path = directory / f"{name}.wav"
        write_wav(path, make())
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    directory = Path(args[0]) if args else DEFAULT_DIR
    for path in write_all(directory):
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
