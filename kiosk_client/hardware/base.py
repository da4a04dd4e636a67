"""The driver interface every cabinet's hardware is used through."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Literal

DoorStateName = Literal["closed", "unlocked", "open"]
MAX_ERROR_LENGTH = 64  # the protocol's vend-results error is a short code


class HardwareError(Exception):
    """The cabinet hardware did not do what was asked (no reply, bad reply, refused)."""


@dataclass(frozen=True)
class DispenseResult:
    """What one slot released, as the protocol's vend-results entry."""

    slot: str
    requested: int
    dispensed: int
    error: str | None = None

    def as_report(self) -> dict[str, object]:
        """The entry of a vend-results report."""
        entry: dict[str, object] = {
            "slot": self.slot,
            "requested": self.requested,
            "dispensed": self.dispensed,
        }
        if self.error:
            entry["error"] = self.error[:MAX_ERROR_LENGTH]
        return entry


@dataclass(frozen=True)
class CabinetStatus:
    """Door, temperature and current faults, for the heartbeat."""

    door: DoorStateName
    temperature_c: float | None = None
    errors: list[str] = field(default_factory=list)


class Driver(ABC):
    """A cabinet: dispensing slots (vend) and a lockable door with take-sensors (open-door)."""

    name: str = "driver"

    @abstractmethod
    def dispense(self, slot: str, qty: int) -> DispenseResult:
        """Release qty units from slot and say how many actually came out."""

    @abstractmethod
    def unlock_door(self) -> None:
        """Unlock the door for an open-door visit and start counting what is taken."""

    @abstractmethod
    def lock_door(self) -> None:
        """Lock the door again (a visit whose shopper never opened it)."""

    @abstractmethod
    def door_state(self) -> DoorStateName:
        """closed (and locked), unlocked (not yet opened) or open."""

    @abstractmethod
    def read_taken(self) -> dict[str, int]:
        """Units that left each slot since the door was unlocked."""

    @abstractmethod
    def status(self) -> CabinetStatus:
        """Door, temperature and faults."""

    def close(self) -> None:  # noqa: B027 - optional hook, most drivers hold nothing
        """Release the port or other resources."""
