"""Cabinet hardware behind one interface: a simulated cabinet and a serial lock board."""

from __future__ import annotations

from kiosk_client.hardware.base import CabinetStatus, DispenseResult, Driver, HardwareError
from kiosk_client.hardware.simulated import SimulatedDriver

__all__ = ["CabinetStatus", "DispenseResult", "Driver", "HardwareError", "SimulatedDriver", "make_driver"]


def make_driver(kind: str, serial_port: str | None = None, **options: object) -> Driver:
    """Build the driver named on the command line (simulated or serial)."""
    if kind == "simulated":
        return SimulatedDriver(**options)  # type: ignore[arg-type]
    if kind == "serial":
        if not serial_port:
            raise ValueError("--driver serial needs --serial-port")
        from kiosk_client.hardware.serial_board import SerialLockBoardDriver

        return SerialLockBoardDriver(serial_port, **options)  # type: ignore[arg-type]
    raise ValueError(f"unknown driver {kind!r}")
