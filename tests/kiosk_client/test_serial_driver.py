"""The serial lock-board driver and its frame protocol, against a board played on a pseudo-terminal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk_client.hardware import HardwareError, make_driver
from kiosk_client.hardware.frames import (
    REPLY,
    Command,
    DoorState,
    Frame,
    FrameReader,
    crc8,
    encode,
    slot_code,
    slot_number,
)
from kiosk_client.hardware.serial_board import SerialLockBoardDriver
from tests.kiosk_client.fake_board import FakeBoard


@pytest.fixture
def board() -> Iterator[FakeBoard]:
    fake = FakeBoard().start()
    yield fake
    fake.stop()


@pytest.fixture
def driver(board: FakeBoard) -> Iterator[SerialLockBoardDriver]:
    serial_driver = SerialLockBoardDriver(board.port_name, reply_timeout=0.2, dispense_timeout=0.3)
    yield serial_driver
    serial_driver.close()


def test_crc8_is_crc8_smbus() -> None:
    assert crc8(b"123456789") == 0xF4
    assert crc8(b"") == 0


def test_documented_example_frame() -> None:
    assert encode(Frame(1, 7, Command.DISPENSE, bytes([0x13, 2]))).hex(" ") == "02 01 07 11 02 13 02 c1 03"


def test_reader_resynchronises_after_noise_and_a_corrupt_frame() -> None:
    good = encode(Frame(1, 3, Command.STATUS | REPLY, bytes([0, 0, 0, 55, 0])))
    corrupt = bytearray(encode(Frame(1, 2, Command.STATUS, b"\x03\x02")))
    corrupt[-2] ^= 0x55
    reader = FrameReader()
    frames = reader.feed(b"\xff\x00" + bytes(corrupt) + good[:4])
    frames += reader.feed(good[4:])
    assert frames == [Frame(1, 3, Command.STATUS | REPLY, bytes([0, 0, 0, 55, 0]))]
    assert reader.corrupt >= 1  # the corrupt frame and false starts on 0x02 bytes inside it


def test_payload_bytes_equal_to_stx_and_etx_need_no_escaping() -> None:
    frame = Frame(2, 9, Command.READ_TAKEN | REPLY, bytes([0, 2, 0x02, 0x03, 0x03, 0x02]))
    assert FrameReader().feed(encode(frame)) == [frame]


def test_slot_numbers_round_trip() -> None:
    assert (slot_number("A1"), slot_number("B3"), slot_number("C2")) == (1, 19, 34)
    assert all(slot_code(slot_number(code)) == code for code in ("A1", "A15", "O9"))
    with pytest.raises(ValueError):
        slot_number("A16")


def test_dispense_reports_what_came_out(driver: SerialLockBoardDriver, board: FakeBoard) -> None:
    result = driver.dispense("A1", 2)
    assert (result.dispensed, result.error) == (2, None)
    assert board.stock["A1"] == 3


def test_a_jammed_motor_reports_partial_units_and_the_error(
    driver: SerialLockBoardDriver, board: FakeBoard
) -> None:
    board.jams["B3"] = 1
    result = driver.dispense("B3", 3)
    assert result.as_report() == {"slot": "B3", "requested": 3, "dispensed": 1, "error": "motor_jam"}


def test_an_empty_slot_is_reported_as_slot_empty(driver: SerialLockBoardDriver, board: FakeBoard) -> None:
    board.stock["C2"] = 0
    assert driver.dispense("C2", 1).as_report() == {
        "slot": "C2",
        "requested": 1,
        "dispensed": 0,
        "error": "slot_empty",
    }


def test_a_lost_reply_is_retransmitted_and_never_dispenses_twice(
    driver: SerialLockBoardDriver, board: FakeBoard
) -> None:
    board.drop_replies = 1
    result = driver.dispense("A1", 1)
    assert result.dispensed == 1
    dispense_frames = [f for f in board.received if f.command == Command.DISPENSE]
    assert len(dispense_frames) == 2 and dispense_frames[0].seq == dispense_frames[1].seq
    assert board.motor_runs["A1"] == 1
    assert board.stock["A1"] == 4


def test_a_garbled_reply_is_retransmitted(driver: SerialLockBoardDriver, board: FakeBoard) -> None:
    board.garble_replies = 1
    assert driver.status().temperature_c == 5.5
    assert len(board.received) == 2


def test_a_silent_board_counts_as_nothing_dispensed(board: FakeBoard) -> None:
    board.silent = True
    driver = SerialLockBoardDriver(board.port_name, reply_timeout=0.05, dispense_timeout=0.05)
    try:
        result = driver.dispense("A1", 2)
        assert result.as_report() == {"slot": "A1", "requested": 2, "dispensed": 0, "error": "board_timeout"}
        with pytest.raises(HardwareError):
            driver.status()
    finally:
        driver.close()


def test_status_reads_door_temperature_and_faults(driver: SerialLockBoardDriver, board: FakeBoard) -> None:
    board.temperature_tenths = -15
    board.faults = 0x02
    board.door = DoorState.OPEN
    status = driver.status()
    assert (status.door, status.temperature_c, status.errors) == ("open", -1.5, ["door_sensor_fault"])


def test_open_door_visit_on_the_board(driver: SerialLockBoardDriver, board: FakeBoard) -> None:
    driver.unlock_door()
    assert driver.door_state() == "unlocked"
    board.door = DoorState.OPEN
    board.taken = {"A1": 1, "C2": 2}
    with pytest.raises(HardwareError):
        driver.lock_door()  # refused while the door stands open
    board.door = DoorState.CLOSED
    assert driver.door_state() == "closed"
    assert driver.read_taken() == {"A1": 1, "C2": 2}


def test_sequence_numbers_are_new_per_command_and_skip_zero(
    driver: SerialLockBoardDriver, board: FakeBoard
) -> None:
    driver._seq = 254
    driver.status()
    driver.status()
    assert [f.seq for f in board.received] == [255, 1]


def test_make_driver_builds_the_serial_driver(board: FakeBoard) -> None:
    serial_driver = make_driver("serial", board.port_name, reply_timeout=0.3)
    try:
        assert serial_driver.door_state() == "closed"
    finally:
        serial_driver.close()
    with pytest.raises(ValueError):
        make_driver("serial", None)


def test_a_slot_map_names_the_board_numbers_the_planogram_way(board: FakeBoard) -> None:
    driver = SerialLockBoardDriver(board.port_name, reply_timeout=0.2, slot_map={"S1": 1, "S2": 2})
    try:
        assert driver.dispense("S1", 1).dispensed == 1
        assert board.stock["A1"] == 4  # the board only knows number 1
        board.taken = {"A2": 3}  # sensor number 2
        assert driver.read_taken() == {"S2": 3}
        assert driver.dispense("ZZ9", 1).as_report() == {
            "slot": "ZZ9",
            "requested": 1,
            "dispensed": 0,
            "error": "bad_slot",
        }
    finally:
        driver.close()
