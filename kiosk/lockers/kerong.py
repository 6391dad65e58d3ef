"""Kerong KR-CU16 lock-control boards on an RS485 bus, through pyserial.

Frames (both ways): ``STX ADDR CMD [DATA...] ETX SUM``, STX = 0x02, ETX = 0x03, SUM = the
low byte of the sum of every byte before it. ADDR carries the board address (0-15, set on
the board's DIP switch) in its high nibble and the lock (0-15 for doors 1-16) in its low
nibble, so up to 16 boards of 16 doors share one bus.

Host -> board: 0x30 status (one lock's ADDR), 0x31 unlock one lock, 0x32 status of the
board, 0x33 unlock every lock of the board, 0x37 set the unlock pulse time (two data bytes,
high then low, in 10 ms units).
Board -> host, for a status request: ``STX ADDR 0x35 H1 H2 I1 I2 ETX SUM`` (9 bytes): H1/H2
the hook-switch bits of locks 1-8 / 9-16 (bit 0 = the lowest lock), I1/I2 the infrared
occupancy bits (1 = something in the slot).

What this rests on (public re-implementations read for this module; none is official, and
they disagree in places, see below):
- suryavirkapur/kerong-lib, ``include/kerong/kerong_client.hpp`` and ``src/kerong_client.cpp``
  (C++): the ADDR nibbles, 0x30 -> 0x35 9-byte reply, checksum, strict reply validation.
- julio-alv/lkaas-kerong, ``src/kerong/{command,status,board}.rs`` (Rust): 0x32 to board 0
  answered by the same 9-byte layout (hook bits at 3-4, infrared at 5-6, little-endian),
  19200 8N1.
- A Python KR-CU16 controller (the "CartWise" rs485 module found by the code search) and a
  TypeScript CU12/CU16 controller: the command list 0x30-0x39, 0xF0 as a bus broadcast,
  reply 0x36 named "all CU data", 0x37's two data bytes in 10 ms units, buffer flushing
  before each request as the cure for garbled replies.
- 8lal8/kerongDocs ``cu16.md`` (Russian wiring guide): boards chained IN -> OUT, distinct
  ids 0-9 in practice, pulse 500 ms for electromagnetic locks, 1000 ms for servo locks.
Not settled by those sources, so handled defensively here:
- Hook-bit polarity: kerong-lib documents 0 = locked, the Rust, Python and TypeScript code
  read 1 = closed. Default 1 = closed; ``hook_closed_bit`` (a cabinet option) flips it, and
  ``kiosk lockers test`` shows which one a bank needs (a door just opened must read open).
- Whether 0x31, 0x33 and 0x37 are answered (kerong-lib: unlock has no reply). We never
  wait for those replies; every request flushes stale input first and the next status
  read confirms what happened.
- The reply code for 0x32 (0x35 or 0x36): both are accepted with the 9-byte layout.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import serial

from kiosk.lockers.driver import (
    BadReply,
    BoardStatus,
    BoardTimeout,
    BoardUnreachable,
    BusSettings,
    ChecksumError,
    DoorReading,
    LockerBoardError,
    register,
)

STX, ETX = 0x02, 0x03
STATUS_ONE, UNLOCK_ONE, STATUS_BOARD, UNLOCK_BOARD, SET_PULSE = 0x30, 0x31, 0x32, 0x33, 0x37
STATUS_REPLY, BUS_STATUS_REPLY, PULSE_REPLY = 0x35, 0x36, 0x38
STATUS_REPLIES = frozenset({STATUS_REPLY, BUS_STATUS_REPLY})
REPLY_LENGTH = 9
CHANNELS = 16
MAX_BOARD = 15
PULSE_UNIT_MS = 10
READ_SLICE = 0.02  # seconds one read waits before the reply deadline is looked at again
FAMILY = "kerong-cu16"


def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


def frame(addr: int, command: int, data: bytes = b"") -> bytes:
    body = bytes((STX, addr, command)) + data + bytes((ETX,))
    return body + bytes((checksum(body),))


def address(board: int, channel: int | None = None) -> int:
    """The ADDR byte: board in the high nibble, lock index (door - 1) in the low one."""
    if not 0 <= board <= MAX_BOARD:
        raise LockerBoardError(f"A KR-CU16 board address is 0 to {MAX_BOARD}, not {board}.")
    if channel is None:
        return board << 4
    if not 1 <= channel <= CHANNELS:
        raise LockerBoardError(f"A KR-CU16 door is 1 to {CHANNELS}, not {channel}.")
    return board << 4 | (channel - 1)


def pulse_data(pulse_ms: int) -> bytes:
    units = round(pulse_ms / PULSE_UNIT_MS)
    if not 1 <= units <= 0xFFFF:
        raise LockerBoardError(f"An unlock pulse of {pulse_ms} ms is out of range.")
    return units.to_bytes(2, "big")


@dataclass(frozen=True)
class StatusReply:
    addr: int
    command: int
    hooks: int  # bit n = lock n + 1
    infrared: int

    @property
    def board(self) -> int:
        return self.addr >> 4


@dataclass
class ReplyScan:
    """What came back for one request: replies found, and whether anything was noise."""

    checksum_errors: int = 0
    garbage_bytes: int = 0


def take_reply(buffer: bytearray, scan: ReplyScan) -> StatusReply | None:
    """Cut the first well-formed 9-byte status frame out of ``buffer`` (dropping noise
    before it and counting it in ``scan``), or None while more bytes are needed."""
    while True:
        start = buffer.find(STX)
        if start < 0:
            scan.garbage_bytes += len(buffer)
            buffer.clear()
            return None
        if start:
            scan.garbage_bytes += start
            del buffer[:start]
        if len(buffer) < REPLY_LENGTH:
            return None
        candidate = bytes(buffer[:REPLY_LENGTH])
        if candidate[7] != ETX or candidate[2] not in STATUS_REPLIES:
            scan.garbage_bytes += 1  # an STX inside noise: resync on the next one
            del buffer[0]
            continue
        if checksum(candidate[:8]) != candidate[8]:
            scan.checksum_errors += 1
            del buffer[0]
            continue
        del buffer[:REPLY_LENGTH]
        return StatusReply(
            candidate[1],
            candidate[2],
            int.from_bytes(candidate[3:5], "little"),
            int.from_bytes(candidate[5:7], "little"),
        )


class KerongCU16:
    """One RS485 bus of KR-CU16 boards. Thread-safe: one request at a time on the wire."""

    family = FAMILY
    channels_per_board = CHANNELS

    def __init__(
        self,
        settings: BusSettings,
        *,
        reply_timeout: float = 0.3,
        retries: int = 2,
        quiet_gap: float = 0.03,
    ) -> None:
        options = dict(settings.options)
        self.settings = settings
        self.hook_closed_bit = int(options.get("hook_closed_bit", 1))
        self.reply_timeout = float(options.get("reply_timeout", reply_timeout))
        self.retries = int(options.get("retries", retries))
        # A board may still be answering a command we did not wait for (RS485 is half
        # duplex): leave the bus this long before the next request.
        self.quiet_gap = quiet_gap
        self._quiet_until = 0.0
        self._lock = threading.Lock()
        self._pulse_set: set[int] = set()
        self._port: serial.Serial | None = None
        self._ensure_port()

    # -- the driver interface ------------------------------------------------------------

    def open_door(self, board: int, channel: int) -> None:
        addr = address(board, channel)
        self._apply_pulse(board)
        self._send(frame(addr, UNLOCK_ONE))

    def open_all(self, board: int) -> None:
        addr = address(board)
        self._apply_pulse(board)
        self._send(frame(addr, UNLOCK_BOARD))

    def read_board(self, board: int) -> BoardStatus:
        reply = self._ask(frame(address(board), STATUS_BOARD), board)
        return self._status(board, reply)

    def close(self) -> None:
        with self._lock:
            if self._port is not None:
                self._port.close()
                self._port = None

    # -- the wire -----------------------------------------------------------------------

    def _status(self, board: int, reply: StatusReply) -> BoardStatus:
        sensors = self.settings.occupancy_sensors
        doors = tuple(
            DoorReading(
                channel=bit + 1,
                closed=(reply.hooks >> bit & 1) == self.hook_closed_bit,
                occupied=bool(reply.infrared >> bit & 1) if sensors else None,
            )
            for bit in range(CHANNELS)
        )
        return BoardStatus(board, doors)

    def _apply_pulse(self, board: int) -> None:
        pulse = self.settings.pulse_ms
        if pulse and board not in self._pulse_set:
            self._send(frame(address(board), SET_PULSE, pulse_data(pulse)))
            self._pulse_set.add(board)

    def _ensure_port(self) -> serial.Serial:
        if self._port is None:
            try:
                self._port = serial.Serial(
                    self.settings.port,
                    baudrate=self.settings.baud,
                    bytesize=serial.EIGHTBITS,
                    parity=serial.PARITY_NONE,
                    stopbits=serial.STOPBITS_ONE,
                    timeout=READ_SLICE,  # fixed: setting it per read reconfigures the tty
                    write_timeout=1.0,
                    # One owner per bus: a technician's test while the kiosk polls (or two
                    # kiosks on one adapter) would garble both; the second is refused.
                    exclusive=True,
                )
            except (serial.SerialException, ValueError, OSError) as exc:
                reason = getattr(exc, "strerror", None) or exc
                raise BoardUnreachable(
                    f"Cannot open the locker port {self.settings.port}: {reason}"
                ) from exc
        return self._port

    def _write(self, data: bytes) -> serial.Serial:
        """Flush stale input and write one request; a port that fails is closed so the
        next request opens it again (a USB adapter unplugged and plugged back)."""
        port = self._ensure_port()
        wait = self._quiet_until - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            port.reset_input_buffer()
            port.write(data)
            port.flush()
        except (serial.SerialException, OSError) as exc:
            port.close()
            self._port = None
            raise BoardUnreachable(f"Cannot write to {self.settings.port}: {exc}") from exc
        return port

    def _send(self, data: bytes) -> None:
        with self._lock:
            self._write(data)
            self._quiet_until = time.monotonic() + self.quiet_gap

    def _ask(self, request: bytes, board: int) -> StatusReply:
        error: LockerBoardError = BoardTimeout(f"Locker board {board} did not answer.")
        for _ in range(1 + self.retries):
            try:
                with self._lock:
                    return self._exchange(request, board)
            except (BoardTimeout, BadReply) as exc:
                error = exc
        raise error

    def _exchange(self, request: bytes, board: int) -> StatusReply:
        port = self._write(request)
        deadline = time.monotonic() + self.reply_timeout
        buffer, scan = bytearray(), ReplyScan()
        while deadline > time.monotonic():
            try:
                chunk = port.read(1)
                if chunk and port.in_waiting:
                    chunk += port.read(port.in_waiting)
            except (serial.SerialException, OSError) as exc:
                port.close()
                self._port = None
                raise BoardUnreachable(f"Cannot read {self.settings.port}: {exc}") from exc
            buffer += chunk
            while (reply := take_reply(buffer, scan)) is not None:
                if reply.board == board:
                    return reply
                scan.garbage_bytes += REPLY_LENGTH  # another board's late answer
        if scan.checksum_errors:
            raise ChecksumError(f"Locker board {board} answered with a bad checksum.")
        if scan.garbage_bytes or buffer:
            raise BadReply(f"Locker board {board} answered with bytes that make no sense.")
        raise BoardTimeout(f"Locker board {board} did not answer.")


@register(FAMILY, channels_per_board=CHANNELS, board_addresses=range(MAX_BOARD + 1))
def _open(settings: BusSettings) -> KerongCU16:
    return KerongCU16(settings)
