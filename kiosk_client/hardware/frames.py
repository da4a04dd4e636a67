"""Frames of the serial lock-board protocol (see PROTOCOL.md beside this file)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

STX = 0x02
ETX = 0x03
REPLY = 0x80
HEADER_LEN = 5  # STX ADDR SEQ CMD LEN
MAX_PAYLOAD = 255
SLOTS_PER_ROW = 16


class Command(IntEnum):
    """Request commands; a reply carries the same code with the REPLY bit set."""

    STATUS = 0x01
    OPEN_SLOT = 0x10
    DISPENSE = 0x11
    UNLOCK_DOOR = 0x20
    LOCK_DOOR = 0x21
    READ_TAKEN = 0x22


class Status(IntEnum):
    """First payload byte of every reply."""

    OK = 0x00
    MOTOR_JAM = 0x01
    SLOT_EMPTY = 0x02
    DOOR_OPEN = 0x03
    BAD_SLOT = 0x04
    BAD_CHECKSUM = 0x05
    BUSY = 0x06
    BAD_LENGTH = 0x07
    UNKNOWN_COMMAND = 0x7F


class DoorState(IntEnum):
    """Door byte of a STATUS reply."""

    CLOSED = 0
    UNLOCKED = 1
    OPEN = 2


NO_TEMPERATURE = -0x8000  # int16 value meaning "no sensor"


@dataclass(frozen=True)
class Frame:
    """One frame: board address, sequence number, command code and payload bytes."""

    address: int
    seq: int
    command: int
    payload: bytes = b""

    @property
    def is_reply(self) -> bool:
        """Whether the REPLY bit of the command is set."""
        return bool(self.command & REPLY)


def crc8(data: bytes) -> int:
    """CRC-8 with polynomial 0x07, initial value 0x00, no reflection (CRC-8/SMBUS)."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def encode(frame: Frame) -> bytes:
    """Serialise a frame: STX ADDR SEQ CMD LEN PAYLOAD CRC ETX."""
    if len(frame.payload) > MAX_PAYLOAD:
        raise ValueError("payload longer than 255 bytes")
    body = bytes([frame.address, frame.seq, frame.command, len(frame.payload)]) + frame.payload
    return bytes([STX]) + body + bytes([crc8(body), ETX])


class FrameReader:
    """Incremental decoder: feed bytes, take complete frames; corrupt frames are counted and skipped."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.corrupt = 0

    def feed(self, data: bytes) -> list[Frame]:
        """Add received bytes and return every complete, valid frame found so far."""
        self._buffer.extend(data)
        frames: list[Frame] = []
        while True:
            start = self._buffer.find(STX)
            if start < 0:
                self._buffer.clear()
                return frames
            del self._buffer[:start]
            if len(self._buffer) < HEADER_LEN:
                return frames
            total = HEADER_LEN + self._buffer[4] + 2
            if len(self._buffer) < total:
                return frames
            raw = bytes(self._buffer[:total])
            body = raw[1:-2]
            if raw[-1] != ETX or crc8(body) != raw[-2]:
                # Resynchronise on the next STX after this one.
                self.corrupt += 1
                del self._buffer[:1]
                continue
            del self._buffer[:total]
            frames.append(Frame(address=body[0], seq=body[1], command=body[2], payload=body[4:]))


_SLOT_CODE = re.compile(r"^([A-O])(\d{1,2})$")


def slot_number(code: str) -> int:
    """Map a slot code to its board number: row letter A–O × 16 + column 1–15 (A1 = 1, B3 = 19)."""
    match = _SLOT_CODE.match(code.upper())
    if not match or not 1 <= int(match.group(2)) < SLOTS_PER_ROW:
        raise ValueError(f"slot code {code!r} has no board number")
    return (ord(match.group(1)) - ord("A")) * SLOTS_PER_ROW + int(match.group(2))


def slot_code(number: int) -> str:
    """Inverse of slot_number."""
    row, column = divmod(number, SLOTS_PER_ROW)
    if not 0 <= row < 15 or column == 0:
        raise ValueError(f"board slot number {number} is not a slot")
    return f"{chr(ord('A') + row)}{column}"
