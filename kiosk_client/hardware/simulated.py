"""A cabinet in memory: the default driver, for development, demos and tests."""

from __future__ import annotations

import threading

from kiosk_client.hardware.base import CabinetStatus, DispenseResult, DoorStateName, Driver


class SimulatedDriver(Driver):
    """Dispenses everything unless told to fail a slot; reports the units set with set_taken."""

    name = "simulated"

    def __init__(
        self, *, auto_open: bool = True, door_seconds: float | None = None, temperature_c: float = 5.5
    ) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, tuple[str, int]] = {}
        self._taken: dict[str, int] = {}
        self._door: DoorStateName = "closed"
        self._auto_open = auto_open
        self._door_seconds = door_seconds
        self._temperature_c = temperature_c
        self._door_timer: threading.Timer | None = None
        self.dispensed: list[DispenseResult] = []
        self.unlocks = 0

    # -- what a test or the demo tells the cabinet ------------------------------------------------
    def fail_slot(self, slot: str, error: str = "motor_jam", dispensed: int = 0) -> None:
        """Make every later dispense from slot release only `dispensed` units and report `error`."""
        with self._lock:
            self._failures[slot.upper()] = (error, dispensed)

    def clear_failures(self) -> None:
        """Let every slot dispense again."""
        with self._lock:
            self._failures.clear()

    def set_taken(self, taken: dict[str, int]) -> None:
        """Units the shopper takes during the current (or next) open-door visit."""
        with self._lock:
            self._taken = {slot.upper(): qty for slot, qty in taken.items() if qty > 0}

    def open_door(self) -> None:
        """The shopper pulls the unlocked door open."""
        with self._lock:
            if self._door == "unlocked":
                self._door = "open"

    def close_door(self) -> None:
        """The shopper shuts the door; it locks itself."""
        with self._lock:
            self._door = "closed"
            if self._door_timer is not None:
                self._door_timer.cancel()
                self._door_timer = None

    def snapshot(self) -> dict[str, object]:
        """What the simulation currently holds (for the /sim page)."""
        with self._lock:
            return {
                "door": self._door,
                "taken": dict(self._taken),
                "failures": {slot: {"error": e, "dispensed": d} for slot, (e, d) in self._failures.items()},
            }

    # -- the Driver interface ------------------------------------------------------------------------
    def dispense(self, slot: str, qty: int) -> DispenseResult:
        """Release qty units, or fewer with an error for a slot told to fail."""
        with self._lock:
            failure = self._failures.get(slot.upper())
        if failure is None:
            result = DispenseResult(slot, qty, qty)
        else:
            error, dispensed = failure
            result = DispenseResult(slot, qty, min(dispensed, qty), error)
        self.dispensed.append(result)
        return result

    def unlock_door(self) -> None:
        """Unlock; with auto_open the simulated shopper opens it at once."""
        with self._lock:
            self.unlocks += 1
            self._door = "open" if self._auto_open else "unlocked"
            if self._door_seconds is not None:
                self._door_timer = threading.Timer(self._door_seconds, self.close_door)
                self._door_timer.daemon = True
                self._door_timer.start()

    def lock_door(self) -> None:
        """Lock the door if it was never opened."""
        with self._lock:
            if self._door == "unlocked":
                self._door = "closed"

    def door_state(self) -> DoorStateName:
        """The simulated door's state."""
        with self._lock:
            return self._door

    def read_taken(self) -> dict[str, int]:
        """Return the units set for this visit and forget them (one visit consumes them)."""
        with self._lock:
            taken, self._taken = self._taken, {}
            return taken

    def status(self) -> CabinetStatus:
        """Door and a steady fridge temperature."""
        with self._lock:
            door: DoorStateName = "open" if self._door == "open" else "closed"
            errors = [f"{slot}:{error}" for slot, (error, _) in sorted(self._failures.items())]
        return CabinetStatus(door=door, temperature_c=self._temperature_c, errors=errors)
