"""What every locker board driver offers, the errors it raises, and the registry that
finds a driver by its family name.

A driver talks to one bus (a serial port, later perhaps a TCP bridge) on which one or more
boards hang, each with a small address set on the board. Doors are numbered per board from
1 (as printed next to the board's lock connectors). A second board family (Winnsen, a Modbus
relay board) is one more module that registers itself here: nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


class LockerBoardError(Exception):
    """A board did not do what was asked; ``str()`` is a plain-words message for staff."""


class BoardUnreachable(LockerBoardError):
    """The port cannot be opened or written, or the board gave no answer at all."""


class BoardTimeout(BoardUnreachable):
    """The port works but the board stayed silent for the whole reply window."""


class BadReply(LockerBoardError):
    """Bytes came back but no well-formed reply among them (wrong layout or address)."""


class ChecksumError(BadReply):
    """A reply was framed right but its checksum did not match: noise on the bus."""


@dataclass(frozen=True)
class DoorReading:
    """One door as the board sees it. ``occupied`` is None where the board has no
    occupancy sensor for that door."""

    channel: int
    closed: bool
    occupied: bool | None


@dataclass(frozen=True)
class BoardStatus:
    board: int
    doors: tuple[DoorReading, ...]

    def door(self, channel: int) -> DoorReading:
        return self.doors[channel - 1]


class LockerDriver(Protocol):
    """One bus of boards of one family."""

    family: str
    channels_per_board: int

    def open_door(self, board: int, channel: int) -> None:
        """Pulse one lock open. Returns once the command is on the wire."""

    def read_board(self, board: int) -> BoardStatus:
        """Every door of one board: closed or open, and occupancy where it is sensed."""

    def open_all(self, board: int) -> None:
        """Pulse every lock of one board open (an emergency release)."""

    def close(self) -> None:
        """Release the port."""


@dataclass(frozen=True)
class BusSettings:
    """How to reach a bus: what the database keeps per cabinet."""

    port: str
    baud: int = 19200
    pulse_ms: int | None = None  # None: leave the board's own setting
    occupancy_sensors: bool = True
    options: tuple[tuple[str, Any], ...] = ()


DriverFactory = Callable[[BusSettings], LockerDriver]
_FAMILIES: dict[str, DriverFactory] = {}
_CHANNELS: dict[str, int] = {}
_BOARDS: dict[str, range] = {}


def register(
    family: str, *, channels_per_board: int, board_addresses: range
) -> Callable[[DriverFactory], DriverFactory]:
    def add(factory: DriverFactory) -> DriverFactory:
        _FAMILIES[family] = factory
        _CHANNELS[family] = channels_per_board
        _BOARDS[family] = board_addresses
        return factory

    return add


def families() -> list[str]:
    _load_builtin()
    return sorted(_FAMILIES)


def channels_per_board(family: str) -> int:
    _load_builtin()
    return _CHANNELS[family]


def board_addresses(family: str) -> range:
    _load_builtin()
    return _BOARDS[family]


def open_driver(family: str, settings: BusSettings) -> LockerDriver:
    """Open the bus ``settings`` with the driver of ``family``; an unknown family or a port
    that cannot be opened is a LockerBoardError."""
    _load_builtin()
    factory = _FAMILIES.get(family)
    if factory is None:
        known = ", ".join(sorted(_FAMILIES))
        raise LockerBoardError(f"No locker driver called {family!r} (known: {known}).")
    return factory(settings)


def _load_builtin() -> None:
    # Each built-in family registers itself on import; importing here (not at the top)
    # keeps pyserial out of processes that never touch a locker.
    import kiosk.lockers.kerong  # noqa: F401
