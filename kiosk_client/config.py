"""Settings of one kiosk program, from the command line (tests build them directly)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SOFTWARE_VERSION = "dongxi-kiosk 0.1.0"
Mode = Literal["vend", "open_door"]


@dataclass(frozen=True)
class Settings:
    """Everything the agent, flows and UI need to know; intervals are seconds."""

    server: str
    key_id: str
    secret: str
    data_dir: Path
    port: int = 8100
    host: str = "127.0.0.1"
    driver: str = "simulated"
    serial_port: str | None = None
    mode: Mode = "vend"
    mode_from_server: bool = False
    software_version: str = SOFTWARE_VERSION
    http_timeout: float = 10.0
    # how often the order is polled while a shopper waits (the protocol asks for about 1 s)
    poll_interval: float = 1.0
    heartbeat_interval: float = 30.0
    sync_interval: float = 300.0
    # outbox retry: first delay, doubling per attempt up to the cap, with jitter
    retry_base: float = 2.0
    retry_max: float = 300.0
    # a payment page past expires_at by this much is cancelled by the kiosk itself
    expiry_grace: float = 10.0
    # how often the door sensor is read during an open-door visit
    hw_poll_interval: float = 0.2
    # an unlocked door never opened is locked again after this long (an empty visit, ¥0)
    door_unopened_timeout: float = 30.0
    # the screen asks to close the door after this long (the server alerts after 3 minutes)
    door_reminder_after: float = 60.0
    # result/receipt screens go back home after this long even if nobody taps
    result_seconds: float = 20.0
    # the touch screen clears a cart nobody touched for this long
    idle_seconds: float = 60.0
    # the service phone every screen's footer shows (env KIOSK_HELP_PHONE); empty: none shown
    help_phone: str = ""

    @property
    def outbox_path(self) -> Path:
        """The SQLite file holding the outbox and the visit journal."""
        return self.data_dir / "kiosk.db"

    @property
    def catalogue_path(self) -> Path:
        """The last catalogue the server sent, with its ETag."""
        return self.data_dir / "catalogue.json"
