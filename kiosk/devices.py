"""What a pupil hands in: the kinds of device, a pupil's usual set, and the words for them.

Pure: no database, no Qt. A pupil's usual devices are stored as one short text on the
pupil's row ("phone;watch=black Garmin"), read with the pupil at every scan, so a morning
with a phone and a watch is still one scan and one lookup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kiosk.errors import InvalidInput
from kiosk.worded import WordedEnum

DESCRIPTION_MAX = 60
MAX_DEVICES = 6


class DeviceKind(WordedEnum):
    PHONE = "phone", "phone"
    WATCH = "watch", "watch"
    EARBUDS = "earbuds", "earbuds"
    TABLET = "tablet", "tablet"
    E_READER = "e_reader", "e-reader"
    FITNESS_TRACKER = "fitness_tracker", "fitness tracker"


_KINDS = {kind.value: kind for kind in DeviceKind}


@dataclass(frozen=True)
class Device:
    kind: DeviceKind
    description: str = ""

    @property
    def words(self) -> str:
        return f"{self.kind.words} ({self.description})" if self.description else self.kind.words


ONE_PHONE: tuple[Device, ...] = (Device(DeviceKind.PHONE),)


def device(kind: str, description: str = "") -> Device:
    """A checked Device: a known kind, a short single-line description."""
    known = _KINDS.get(kind)
    if known is None:
        raise InvalidInput(f"Unknown kind of device: {kind!r}.")
    text = " ".join(description.split())
    if len(text) > DESCRIPTION_MAX:
        raise InvalidInput(f"Keep a description under {DESCRIPTION_MAX} characters.")
    if any(c in text for c in ";="):
        raise InvalidInput("A description may not contain ';' or '='.")
    return Device(known, text)


def checked(devices: Iterable[Device]) -> tuple[Device, ...]:
    found = tuple(device(d.kind, d.description) for d in devices)
    if not found:
        raise InvalidInput("Choose at least one device.")
    if len(found) > MAX_DEVICES:
        raise InvalidInput(f"At most {MAX_DEVICES} devices a pupil.")
    return found


def encode(devices: Sequence[Device]) -> str | None:
    """The stored text; None for the default (one phone), so most rows stay empty."""
    if tuple(devices) == ONE_PHONE:
        return None
    return ";".join(
        f"{d.kind.value}={d.description}" if d.description else d.kind.value for d in devices
    )


def decode(text: str | None) -> tuple[Device, ...]:
    """The stored text back as devices; anything unreadable reads as one phone (the kiosk
    must never refuse a hand-in because of a bad preference)."""
    if not text:
        return ONE_PHONE
    found = []
    for part in text.split(";"):
        kind, _, description = part.partition("=")
        if kind in _KINDS:
            found.append(Device(_KINDS[kind], description))
    return tuple(found) or ONE_PHONE


def kinds_words(kinds: Sequence[str]) -> str:
    """ "Phone", "Phone and watch", "Phone, watch and earbuds" (sentence case)."""
    words = [_KINDS[k].words if k in _KINDS else k for k in kinds]
    if not words:
        return "Nothing"
    text = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
    return text[:1].upper() + text[1:]


def split_for_slots(devices: Sequence[Device], capacity: int) -> list[tuple[Device, ...]]:
    """A pupil's devices in slot-sized groups: all together when they fit (capacity 0 means
    a slot holds a pupil's day's items), else as few slots as the capacity allows."""
    if capacity <= 0 or len(devices) <= capacity:
        return [tuple(devices)]
    return [tuple(devices[i : i + capacity]) for i in range(0, len(devices), capacity)]
