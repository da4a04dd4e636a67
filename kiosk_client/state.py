"""What the touch screen should show now: one shared, versioned state the flows write and the UI reads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

# Phases the screen knows. Terminal ones wait for the shopper (or a timeout) to go home.
IDLE = "idle"
CREATING = "creating"
AWAITING_PAYMENT = "awaiting_payment"
DISPENSING = "dispensing"
DONE = "done"
CANCELLED = "cancelled"
EXPIRED = "expired"
ERROR = "error"
DOOR_READY = "door_ready"
DOOR_OPEN = "door_open"
DOOR_CLOSING = "door_closing"
DOOR_RECEIPT = "door_receipt"
OFFLINE = "offline"
TERMINAL = frozenset({DONE, CANCELLED, EXPIRED, ERROR, DOOR_RECEIPT})


class StateBox:
    """Thread-safe holder of the screen state; every change bumps `version` and wakes waiters."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._state: dict[str, Any] = {"phase": IDLE}
        self._version = 0
        self._changed_at = time.monotonic()

    def set(self, phase: str, **fields: Any) -> dict[str, Any]:
        """Replace the state with a new phase and its fields."""
        with self._cond:
            self._state = {"phase": phase, **fields}
            return self._bump()

    def update(self, **fields: Any) -> dict[str, Any]:
        """Change some fields of the current phase."""
        with self._cond:
            self._state = {**self._state, **fields}
            return self._bump()

    def _bump(self) -> dict[str, Any]:
        self._version += 1
        self._changed_at = time.monotonic()
        self._cond.notify_all()
        return self.snapshot()

    def snapshot(self) -> dict[str, Any]:
        """A copy of the state with its version."""
        with self._cond:
            return {**self._state, "version": self._version}

    @property
    def phase(self) -> str:
        """The current phase."""
        with self._cond:
            return str(self._state["phase"])

    def seconds_in_phase(self) -> float:
        """How long the state has been unchanged."""
        with self._cond:
            return time.monotonic() - self._changed_at

    def claim(self, expected: frozenset[str], phase: str, **fields: Any) -> bool:
        """Atomically move to `phase` if the current phase is one of `expected`."""
        with self._cond:
            if self._state["phase"] not in expected:
                return False
            self._state = {"phase": phase, **fields}
            self._bump()
            return True

    def notify(self) -> None:
        """Wake every waiter so it re-checks its condition (used on shutdown)."""
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float) -> dict[str, Any] | None:
        """Block until predicate(state) holds (return the state) or timeout passes (return None)."""
        with self._cond:
            if self._cond.wait_for(lambda: predicate(self.snapshot()), timeout):
                return self.snapshot()
            return None
