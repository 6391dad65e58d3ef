"""The KR-CU16 driver's bytes on the wire and its reading of replies, through pyserial on
the simulator's pseudo-terminal."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from kiosk.lockers import kerong as kr
from kiosk.lockers.driver import (
    BadReply,
    BoardTimeout,
    BoardUnreachable,
    BusSettings,
    ChecksumError,
    LockerBoardError,
    open_driver,
)
from kiosk.lockers.kerong import KerongCU16, ReplyScan, take_reply
from kiosk.lockers.simulator import BoardSimulator


@pytest.fixture
def driver(sim: BoardSimulator) -> Iterator[KerongCU16]:
    opened = open_driver("kerong-cu16", BusSettings(sim.port))
    assert isinstance(opened, KerongCU16)
    yield opened
    opened.close()


def test_frames_are_stx_addr_cmd_etx_and_the_low_byte_of_the_sum() -> None:
    assert kr.frame(kr.address(0, 1), kr.UNLOCK_ONE) == bytes.fromhex("0200310336")
    assert kr.frame(kr.address(0), kr.STATUS_BOARD) == bytes.fromhex("0200320337")
    # board 2, door 16: ADDR 0x2F; 0x02 + 0x2F + 0x31 + 0x03 = 0x65
    assert kr.frame(kr.address(2, 16), kr.UNLOCK_ONE) == bytes.fromhex("022F310365")
    # board 15 unlock-all: 0x02 + 0xF0 + 0x33 + 0x03 = 0x128 -> 0x28
    assert kr.frame(kr.address(15), kr.UNLOCK_BOARD) == bytes.fromhex("02F0330328")
    # 500 ms pulse = 50 units of 10 ms, high byte first
    assert kr.frame(kr.address(1), kr.SET_PULSE, kr.pulse_data(500)) == bytes.fromhex(
        "0210370032037E"
    )


@pytest.mark.parametrize(("board", "channel"), [(16, 1), (-1, 1), (0, 0), (0, 17)])
def test_addresses_outside_a_kr_cu16_bus_are_refused(board: int, channel: int) -> None:
    with pytest.raises(LockerBoardError):
        kr.address(board, channel)


def test_a_status_reply_is_found_after_noise_and_a_bad_checksum_is_counted() -> None:
    good = kr.frame(0x10, kr.STATUS_REPLY, bytes.fromhex("05800300"))
    bad = good[:-1] + bytes(((good[-1] + 1) & 0xFF,))
    buffer, scan = bytearray(b"\xff\x02\x00" + bad + good), ReplyScan()
    reply = take_reply(buffer, scan)
    assert reply is not None and reply.board == 1
    assert reply.hooks == 0x8005 and reply.infrared == 0x0003
    assert scan.checksum_errors == 1 and scan.garbage_bytes >= 2
    assert buffer == bytearray()


def test_opening_a_door_writes_one_unlock_frame_and_the_door_reads_open(
    driver: KerongCU16, sim: BoardSimulator
) -> None:
    driver.open_door(1, 3)
    (request,) = sim.wait_for(kr.UNLOCK_ONE)
    assert (request.addr, request.board, request.channel) == (0x12, 1, 3)
    status = driver.read_board(1)
    assert not status.door(3).closed
    assert all(door.closed for door in status.doors if door.channel != 3)
    assert driver.read_board(0).door(3).closed  # board 0's door 3 is another door


def test_the_pulse_time_is_set_once_per_board_before_its_first_unlock(
    sim: BoardSimulator,
) -> None:
    driver = KerongCU16(BusSettings(sim.port, pulse_ms=1000))
    try:
        driver.open_door(0, 1)
        driver.open_door(0, 2)
        driver.open_door(1, 1)
        sim.wait_for(kr.UNLOCK_ONE, 3)
    finally:
        driver.close()
    commands = [(r.command, r.board) for r in sim.requests]
    assert commands == [
        (kr.SET_PULSE, 0),
        (kr.UNLOCK_ONE, 0),
        (kr.UNLOCK_ONE, 0),
        (kr.SET_PULSE, 1),
        (kr.UNLOCK_ONE, 1),
    ]
    assert sim.boards[0].pulse_ms == sim.boards[1].pulse_ms == 1000


def test_occupancy_and_door_state_come_from_their_own_bits(
    driver: KerongCU16, sim: BoardSimulator
) -> None:
    sim.fill(0, 9)
    sim.pull_open(0, 16)
    status = driver.read_board(0)
    assert status.door(9).occupied and status.door(9).closed
    assert not status.door(16).closed and status.door(16).occupied is False


def test_the_closed_bit_can_be_flipped_for_boards_that_report_0_as_locked() -> None:
    with BoardSimulator((0,), hook_closed_bit=0) as sim:
        settings = BusSettings(sim.port, options=(("hook_closed_bit", 0),))
        driver = KerongCU16(settings)
        try:
            assert all(door.closed for door in driver.read_board(0).doors)
            driver.open_door(0, 5)
            assert not driver.read_board(0).door(5).closed
        finally:
            driver.close()


def test_a_board_without_sensors_reports_occupancy_as_unknown(sim: BoardSimulator) -> None:
    driver = KerongCU16(BusSettings(sim.port, occupancy_sensors=False))
    try:
        sim.fill(0, 1)
        assert driver.read_board(0).door(1).occupied is None
    finally:
        driver.close()


def test_garbage_before_a_reply_is_skipped(driver: KerongCU16, sim: BoardSimulator) -> None:
    sim.fill(0, 2)
    sim.add_noise(b"\x02\x00\x35\x00garbage\x03\x02")
    assert driver.read_board(0).door(2).occupied


def test_a_bad_checksum_is_retried_and_the_retry_answers(
    driver: KerongCU16, sim: BoardSimulator
) -> None:
    sim.corrupt_next_reply()
    assert driver.read_board(0).door(1).closed
    assert len(sim.wait_for(kr.STATUS_BOARD, 2)) == 2


def test_a_stale_reply_left_on_the_line_is_flushed_before_the_next_request() -> None:
    with BoardSimulator((0,), answer_unlock=True) as sim:
        driver = KerongCU16(BusSettings(sim.port))
        try:
            driver.open_door(0, 4)
            sim.wait_for(kr.UNLOCK_ONE)
            time.sleep(0.1)  # the board's unasked-for reply is waiting in the buffer
            sim.shut(0, 4)
            assert driver.read_board(0).door(4).closed  # the fresh reply, not the stale one
        finally:
            driver.close()


def test_a_silent_board_times_out_after_its_retries(
    driver: KerongCU16, sim: BoardSimulator
) -> None:
    sim.silence(1)
    with pytest.raises(BoardTimeout, match="did not answer"):
        driver.read_board(1)
    assert len(sim.wait_for(kr.STATUS_BOARD, 3)) == 1 + driver.retries
    assert driver.read_board(0).door(1).closed  # the other board on the bus still answers


def test_a_board_answering_nonsense_is_a_bad_reply_and_a_bad_sum_a_checksum_error(
    driver: KerongCU16, sim: BoardSimulator
) -> None:
    sim.garble(0, b"\x02\x00\x35\x01\x02\x03\x04\x05\x06")
    with pytest.raises(BadReply) as raised:
        driver.read_board(0)
    assert not isinstance(raised.value, ChecksumError)
    good = kr.frame(0x00, kr.STATUS_REPLY, bytes(4))
    sim.garble(0, good[:-1] + b"\x00")
    with pytest.raises(ChecksumError):
        driver.read_board(0)
    sim.garble(0, None)
    assert driver.read_board(0).door(1).closed


def test_a_port_that_does_not_exist_is_unreachable() -> None:
    with pytest.raises(BoardUnreachable, match="/dev/ttyNOSUCH"):
        open_driver("kerong-cu16", BusSettings("/dev/ttyNOSUCH"))


def test_an_unknown_board_family_is_named() -> None:
    with pytest.raises(LockerBoardError, match="winnsen"):
        open_driver("winnsen", BusSettings("/dev/null"))
