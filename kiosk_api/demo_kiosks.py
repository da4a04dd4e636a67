"""`make run`'s demo cabinets: device keys kept in var/ and one kiosk program per cabinet.

Demo only. A real cabinet receives its key once from `dongxi kiosks provision` and keeps it; here
the keys are stored under var/ (mode 0600) so that restarting `make run` reuses them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from core.clock import Clock
from core.db import Database
from core.errors import NotFound
from kiosk_api.kiosks import service as kiosks

DEMO_KIOSKS = (("FZ-0001", 8101, "vend"), ("FZ-0002", 8102, "open_door"))
KIOSK_PORTS_VARIABLE = "DONGXI_KIOSK_PORTS"
DEMO_HELP_PHONE = "0591-0000000"  # the screen marks it 演示号码 (simulated cabinet)


def demo_kiosk_ports(value: str | None, *, server_port: int) -> dict[str, int]:
    """The demo cabinets' ports: DONGXI_KIOSK_PORTS="8201,8202" (one per cabinet, in order), else
    8101 and 8102. Refused with a sentence naming the variable when they are not distinct ports."""
    if not value:
        ports = [port for _code, port, _mode in DEMO_KIOSKS]
    else:
        parts = [p.strip() for p in value.split(",")]
        if len(parts) != len(DEMO_KIOSKS) or not all(p.isdigit() and 0 < int(p) < 65536 for p in parts):
            raise ValueError(
                f"{KIOSK_PORTS_VARIABLE} is {len(DEMO_KIOSKS)} ports separated by a comma, such as 8101,8102"
            )
        ports = [int(p) for p in parts]
    if len(set(ports)) != len(ports) or server_port in ports:
        raise ValueError(
            f"{KIOSK_PORTS_VARIABLE}: the kiosks' ports must differ from each other and from the server's"
        )
    return {code: port for (code, _port, _mode), port in zip(DEMO_KIOSKS, ports, strict=True)}


def ensure_demo_keys(db: Database, clock: Clock, *, secret_key: str, path: Path) -> dict[str, dict[str, str]]:
    """Return a working key for each demo cabinet, provisioning or rotating where needed."""
    saved: dict[str, dict[str, str]] = json.loads(path.read_text()) if path.exists() else {}
    keys: dict[str, dict[str, str]] = {}
    with db.unit_of_work() as session:
        for code, _port, _mode in DEMO_KIOSKS:
            try:
                device = kiosks.device_of(session, code)
            except NotFound as missing:
                if missing.code == "kiosk_not_found":
                    continue  # no demo inventory loaded
                keys[code] = kiosks.provision(session, clock, code, secret_key=secret_key)
                continue
            known = saved.get(code)
            usable = (
                known
                and known["key_id"] == device.key_id
                and device.status == "active"
                and kiosks.secret_of(device, secret_key=secret_key) == known["secret"].encode()
            )
            keys[code] = known if usable else kiosks.rotate(session, clock, code, secret_key=secret_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(keys, indent=2))
    path.chmod(0o600)
    return keys


def start_kiosk_programs(
    keys: dict[str, dict[str, str]], *, server: str, var_dir: Path, ports: dict[str, int]
) -> list[tuple[str, str, subprocess.Popen]]:
    """Start `dongxi-kiosk` for each demo cabinet with the simulated driver; return (code, url, process)."""
    started = []
    for code, _default_port, mode in DEMO_KIOSKS:
        if code not in keys:
            continue
        port = ports[code]
        command = [
            str(Path(sys.executable).with_name("dongxi-kiosk")),
            "--server",
            server,
            "--port",
            str(port),
            "--data-dir",
            str(var_dir / "kiosks" / code),
            "--mode",
            mode,
            "--mode-from-server",
            "--heartbeat-interval",
            "30",
            "--sim-door-seconds",
            "8",
        ]
        # The key travels in the environment: not in the process list, and a secret that begins
        # with "-" is not mistaken for an option.
        env = {
            **os.environ,
            "DONGXI_KIOSK_KEY_ID": keys[code]["key_id"],
            "DONGXI_KIOSK_SECRET": keys[code]["secret"],
            # A demo number, marked as one: a real cabinet is given its operator's service line.
            "KIOSK_HELP_PHONE": os.environ.get("KIOSK_HELP_PHONE", DEMO_HELP_PHONE),
        }
        started.append((code, f"http://127.0.0.1:{port}/", subprocess.Popen(command, env=env)))
    return started
