"""A bank of KR-CU16 boards simulated behind a pseudo-terminal.

The simulator owns the pty's master side; the kiosk's real serial code opens the slave
side by its path (``BoardSimulator.port``) exactly as it would open /dev/ttyUSB0. A test,
or the person running ``kiosk lockers simulate``, plays the pupils and the hardware: shut a
door, leave it open, jam a lock, put something in a slot or take it out, silence a board,
or put noise on the bus.

The simulator parses requests itself (it shares only the protocol constants with the
driver), so a framing mistake in the driver shows as a board that does not answer.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
import tty
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType

from kiosk.lockers import kerong as kr


@dataclass
class SimDoor:
    closed: bool = True
    occupied: bool = False
    jammed: bool = False  # the lock does not release when pulsed


@dataclass
class SimBoard:
    address: int
    doors: list[SimDoor] = field(default_factory=lambda: [SimDoor() for _ in range(16)])
    silent: bool = False
    garble: bytes | None = None  # answer every request with these bytes instead
    pulse_ms: int | None = None


@dataclass(frozen=True)
class Request:
    addr: int
    command: int
    data: bytes

    @property
    def board(self) -> int:
        return self.addr >> 4

    @property
    def channel(self) -> int:
        return (self.addr & 0x0F) + 1


class BoardSimulator:
    """Boards at ``addresses`` on one simulated bus. Use as a context manager."""

    def __init__(
        self,
        addresses: Iterable[int] = (0,),
        *,
        sensors: bool = True,
        hook_closed_bit: int = 1,
        answer_unlock: bool = False,
    ) -> None:
        self.boards = {a: SimBoard(a) for a in addresses}
        self.sensors = sensors
        self.hook_closed_bit = hook_closed_bit
        self.answer_unlock = answer_unlock
        self.requests: list[Request] = []
        self._noise = b""
        self._corrupt_next = False
        self._state = threading.Lock()
        self._changed = threading.Condition(self._state)
        self._stop = threading.Event()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self._thread = threading.Thread(target=self._serve, name="locker-sim", daemon=True)

    # -- life ----------------------------------------------------------------------------

    def start(self) -> BoardSimulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> BoardSimulator:
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what a test (or the demo's operator) does ----------------------------------------

    def door(self, board: int, channel: int) -> SimDoor:
        return self.boards[board].doors[channel - 1]

    def shut(self, board: int, channel: int) -> None:
        with self._state:
            self.door(board, channel).closed = True

    def pull_open(self, board: int, channel: int) -> None:
        """Someone opens a door without a command (a forced door, a key)."""
        with self._state:
            self.door(board, channel).closed = False

    def fill(self, board: int, channel: int, occupied: bool = True) -> None:
        with self._state:
            self.door(board, channel).occupied = occupied

    def empty(self, board: int, channel: int) -> None:
        self.fill(board, channel, False)

    def jam(self, board: int, channel: int, jammed: bool = True) -> None:
        with self._state:
            self.door(board, channel).jammed = jammed

    def silence(self, board: int, silent: bool = True) -> None:
        with self._state:
            self.boards[board].silent = silent

    def garble(self, board: int, answer: bytes | None) -> None:
        """The board answers every request with ``answer`` (None: answers properly)."""
        with self._state:
            self.boards[board].garble = answer

    def add_noise(self, noise: bytes) -> None:
        """Bytes sent ahead of the next reply (a noisy bus)."""
        with self._state:
            self._noise += noise

    def corrupt_next_reply(self) -> None:
        with self._state:
            self._corrupt_next = True

    def pretend_pupils(self, step: float = 3.0) -> None:
        """From now on, a door the kiosk opens is filled (or emptied, if it held
        something) ``step`` seconds later and shut a second after, as a pupil would:
        the demo's mornings and home times."""
        threading.Thread(target=self._pupils, args=(step,), name="sim-pupils", daemon=True).start()

    def _pupils(self, step: float) -> None:
        busy: set[tuple[int, int]] = set()
        while not self._stop.wait(0.5):
            for address, board in self.boards.items():
                for channel, door in enumerate(board.doors, start=1):
                    if not door.closed and (address, channel) not in busy:
                        busy.add((address, channel))
                        when = threading.Timer(step, self._pupil_at, (address, channel, busy))
                        when.daemon = True
                        when.start()

    def _pupil_at(self, board: int, channel: int, busy: set[tuple[int, int]]) -> None:
        self.fill(board, channel, not self.door(board, channel).occupied)
        time.sleep(1.0)
        self.shut(board, channel)
        busy.discard((board, channel))

    def wait_for(self, command: int, count: int = 1, timeout: float = 2.0) -> list[Request]:
        """Block until ``count`` requests with ``command`` have arrived in all."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(seen := [r for r in self.requests if r.command == command]) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no request 0x{command:02X} (have {len(seen)})")
                self._changed.wait(remaining)
            return seen

    # -- the board side -----------------------------------------------------------------

    def _serve(self) -> None:
        pending = bytearray()
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                pending += os.read(self._master, 256)
            except OSError:
                continue  # no client has the slave open yet, or it just closed
            while (request := _take_request(pending)) is not None:
                reply = self._handle(request)
                if reply:
                    os.write(self._master, reply)

    def _handle(self, request: Request) -> bytes:
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()
            board = self.boards.get(request.board)
            if board is None or board.silent:
                return b""
            reply = self._act(board, request)
            if reply and board.garble is not None:
                reply = board.garble
            if not reply:
                return b""
            if self._corrupt_next:
                self._corrupt_next = False
                reply = reply[:-1] + bytes(((reply[-1] + 1) & 0xFF,))
            noise, self._noise = self._noise, b""
            return noise + reply

    def _act(self, board: SimBoard, request: Request) -> bytes:
        command = request.command
        if command == kr.UNLOCK_ONE:
            _pulse(board.doors[request.channel - 1])
            return self._status(board, request.addr) if self.answer_unlock else b""
        if command == kr.UNLOCK_BOARD:
            for door in board.doors:
                _pulse(door)
            return b""
        if command in (kr.STATUS_ONE, kr.STATUS_BOARD):
            return self._status(board, request.addr)
        if command == kr.SET_PULSE and len(request.data) == 2:
            board.pulse_ms = int.from_bytes(request.data, "big") * kr.PULSE_UNIT_MS
            return kr.frame(request.addr, kr.PULSE_REPLY, request.data)
        return b""

    def _status(self, board: SimBoard, addr: int) -> bytes:
        hooks = infrared = 0
        for bit, door in enumerate(board.doors):
            if door.closed == bool(self.hook_closed_bit):
                hooks |= 1 << bit
            if self.sensors and door.occupied:
                infrared |= 1 << bit
        data = hooks.to_bytes(2, "little") + infrared.to_bytes(2, "little")
        return kr.frame(addr, kr.STATUS_REPLY, data)


def _pulse(door: SimDoor) -> None:
    if not door.jammed:
        door.closed = False


def _take_request(buffer: bytearray) -> Request | None:
    """The next well-formed request in ``buffer`` (5 bytes, or 7 for 0x37), dropping
    anything that is not one."""
    while True:
        start = buffer.find(kr.STX)
        if start < 0:
            buffer.clear()
            return None
        del buffer[:start]
        if len(buffer) < 3:
            return None
        length = 7 if buffer[2] == kr.SET_PULSE else 5
        if len(buffer) < length:
            return None
        candidate = bytes(buffer[:length])
        if candidate[-2] != kr.ETX or kr.checksum(candidate[:-1]) != candidate[-1]:
            del buffer[0]
            continue
        del buffer[:length]
        return Request(candidate[1], candidate[2], candidate[3:-2])
