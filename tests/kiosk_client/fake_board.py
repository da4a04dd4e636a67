"""A lock board played by a thread on the master side of a pseudo-terminal."""

from __future__ import annotations

import os
import select
import struct
import threading
from collections import Counter

from kiosk_client.hardware.frames import (
    REPLY,
    Command,
    DoorState,
    Frame,
    FrameReader,
    Status,
    encode,
    slot_code,
)


class FakeBoard:
    """Executes each new SEQ once and answers a repeated SEQ from its cache, as PROTOCOL.md requires."""

    def __init__(self, address: int = 1) -> None:
        self.master, self.slave = os.openpty()
        self.port_name = os.ttyname(self.slave)
        self.address = address
        self.reader = FrameReader()
        self.stock: dict[str, int] = {"A1": 5, "B3": 5, "C2": 5}
        self.jams: dict[str, int] = {}  # slot → units that come out before the motor jams
        self.motor_runs: Counter[str] = Counter()
        self.door = DoorState.CLOSED
        self.temperature_tenths = 55
        self.faults = 0
        self.taken: dict[str, int] = {}
        self.drop_replies = 0  # swallow this many replies (after acting)
        self.garble_replies = 0  # corrupt this many replies' CRC (after acting)
        self.silent = False
        self.received: list[Frame] = []
        self._last: tuple[int, bytes] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> FakeBoard:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        os.close(self.master)
        os.close(self.slave)

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self.master, 256)
            except OSError:
                return
            for frame in self.reader.feed(data):
                if frame.address == self.address and not self.silent:
                    self._answer(frame)

    def _answer(self, frame: Frame) -> None:
        self.received.append(frame)
        if self._last is not None and self._last[0] == frame.seq:
            raw = self._last[1]  # a retransmission: same reply, nothing done again
        else:
            reply = Frame(self.address, frame.seq, frame.command | REPLY, self._execute(frame))
            raw = encode(reply)
            self._last = (frame.seq, raw)
        if self.drop_replies:
            self.drop_replies -= 1
            return
        if self.garble_replies:
            self.garble_replies -= 1
            raw = raw[:-2] + bytes([raw[-2] ^ 0xFF]) + raw[-1:]
        os.write(self.master, raw)

    def _execute(self, frame: Frame) -> bytes:
        command, payload = frame.command, frame.payload
        if command == Command.STATUS:
            return bytes([Status.OK, self.door]) + struct.pack(">hB", self.temperature_tenths, self.faults)
        if command == Command.DISPENSE:
            slot, qty = slot_code(payload[0]), payload[1]
            if slot not in self.stock:
                return bytes([Status.BAD_SLOT, payload[0], 0])
            self.motor_runs[slot] += 1
            out = min(qty, self.stock[slot], self.jams.get(slot, qty))
            self.stock[slot] -= out
            if slot in self.jams:
                return bytes([Status.MOTOR_JAM, payload[0], out])
            return bytes([Status.OK if out == qty else Status.SLOT_EMPTY, payload[0], out])
        if command == Command.OPEN_SLOT:
            return bytes([Status.OK, payload[0]])
        if command == Command.UNLOCK_DOOR:
            self.door = DoorState.UNLOCKED
            self.taken = {}
            return bytes([Status.OK])
        if command == Command.LOCK_DOOR:
            if self.door == DoorState.OPEN:
                return bytes([Status.DOOR_OPEN])
            self.door = DoorState.CLOSED
            return bytes([Status.OK])
        if command == Command.READ_TAKEN:
            from kiosk_client.hardware.frames import slot_number

            pairs = b"".join(bytes([slot_number(s), n]) for s, n in sorted(self.taken.items()))
            return bytes([Status.OK, len(self.taken)]) + pairs
        return bytes([Status.UNKNOWN_COMMAND])
