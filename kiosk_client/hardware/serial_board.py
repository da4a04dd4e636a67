"""Driver for a serial lock/dispense board speaking the frame protocol in PROTOCOL.md."""

from __future__ import annotations

import logging
import struct
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import serial

from kiosk_client.hardware.base import CabinetStatus, DispenseResult, DoorStateName, Driver, HardwareError
from kiosk_client.hardware.frames import (
    NO_TEMPERATURE,
    REPLY,
    Command,
    DoorState,
    Frame,
    FrameReader,
    Status,
    encode,
    slot_code,
    slot_number,
)

log = logging.getLogger(__name__)

ERROR_NAMES = {
    Status.MOTOR_JAM: "motor_jam",
    Status.SLOT_EMPTY: "slot_empty",
    Status.DOOR_OPEN: "door_open",
    Status.BAD_SLOT: "bad_slot",
    Status.BUSY: "board_busy",
}
DOOR_NAMES: dict[int, DoorStateName] = {
    DoorState.CLOSED: "closed",
    DoorState.UNLOCKED: "unlocked",
    DoorState.OPEN: "open",
}
FAULT_BITS = {0x01: "motor_fault", 0x02: "door_sensor_fault", 0x04: "temperature_sensor_fault"}


class SerialLockBoardDriver(Driver):
    """One board on one serial line; every command is retransmitted with the same sequence number."""

    name = "serial"

    def __init__(
        self,
        port: str,
        *,
        address: int = 1,
        baudrate: int = 9600,
        reply_timeout: float = 1.0,
        dispense_timeout: float = 20.0,
        attempts: int = 3,
        slot_map: Mapping[str, int] | None = None,
        serial_factory: Callable[..., Any] = serial.Serial,
    ) -> None:
        self._port = serial_factory(port=port, baudrate=baudrate, timeout=0.05)
        self._address = address
        self._reply_timeout = reply_timeout
        self._dispense_timeout = dispense_timeout
        self._attempts = attempts
        self._reader = FrameReader()
        self._seq = 0
        self._lock = threading.Lock()
        # Planogram codes that do not follow the row×16+column rule (e.g. S1…S6) map explicitly.
        self._numbers = dict(slot_map or {})
        self._codes = {number: code for code, number in self._numbers.items()}

    def _number(self, slot: str) -> int:
        return self._numbers[slot] if slot in self._numbers else slot_number(slot)

    def _code(self, number: int) -> str:
        return self._codes.get(number) or slot_code(number)

    def _next_seq(self) -> int:
        self._seq = self._seq % 255 + 1  # 1..255; 0 is never sent, so a fresh board has no "last" seq
        return self._seq

    def _await_reply(self, request: Frame, timeout: float) -> Frame | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for frame in self._reader.feed(self._port.read(64)):
                if (
                    frame.address == self._address
                    and frame.seq == request.seq
                    and frame.command == request.command | REPLY
                    and frame.payload
                ):
                    return frame
                log.debug("ignoring stray frame %r", frame)
        return None

    def _transact(self, command: Command, payload: bytes = b"", timeout: float | None = None) -> Frame:
        """Send a command and return its reply, retransmitting (same seq) on silence or a garbled reply."""
        with self._lock:
            request = Frame(self._address, self._next_seq(), command, payload)
            raw = encode(request)
            for attempt in range(1, self._attempts + 1):
                self._port.write(raw)
                self._port.flush()
                reply = self._await_reply(request, timeout or self._reply_timeout)
                if reply is not None and reply.payload[0] != Status.BAD_CHECKSUM:
                    return reply
                log.warning(
                    "board %s: no valid reply to %s (attempt %d)", self._address, command.name, attempt
                )
            raise HardwareError(f"board {self._address} did not answer {command.name}")

    def dispense(self, slot: str, qty: int) -> DispenseResult:
        """DISPENSE slot qty; a board that never answers counts as nothing dispensed."""
        try:
            number = self._number(slot)
        except ValueError:
            return DispenseResult(slot, qty, 0, "bad_slot")
        try:
            reply = self._transact(Command.DISPENSE, bytes([number, qty]), self._dispense_timeout)
        except HardwareError:
            return DispenseResult(slot, qty, 0, "board_timeout")
        status = reply.payload[0]
        dispensed = reply.payload[2] if len(reply.payload) >= 3 else 0
        if status == Status.OK:
            return DispenseResult(slot, qty, min(dispensed, qty))
        return DispenseResult(
            slot, qty, min(dispensed, qty), ERROR_NAMES.get(status, f"board_status_{status:02x}")
        )

    def open_slot(self, slot: str) -> None:
        """OPEN_SLOT: pop a locker door (restocking and service)."""
        self._expect_ok(self._transact(Command.OPEN_SLOT, bytes([self._number(slot)])), "OPEN_SLOT")

    def unlock_door(self) -> None:
        """UNLOCK_DOOR: the board resets its take counters."""
        self._expect_ok(self._transact(Command.UNLOCK_DOOR), "UNLOCK_DOOR")

    def lock_door(self) -> None:
        """LOCK_DOOR (refused with DOOR_OPEN while the door stands open)."""
        self._expect_ok(self._transact(Command.LOCK_DOOR), "LOCK_DOOR")

    def door_state(self) -> DoorStateName:
        """Door byte of STATUS."""
        return self.status().door

    def read_taken(self) -> dict[str, int]:
        """READ_TAKEN: (slot, count) pairs since the last UNLOCK_DOOR."""
        reply = self._transact(Command.READ_TAKEN)
        self._expect_ok(reply, "READ_TAKEN")
        count = reply.payload[1]
        pairs = reply.payload[2 : 2 + 2 * count]
        return {self._code(pairs[i]): pairs[i + 1] for i in range(0, len(pairs), 2) if pairs[i + 1]}

    def status(self) -> CabinetStatus:
        """STATUS: door, temperature (tenths of °C, int16) and fault bits."""
        reply = self._transact(Command.STATUS)
        self._expect_ok(reply, "STATUS")
        if len(reply.payload) < 5:
            raise HardwareError("STATUS reply too short")
        door_byte, raw_temp, faults = struct.unpack(">BhB", reply.payload[1:5])
        temperature = None if raw_temp == NO_TEMPERATURE else raw_temp / 10
        errors = [name for bit, name in FAULT_BITS.items() if faults & bit]
        return CabinetStatus(door=DOOR_NAMES.get(door_byte, "open"), temperature_c=temperature, errors=errors)

    def close(self) -> None:
        """Close the serial port."""
        self._port.close()

    @staticmethod
    def _expect_ok(reply: Frame, what: str) -> None:
        if reply.payload[0] != Status.OK:
            raise HardwareError(f"{what} refused by the board: status 0x{reply.payload[0]:02x}")
