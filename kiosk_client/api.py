"""Signed HTTP client for the kiosk device protocol (docs/KIOSK_PROTOCOL.md)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import requests
from requests_http_signature import HTTPSignatureAuth, algorithms

API_PREFIX = "/api/v1/kiosk"
REPORT_PATHS = {"vend_results": "vend-results", "door_closed": "door-closed"}
# Answers that say "the server is there but busy": 429 (this kiosk's rate limit) and 503.
BUSY_STATUSES = frozenset({429, 503})
# The longest Retry-After believed: a wrong header must not silence a cabinet for a day.
RETRY_AFTER_MAX = 3600.0


class ServerUnreachable(Exception):
    """No usable answer: connection refused, timeout, or a 5xx. Worth trying again later.

    `retry_after`: the seconds the server asked us to wait first (Retry-After), if it said."""

    def __init__(self, message: str = "", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerBusy(ServerUnreachable):
    """429 or 503: the server answered but asks the kiosk to come back later (Retry-After)."""


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), capped; None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    return min(max(seconds, 0.0), RETRY_AFTER_MAX)


class ApiError(Exception):
    """The server answered 4xx with the protocol's error body."""

    def __init__(self, status: int, code: str, message: str = "", fields: dict[str, Any] | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}

    @classmethod
    def from_response(cls, response: requests.Response) -> ApiError:
        """Read the {"error": {...}} body, tolerating a body that is not JSON."""
        try:
            body = response.json()
        except ValueError:
            body = {}
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            error = {}
        return cls(
            response.status_code,
            str(error.get("code", f"http_{response.status_code}")),
            str(error.get("message", response.reason or "")),
            error.get("fields") or {},
        )


class KioskApi:
    """One method per protocol endpoint; every request is signed with RFC 9421 HMAC-SHA256."""

    def __init__(
        self,
        server: str,
        key_id: str,
        secret: str,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = server.rstrip("/")
        self.auth = HTTPSignatureAuth(
            signature_algorithm=algorithms.HMAC_SHA256,
            key=secret.encode("utf-8"),
            key_id=key_id,
            use_nonce=True,
        )
        self.timeout = timeout
        self.clock = clock
        # Until when (self.clock) the server asked this kiosk to send nothing (Retry-After): its
        # limit counts every device request of the kiosk together, so it holds for every endpoint.
        self.quiet_until = 0.0
        self._local = threading.local()

    def busy_for(self) -> float:
        """Seconds left of the last Retry-After (0 if none): no request is sent before then."""
        return max(0.0, self.quiet_until - self.clock())

    def _session(self) -> requests.Session:
        # One session per thread: requests.Session is not documented as thread-safe.
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.auth = self.auth
            session.headers["User-Agent"] = "dongxi-kiosk"
            self._local.session = session
        return session

    def url(self, path: str) -> str:
        """The absolute URL of a device endpoint."""
        return f"{self.base_url}{API_PREFIX}{path}"

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """Send one signed request; 2xx/304 return, 4xx raise ApiError, the rest ServerUnreachable.

        429 and 503 raise ServerBusy; with a Retry-After, every request until then raises ServerBusy
        at once, unsent."""
        wait = self.busy_for()
        if wait > 0:
            raise ServerBusy(f"{method} {path}: not sent, the server asked to wait {wait:.0f}s more", wait)
        all_headers = {"Accept": "application/json", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        try:
            response = self._session().request(
                method,
                self.url(path),
                data=data,
                headers=all_headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise ServerUnreachable(f"{method} {path}: {exc.__class__.__name__}") from exc
        if response.status_code in BUSY_STATUSES:
            retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            if retry_after:
                self.quiet_until = max(self.quiet_until, self.clock() + retry_after)
            error = ApiError.from_response(response)
            raise ServerBusy(f"{method} {path}: HTTP {response.status_code} {error.code}", retry_after)
        if response.status_code >= 500 or (300 <= response.status_code < 400 and response.status_code != 304):
            raise ServerUnreachable(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise ApiError.from_response(response)
        return response

    @staticmethod
    def _json(response: requests.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError as exc:
            raise ServerUnreachable(f"HTTP {response.status_code} without a JSON body") from exc
        if not isinstance(body, dict):
            raise ServerUnreachable(f"HTTP {response.status_code} with a JSON body that is not an object")
        return body

    def get_catalogue(self, etag: str | None) -> tuple[dict[str, Any] | None, str | None]:
        """GET /catalogue with If-None-Match; (None, etag) means 304 Not Modified."""
        headers = {"If-None-Match": etag} if etag else {}
        response = self.request("GET", "/catalogue", headers=headers)
        if response.status_code == 304:
            return None, etag
        return self._json(response), response.headers.get("ETag")

    def heartbeat(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /heartbeat."""
        return self._json(self.request("POST", "/heartbeat", body))

    def create_session(self, lines: list[dict[str, Any]], idempotency_key: str) -> dict[str, Any]:
        """POST /sessions (vend); the same Idempotency-Key returns the first answer."""
        return self._json(
            self.request("POST", "/sessions", {"lines": lines}, {"Idempotency-Key": idempotency_key})
        )

    def create_door_session(self) -> dict[str, Any]:
        """POST /door-sessions (open-door)."""
        return self._json(self.request("POST", "/door-sessions", {}))

    def get_order(self, order_id: str) -> dict[str, Any]:
        """GET /orders/{id}."""
        return self._json(self.request("GET", f"/orders/{quote(order_id, safe='')}"))

    def cancel_order(self, order_id: str) -> dict[str, Any]:
        """POST /orders/{id}/cancel (409 once paid or authorized)."""
        return self._json(self.request("POST", f"/orders/{quote(order_id, safe='')}/cancel"))

    def post_report(self, kind: str, order_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST /orders/{id}/vend-results or /door-closed; the body carries its report_id."""
        return self._json(
            self.request("POST", f"/orders/{quote(order_id, safe='')}/{REPORT_PATHS[kind]}", body)
        )
