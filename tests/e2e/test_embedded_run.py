"""What `make run` does, end to end: migrate an empty SQLite file, load the demo, serve, answer."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import requests
from pypdf import PdfReader

from kiosk_api.demo import demo_password

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_listening(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Poll the port until the server accepts connections (bounded), failing if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listened on port {port} within {timeout}s")


@pytest.fixture
def embedded_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env["DONGXI_VAR_DIR"] = str(tmp_path / "var")
    return env


def dongxi(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(BIN / "dongxi"), *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_fresh_embedded_database_serves_the_demo_catalogue(embedded_env: dict[str, str]) -> None:
    dongxi("db", "upgrade", env=embedded_env)
    first = dongxi("demo", "load", env=embedded_env)
    again = dongxi("demo", "load", env=embedded_env)
    assert "products +40" in first and "products +0" in again
    assert re.search(r"statements \+[1-9]", first) and "history orders +0" in again

    # A signature nonce an hour old: the embedded server's own jobs prune it (every second here).
    database = sqlite3.connect(Path(embedded_env["DONGXI_VAR_DIR"]) / "dongxi.db")
    with database:
        database.execute(
            "INSERT INTO device_nonces (key_id, nonce, seen_at)"
            " VALUES ('k-e2e', 'old', datetime('now', '-1 hour'))"
        )
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "dongxi"), "serve", "--port", str(port)],
        env={**embedded_env, "DONGXI_JOB_NONCES_PRUNE": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_listening(port, server)
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/api/v1/products?q=tudou", timeout=10
        ) as response:
            body = json.load(response)
        assert "西吉马铃薯" in [item["name"]["zh"] for item in body["items"]]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            assert "西吉马铃薯" in response.read().decode()
        # Signed in, the pages still answer at once: the caller's lookup must not wait on the
        # write lock of the page's own SQLite session (it once hung for the 30 s busy timeout).
        browser = requests.Session()
        login = browser.get(f"http://127.0.0.1:{port}/login", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        signed_in = browser.post(
            f"http://127.0.0.1:{port}/login",
            timeout=10,
            data={"username": "demo-operator", "password": demo_password("operator"), "csrf_token": token},
        )
        assert signed_in.status_code == 200 and "demo-operator" not in signed_in.url
        for path in ("/", "/shop", "/console/"):
            page = browser.get(f"http://127.0.0.1:{port}{path}", timeout=10)
            assert page.status_code == 200, path
        # The demo's history: last month (the statements page's default) is issued, and the PDF's
        # verify address answers genuine.
        listing = browser.get(f"http://127.0.0.1:{port}/console/statements", timeout=10).text
        pdf_path = re.search(r'href="(/api/v1/statements/\d+\.pdf)"', listing).group(1)
        pdf = browser.get(f"http://127.0.0.1:{port}{pdf_path}", timeout=10)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        text = re.sub(r"\s", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages))
        digest = re.search(r"/verify/([0-9a-f]{64})", text).group(1)
        verdict = requests.get(f"http://127.0.0.1:{port}/verify/{digest}", timeout=10)
        assert verdict.status_code == 200 and "真实有效" in verdict.text
        deadline = time.monotonic() + 30  # the job runs every second; bounded all the same
        while (
            database.execute("SELECT count(*) FROM device_nonces").fetchone()[0]
            and time.monotonic() < deadline
        ):
            time.sleep(0.1)
        assert database.execute("SELECT count(*) FROM device_nonces").fetchone()[0] == 0, "no job ran"
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
        database.close()
    assert f"http://127.0.0.1:{port}/api/v1/products" in output
    assert "demo-operator" in output
    assert "jobs 后台任务" in output


def test_the_ports_of_make_run_come_from_the_environment(embedded_env: dict[str, str]) -> None:
    """DONGXI_PORT and DONGXI_KIOSK_PORTS move the server and the demo cabinets (5000 is taken on
    some desktops); the banner prints where they are."""
    dongxi("db", "upgrade", env=embedded_env)
    dongxi("demo", "load", env=embedded_env)
    port, first, second = free_port(), free_port(), free_port()
    env = {**embedded_env, "DONGXI_PORT": str(port), "DONGXI_KIOSK_PORTS": f"{first},{second}"}
    server = subprocess.Popen(
        [str(BIN / "dongxi"), "serve", "--kiosks", "--no-jobs"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for listening in (port, first, second):
            wait_until_listening(listening, server, timeout=60)
        with urllib.request.urlopen(f"http://127.0.0.1:{first}/", timeout=10) as response:
            assert response.status == 200  # the vend cabinet's touch screen
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    for url in (f"http://127.0.0.1:{port}/console/", f"http://127.0.0.1:{port}/restock/"):
        assert url in output
    assert f"http://127.0.0.1:{first}/" in output and f"http://127.0.0.1:{second}/" in output


@pytest.mark.parametrize("ports", ["8201", "8201,x", "8201,8201"])
def test_kiosk_ports_that_are_not_two_distinct_ports_are_refused(embedded_env, ports: str) -> None:
    result = subprocess.run(
        [str(BIN / "dongxi"), "serve", "--kiosks"],
        env={**embedded_env, "DONGXI_KIOSK_PORTS": ports},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "DONGXI_KIOSK_PORTS" in result.stderr
