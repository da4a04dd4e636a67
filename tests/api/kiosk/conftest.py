"""A signed kiosk client for the Flask test client: requests are signed by requests-http-signature,
exactly as a cabinet built against KIOSK_PROTOCOL.md signs them."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import pytest
import requests
from requests_http_signature import HTTPSignatureAuth, algorithms

from kiosk_api.kiosks import service as kiosks

SECRET_KEY = "test-secret"  # the app fixture's SECRET_KEY, which encrypts device secrets


class ClockedSignatureAuth(HTTPSignatureAuth):
    """The protocol's client, with `created` read from the tests' clock instead of the wall clock."""

    def __init__(self, *, clock: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clock = clock

    def get_created(self, request: requests.PreparedRequest) -> Any:
        return self.clock.now()


class SignedKiosk:
    """Signs each request with the kiosk's key and sends it through the Flask test client."""

    def __init__(self, client: Any, clock: Any, key_id: str, secret: str) -> None:
        self.client = client
        self.clock = clock
        self.key_id = key_id
        self.secret = secret.encode()

    def signed(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        key: bytes | None = None,
        key_id: str | None = None,
    ) -> requests.PreparedRequest:
        data = None if body is None else json.dumps(body).encode()
        all_headers = (
            {"Content-Type": "application/json", **(headers or {})}
            if data is not None
            else dict(headers or {})
        )
        prepared = requests.Request(
            method, f"http://localhost{path}", data=data, headers=all_headers
        ).prepare()
        auth = ClockedSignatureAuth(
            clock=self.clock,
            signature_algorithm=algorithms.HMAC_SHA256,
            key=key or self.secret,
            key_id=key_id or self.key_id,
            use_nonce=True,
        )
        return auth(prepared)

    def send(self, prepared: requests.PreparedRequest) -> Any:
        path = prepared.url.removeprefix("http://localhost")
        return self.client.open(
            path, method=prepared.method, data=prepared.body or b"", headers=dict(prepared.headers)
        )

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.send(self.signed("GET", f"/api/v1/kiosk{path}", **kwargs))

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.send(self.signed("POST", f"/api/v1/kiosk{path}", {} if body is None else body, **kwargs))


@pytest.fixture
def provision(client, session, clock):  # type: ignore[no-untyped-def]
    """provision("FZ-0001") → a SignedKiosk for that demo cabinet."""

    def make(code: str) -> SignedKiosk:
        keys = kiosks.provision(session, clock, code, secret_key=SECRET_KEY)
        session.commit()  # into the test's savepoint, visible to the app's sessions
        return SignedKiosk(client, clock, keys["key_id"], keys["secret"])

    return make


@pytest.fixture
def vend_kiosk(provision) -> SignedKiosk:  # type: ignore[no-untyped-def]
    return provision("FZ-0001")


@pytest.fixture
def door_kiosk(provision) -> SignedKiosk:  # type: ignore[no-untyped-def]
    return provision("FZ-0002")


def stocked_slots(kiosk: SignedKiosk, at_least: int = 2) -> list[dict[str, Any]]:
    """The kiosk's slots that hold at least this many units, from its own catalogue."""
    body = kiosk.get("/catalogue").get_json()
    return [s for s in body["slots"] if s["available"] >= at_least]


def pay(client, qr_payload: str) -> Any:  # type: ignore[no-untyped-def]
    """Pay (or authorize) through the simulated provider, from the link the kiosk's QR code holds."""
    token = qr_payload.rstrip("/").rsplit("/", 1)[-1]
    return client.post(f"/api/v1/pay/{token}/simulate")


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def require_redis() -> None:
    """Skip (or, under REQUIRE_REDIS=1, fail) when no Redis answers at TEST_REDIS_URL."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"REQUIRE_REDIS=1 but Redis is not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc.__class__.__name__}")


def redis_app_for(db, clock, url: str = REDIS_URL, **config: Any):  # type: ignore[no-untyped-def]
    """The tests' app with the device nonces (and the rate limits) in the Redis at `url`."""
    from kiosk_api import create_app

    return create_app(
        {
            "DATABASE": db,
            "CLOCK": clock,
            "TESTING": True,
            "SECRET_KEY": SECRET_KEY,
            "REDIS_URL": url,
            # Counts of its own: tests (and xdist workers, and other runs) share the Redis database.
            "RATELIMIT_KEY_PREFIX": f"dongxi-test-{uuid.uuid4().hex}",
            **config,
        }
    )


@pytest.fixture
def redis_app(db, clock):  # type: ignore[no-untyped-def]
    """The app as production runs it: the device nonces in Redis (REDIS_URL)."""
    require_redis()
    return redis_app_for(db, clock)


@pytest.fixture
def redis_kiosk(redis_app, session, clock) -> SignedKiosk:  # type: ignore[no-untyped-def]
    """The demo vend cabinet FZ-0001, talking to the app whose nonces are in Redis."""
    keys = kiosks.provision(session, clock, "FZ-0001", secret_key=SECRET_KEY)
    session.commit()
    return SignedKiosk(redis_app.test_client(), clock, keys["key_id"], keys["secret"])
