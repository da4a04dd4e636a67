"""Signed HTTP client for the kiosk device protocol (docs/KIOSK_PROTOCOL.md)."""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import quote

import requests
from requests_http_signature import HTTPSignatureAuth, algorithms

API_PREFIX = "/api/v1/kiosk"
REPORT_PATHS = {"vend_results": "vend-results", "door_closed": "door-closed"}


class ServerUnreachable(Exception):
    """No usable answer: connection refused, timeout, or a 5xx. Worth trying again later."""


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

    def __init__(self, server: str, key_id: str, secret: str, timeout: float = 10.0) -> None:
        self.base_url = server.rstrip("/")
        self.auth = HTTPSignatureAuth(
            signature_algorithm=algorithms.HMAC_SHA256,
            key=secret.encode("utf-8"),
            key_id=key_id,
            use_nonce=True,
        )
        self.timeout = timeout
        self._local = threading.local()

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
        """Send one signed request; 2xx/304 return, 4xx raise ApiError, the rest ServerUnreachable."""
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
