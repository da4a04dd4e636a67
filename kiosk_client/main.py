"""`dongxi-kiosk`: the kiosk program — touch screen on localhost, agent, hardware driver."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from kiosk_client.agent import Agent
from kiosk_client.config import Settings
from kiosk_client.hardware import Driver, SimulatedDriver, make_driver
from kiosk_client.ui.server import create_ui_app

log = logging.getLogger("kiosk_client")


def parse_slot_map(text: str) -> dict[str, int]:
    """Parse "S1=1,S2=2" into {"S1": 1, "S2": 2}."""
    mapping = {}
    for pair in filter(None, (part.strip() for part in text.split(","))):
        code, sep, number = pair.partition("=")
        if not sep or not number.strip().isdigit() or not 1 <= int(number) <= 255:
            raise argparse.ArgumentTypeError(f"{pair!r} is not CODE=NUMBER (1–255)")
        mapping[code.strip().upper()] = int(number)
    return mapping


def build_parser() -> argparse.ArgumentParser:
    """The command line of dongxi-kiosk."""
    env = os.environ
    p = argparse.ArgumentParser(
        prog="dongxi-kiosk", description="Run one dongxi kiosk: touch screen and agent."
    )
    p.add_argument(
        "--server", required=True, help="base URL of the dongxi server, e.g. http://127.0.0.1:5000"
    )
    p.add_argument(
        "--key-id", default=env.get("DONGXI_KIOSK_KEY_ID"), help="device key id (env DONGXI_KIOSK_KEY_ID)"
    )
    p.add_argument(
        "--secret", default=env.get("DONGXI_KIOSK_SECRET"), help="device secret (env DONGXI_KIOSK_SECRET)"
    )
    p.add_argument(
        "--port", type=int, default=8100, help="port of the touch screen on 127.0.0.1 (default 8100)"
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="address the touch screen listens on (default 127.0.0.1)"
    )
    p.add_argument(
        "--data-dir", type=Path, help="outbox, journal and catalogue cache (default var/kiosk/<key id>)"
    )
    p.add_argument("--driver", choices=["simulated", "serial"], default="simulated")
    p.add_argument("--serial-port", help="serial device of the lock board, e.g. /dev/ttyUSB0")
    p.add_argument("--board-address", type=int, default=1, help="address of the lock board (default 1)")
    p.add_argument("--slot-map", type=parse_slot_map, help="slot codes → board numbers, e.g. S1=1,S2=2")
    p.add_argument(
        "--mode", choices=["vend", "open_door"], default="vend", help="kind of cabinet (default vend)"
    )
    p.add_argument("--mode-from-server", action="store_true", help="take the cabinet kind from the catalogue")
    p.add_argument("--poll-interval", type=float, default=1.0, help="seconds between order polls (default 1)")
    p.add_argument(
        "--heartbeat-interval", type=float, default=30.0, help="seconds between heartbeats (default 30)"
    )
    sim = p.add_argument_group("simulated driver")
    sim.add_argument(
        "--sim-fail", action="append", default=[], metavar="SLOT[:ERROR]", help="make a slot fail"
    )
    sim.add_argument("--sim-door-seconds", type=float, help="the simulated shopper closes the door after N s")
    p.add_argument(
        "--help-phone",
        default=env.get("KIOSK_HELP_PHONE", ""),
        help="service phone shown on every screen (env KIOSK_HELP_PHONE)",
    )
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from parsed arguments."""
    return Settings(
        server=args.server,
        key_id=args.key_id,
        secret=args.secret,
        data_dir=args.data_dir or Path("var") / "kiosk" / args.key_id,
        port=args.port,
        host=args.host,
        driver=args.driver,
        serial_port=args.serial_port,
        mode=args.mode,
        mode_from_server=args.mode_from_server,
        poll_interval=args.poll_interval,
        heartbeat_interval=args.heartbeat_interval,
        help_phone=args.help_phone,
    )


def driver_from_args(args: argparse.Namespace) -> Driver:
    """The simulated or serial driver the arguments ask for."""
    if args.driver == "serial":
        return make_driver("serial", args.serial_port, address=args.board_address, slot_map=args.slot_map)
    options: dict[str, Any] = {}
    if args.sim_door_seconds is not None:
        options["door_seconds"] = args.sim_door_seconds
    driver = make_driver("simulated", **options)
    assert isinstance(driver, SimulatedDriver)
    for spec in args.sim_fail:
        slot, _, error = spec.partition(":")
        driver.fail_slot(slot, error or "motor_jam")
    return driver


def main(argv: list[str] | None = None) -> int:
    """Run until SIGTERM or Ctrl-C."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.key_id or not args.secret:
        parser.error("--key-id and --secret are required (or DONGXI_KIOSK_KEY_ID / DONGXI_KIOSK_SECRET)")
    if args.driver == "serial" and not args.serial_port:
        parser.error("--driver serial needs --serial-port")
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = settings_from_args(args)
    driver = driver_from_args(args)
    agent = Agent(settings, driver=driver)
    server = make_server(settings.host, settings.port, create_ui_app(agent), threaded=True)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    agent.start()
    print(
        f"dongxi-kiosk: touch screen http://{settings.host}:{server.server_port}/ "
        f"(server {settings.server}, driver {driver.name}, data {settings.data_dir})",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        log.info("stopping")
        agent.stop()
        driver.close()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
