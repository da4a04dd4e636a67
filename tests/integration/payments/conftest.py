"""Fixtures for the Stripe provider: a real localstripe per test worker, and the harness around it.

localstripe is required: if it cannot start, the tests fail with its log; they never skip.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from payments.providers.stripe_provider import StripeProvider
from tests.integration.payments.harness import CannedStripe, RecordingHTTPClient, WebhookReceiver

LAUNCHER = Path(__file__).with_name("localstripe_server.py")
SECRET_KEY = "sk_test_dongxi_localstripe"  # localstripe accepts any sk_ key; no real key is ever used
WEBHOOK_SECRET = "whsec_dongxi_test_secret"
START_TIMEOUT_SECONDS = 30
START_ATTEMPTS = 3


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_listening(proc: subprocess.Popen[bytes], port: int) -> bool:
    """Poll a connect until the port answers (True) or the process exits or time runs out (False)."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            pass
        try:  # a bounded wait between attempts that also notices an early exit
            proc.wait(timeout=0.05)
            return False
        except subprocess.TimeoutExpired:
            continue
    return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a localstripe started for this worker on 127.0.0.1."""
    log_path = tmp_path_factory.mktemp("localstripe") / "localstripe.log"
    for _attempt in range(START_ATTEMPTS):
        port = _free_port()  # another process may take it before localstripe binds: then retry
        with log_path.open("ab") as log:
            proc = subprocess.Popen(
                [sys.executable, str(LAUNCHER), "--port", str(port)], stdout=log, stderr=subprocess.STDOUT
            )
        if _wait_until_listening(proc, port):
            break
        _stop(proc)
    else:
        pytest.fail(f"localstripe did not start; its log:\n{log_path.read_text()[-4000:]}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def localstripe_webhooks(localstripe_url: str) -> Iterator[WebhookReceiver]:
    """A receiver registered with localstripe for payment_intent.succeeded, signed with WEBHOOK_SECRET."""
    receiver = WebhookReceiver()
    with receiver.running() as endpoint:
        # localstripe's own configuration endpoint (not part of Stripe's API).
        response = requests.post(
            f"{localstripe_url}/_config/webhooks/dongxi",
            json={"url": endpoint, "secret": WEBHOOK_SECRET, "events": ["payment_intent.succeeded"]},
            timeout=10,
        )
        response.raise_for_status()
        yield receiver


@pytest.fixture
def recorder() -> RecordingHTTPClient:
    """The stripe library's HTTP client, recording what it sends."""
    return RecordingHTTPClient()


@pytest.fixture
def provider(localstripe_url: str, recorder: RecordingHTTPClient) -> StripeProvider:
    """A StripeProvider talking to localstripe; no retries, so each call is one request."""
    return StripeProvider(
        secret_key=SECRET_KEY,
        webhook_secret=WEBHOOK_SECRET,
        api_base=localstripe_url,
        http_client=recorder,
        max_network_retries=0,
    )


@pytest.fixture
def canned() -> CannedStripe:
    return CannedStripe()


@pytest.fixture
def canned_provider(canned: CannedStripe, recorder: RecordingHTTPClient) -> Iterator[StripeProvider]:
    """A StripeProvider talking to the canned documented-shape server instead of localstripe."""
    with canned.running() as url:
        yield StripeProvider(
            secret_key=SECRET_KEY,
            webhook_secret=WEBHOOK_SECRET,
            api_base=url,
            http_client=recorder,
            max_network_retries=0,
        )
