"""A real dongxi server and real kiosk programs on localhost, driven in headless Chromium.

The stack is started once per module: a migrated SQLite file with the demo data, `dongxi serve`,
and `dongxi-kiosk` for the vend cabinet FZ-0001 and the open-door cabinet FZ-0002 with the
simulated driver. Chromium is Debian's (/usr/bin/chromium), driven by Playwright.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from core.clock import SystemClock
from core.db import Database, make_engine
from kiosk_api import migrate
from kiosk_api.demo import load_demo
from kiosk_api.demo_kiosks import DEMO_HELP_PHONE
from kiosk_api.kiosks import service as kiosks

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "kiosk"
BIN = Path(sys.executable).parent
SECRET_KEY = "browser-test-secret-key"


def require_browser() -> None:
    """Skip without Chromium, unless REQUIRE_BROWSER=1 (CI), where it fails."""
    if Path(CHROMIUM).exists():
        return
    reason = f"Chromium not found at {CHROMIUM} (Debian package chromium; scripts/install-system-packages.sh)"
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_listening(port: int, process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Poll until the port accepts connections (bounded); fail if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args[0]} exited early with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listened on {port} within {timeout}s")


@dataclass
class Stack:
    server: str
    database_url: str
    kiosk_urls: dict[str, str]
    processes: list[subprocess.Popen] = field(default_factory=list)

    def db(self) -> Database:
        return Database(make_engine(self.database_url))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_browser()
    var = tmp_path_factory.mktemp("var")
    url = f"sqlite:///{var / 'dongxi.db'}"
    migrate.upgrade(url)
    db = Database(make_engine(url))
    clock = SystemClock()
    with db.unit_of_work() as session:
        load_demo(session, clock)
        keys = {
            code: kiosks.provision(session, clock, code, secret_key=SECRET_KEY)
            for code in ("FZ-0001", "FZ-0002")
        }
    db.engine.dispose()
    port = free_port()
    server = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DONGXI_VAR_DIR": str(var),
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET_KEY,
        "PUBLIC_BASE_URL": server,
    }
    logs = ARTIFACTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    processes = [
        subprocess.Popen(
            [str(BIN / "dongxi"), "serve", "--port", str(port)],
            env=env,
            stdout=(logs / "server.log").open("w"),
            stderr=subprocess.STDOUT,
        )
    ]
    kiosk_urls = {}
    try:
        wait_until_listening(port, processes[0])
        for code, key in keys.items():
            kiosk_port = free_port()
            processes.append(
                subprocess.Popen(
                    [
                        str(BIN / "dongxi-kiosk"),
                        "--server",
                        server,
                        "--port",
                        str(kiosk_port),
                        "--data-dir",
                        str(var / "kiosks" / code),
                        "--mode-from-server",
                        "--poll-interval",
                        "0.3",
                        "--heartbeat-interval",
                        "5",
                    ],
                    # The key in the environment, as make run passes it: a secret may begin with "-".
                    env={
                        **env,
                        "DONGXI_KIOSK_KEY_ID": key["key_id"],
                        "DONGXI_KIOSK_SECRET": key["secret"],
                        "KIOSK_HELP_PHONE": DEMO_HELP_PHONE,
                    },
                    stdout=(logs / f"kiosk-{code}.log").open("w"),
                    stderr=subprocess.STDOUT,
                )
            )
            wait_until_listening(kiosk_port, processes[-1])
            kiosk_urls[code] = f"http://127.0.0.1:{kiosk_port}"
        yield Stack(server=server, database_url=url, kiosk_urls=kiosk_urls, processes=processes)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="module")
def browser(stack: Stack):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Save a screenshot as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
