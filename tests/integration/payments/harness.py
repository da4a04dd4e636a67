"""Test harness for the Stripe provider: a recording HTTP client and two small local HTTP servers."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe


@dataclass(frozen=True)
class SentRequest:
    """One request the stripe library sent."""

    method: str
    path: str
    headers: Mapping[str, str]
    form: Mapping[str, str]  # the form-encoded body, flattened as Stripe encodes it: a[b][0]=c

    def header(self, name: str) -> str | None:
        """Return a header whatever the case of its name."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


def _form(body: Any) -> dict[str, str]:
    if not body:
        return {}
    text = body.decode() if isinstance(body, bytes) else str(body)
    return dict(parse_qsl(text, keep_blank_values=True))


class RecordingHTTPClient(stripe.RequestsClient):
    """The library's own requests client, keeping a copy of every request it sends.

    localstripe ignores Idempotency-Key, so the tests read the keys here, on the way out.
    """

    def __init__(self) -> None:
        super().__init__(timeout=10)
        self.sent: list[SentRequest] = []

    def request(self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None) -> Any:
        parts = urlsplit(url)
        form = _form(post_data) if method.lower() == "post" else dict(parse_qsl(parts.query))
        self.sent.append(SentRequest(method.upper(), parts.path, dict(headers or {}), form))
        return super().request(method, url, headers, post_data)


@dataclass
class Exchange:
    """A request received by a local server and the response it was given."""

    request: SentRequest
    status: int
    body: Mapping[str, Any]


class _Server(ThreadingHTTPServer):
    daemon_threads = True


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve handler on a free port of 127.0.0.1 in a thread; yield the base URL, then shut down."""
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="test-http-server", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class CannedStripe:
    """A stand-in for api.stripe.com that answers each request with the next queued response.

    Used only where localstripe lacks the feature (WeChat Pay, Alipay, a decline that carries its
    PaymentIntent): the tests queue response bodies in the shape Stripe's API reference documents.
    """

    def __init__(self) -> None:
        self._responses: queue.Queue[tuple[int, dict[str, Any]]] = queue.Queue()
        self.exchanges: list[Exchange] = []

    def respond_with(self, body: dict[str, Any], status: int = 200) -> None:
        """Queue the response to the next request."""
        self._responses.put((status, body))

    @contextmanager
    def running(self) -> Iterator[str]:
        """Serve until the block ends; yield the base URL."""
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self._answer()

            def do_GET(self) -> None:
                self._answer()

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                form = _form(body) if self.command == "POST" else dict(parse_qsl(parts.query))
                sent = SentRequest(self.command, parts.path, dict(self.headers.items()), form)
                try:
                    status, payload = canned._responses.get_nowait()
                except queue.Empty:
                    status, payload = 500, {"error": {"type": "api_error", "message": "no canned response"}}
                canned.exchanges.append(Exchange(sent, status, payload))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        with serving(Handler) as url:
            yield url


class WebhookReceiver:
    """An HTTP endpoint that queues each webhook delivery (body and headers) for a test to take."""

    def __init__(self) -> None:
        self.deliveries: queue.Queue[tuple[bytes, dict[str, str]]] = queue.Queue()

    @contextmanager
    def running(self) -> Iterator[str]:
        """Serve until the block ends; yield the endpoint's URL."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.deliveries.put((body, dict(self.headers.items())))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        with serving(Handler) as url:
            yield f"{url}/webhooks/stripe"

    def wait_for(self, predicate: Callable[[Any], bool], timeout: float = 15) -> tuple[bytes, dict[str, str]]:
        """Return the first delivery whose parsed JSON body satisfies predicate; fail after timeout."""
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                body, headers = self.deliveries.get(timeout=remaining)
            except queue.Empty:
                break
            if predicate(json.loads(body)):
                return body, headers
        raise AssertionError(f"no matching webhook delivered within {timeout} s")
