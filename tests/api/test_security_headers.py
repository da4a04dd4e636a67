"""Every answer carries the security headers (issue 13): CSP with frame-ancestors, nosniff,
Referrer-Policy; signed-in answers are not stored; session cookies are Secure behind TLS; and the
embedded server names no versions."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from kiosk_api import create_app
from kiosk_api.demo import demo_password
from tests.api.test_login import csrf_from


def test_pages_and_api_answers_carry_the_headers(client) -> None:
    for path in ("/", "/login", "/api/v1/products", "/healthz"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, path
        assert "default-src 'self'" in csp and "'unsafe-inline'" not in csp, path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["X-Frame-Options"] == "DENY", path
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path


def test_an_inline_script_runs_only_with_the_request_nonce(client) -> None:
    csp = client.get("/").headers["Content-Security-Policy"]
    assert re.search(r"script-src [^;]*'nonce-[A-Za-z0-9_\-+/=]+'", csp), csp


def test_signed_in_answers_are_not_stored_and_anonymous_ones_may_be(client, auth) -> None:
    assert client.get("/api/v1/alerts", headers=auth("operator")).headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/api/v1/products").headers.get("Cache-Control", "")


def _session_cookie(app, scheme: str = "http", forwarded_proto: str | None = None) -> str:
    """Sign in as the demo operator and return the Set-Cookie of the signed-in answer."""
    client = app.test_client()
    base_url = f"{scheme}://localhost"
    headers = {"X-Forwarded-Proto": forwarded_proto} if forwarded_proto else {}
    token = csrf_from(client.get("/login", base_url=base_url, headers=headers).data)
    answer = client.post(
        "/login",
        data={"username": "demo-operator", "password": demo_password("operator"), "csrf_token": token},
        base_url=base_url,
        headers={**headers, "Referer": f"{forwarded_proto or scheme}://localhost/login"},  # Flask-WTF: https
    )
    assert answer.status_code == 302
    return "; ".join(answer.headers.getlist("Set-Cookie"))


def test_session_cookie_is_secure_over_https_and_in_production(db, clock) -> None:
    config = {"DATABASE": db, "CLOCK": clock, "TESTING": True, "SECRET_KEY": "test-secret"}
    development = create_app(config)
    assert "Secure" not in _session_cookie(development)
    assert "Secure" in _session_cookie(development, "https")
    # Behind a TLS-terminating proxy: its X-Forwarded-Proto is believed only where configured.
    assert "Secure" not in _session_cookie(development, forwarded_proto="https")
    proxied = create_app({**config, "DONGXI_PROXY_FIX": 1})
    assert "Secure" in _session_cookie(proxied, forwarded_proto="https")
    assert "Secure" in _session_cookie(create_app({**config, "DONGXI_ENV": "production"}))


def test_strict_transport_security_only_over_https(client) -> None:
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    secure = client.get("/healthz", base_url="https://localhost").headers
    assert "max-age=" in secure["Strict-Transport-Security"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_embedded_server_names_no_versions(tmp_path) -> None:
    port = _free_port()
    env = {"DONGXI_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    dongxi = str(Path(sys.executable).with_name("dongxi"))
    subprocess.run([dongxi, "db", "upgrade"], env=env, check=True, timeout=120, capture_output=True)
    server = subprocess.Popen(
        [dongxi, "serve", "--port", str(port), "--no-jobs"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)  # polling the port until the server listens
        assert answer.headers["Server"] == "dongxi"
    finally:
        server.terminate()
        server.wait(timeout=30)
