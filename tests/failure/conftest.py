"""Fixtures of the failure tests: private PostgreSQL clusters and Redis servers, a migrated database
with the demo data and a provisioned kiosk, dongxi under gunicorn, and a signed kiosk client that
returns every answer as it came (status and body), 5xx included.

Every module here sets `pytestmark = pytest.mark.failure`: `-m "not failure"` leaves them out
locally; `make test` (and so CI) runs them.
A missing initdb fails under REQUIRE_POSTGRES=1 and a missing redis-server under REQUIRE_REDIS=1,
as CI sets both; elsewhere they skip with the reason."""

from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from requests_http_signature import HTTPSignatureAuth, algorithms

from core.clock import SystemClock
from core.db import Database, make_engine
from kiosk_api import migrate
from kiosk_api.demo import load_demo
from kiosk_api.kiosks import service as kiosks
from tests.failure.processes import PrivatePostgres, PrivateRedis, postgres_bindir, wait_until

SECRET_KEY = "failure-tests-secret-key-not-for-production"
KIOSK = "FZ-0001"  # the demo's vend cabinet


def _missing(what: str, required_by: str) -> None:
    if os.environ.get(required_by) == "1":
        pytest.fail(f"{required_by}=1 but {what}")
    pytest.skip(what)


def _bindir() -> Path:
    bindir = postgres_bindir()
    if bindir is None or not (bindir / "initdb").exists():
        _missing("no PostgreSQL server binaries (initdb) found; set TEST_POSTGRES_BINDIR", "REQUIRE_POSTGRES")
    assert bindir is not None
    return bindir


def make_redis() -> PrivateRedis:
    """Start a redis-server of the caller's own (skip, or fail under REQUIRE_REDIS=1, without one)."""
    binary = shutil.which("redis-server")
    if binary is None:
        _missing("no redis-server on PATH", "REQUIRE_REDIS")
    assert binary is not None
    server = PrivateRedis(binary)
    server.start()
    return server


@dataclass(frozen=True)
class Seeded:
    """A stopped cluster holding database `dongxi`: migrated, with the demo data and FZ-0001's key."""

    cluster: PrivatePostgres
    key_id: str
    secret: str


DATABASE = "dongxi"


@pytest.fixture(scope="session")
def seeded() -> Iterator[Seeded]:
    """initdb, migrate and seed once per test process; each test starts a copy of it (`postgres`)."""
    cluster = PrivatePostgres(_bindir())
    cluster.start()
    try:
        with cluster.connect(autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        url = cluster.url(DATABASE)
        migrate.upgrade(url)
        db = Database(make_engine(url))
        clock = SystemClock()
        with db.unit_of_work() as session:
            load_demo(session, clock)
            keys = kiosks.provision(session, clock, KIOSK, secret_key=SECRET_KEY)
        db.engine.dispose()
        cluster.stop()
        yield Seeded(cluster, keys["key_id"], keys["secret"])
    finally:
        cluster.destroy()


def start_copy(seeded: Seeded) -> PrivatePostgres:
    """A running cluster of the caller's own: a copy of the seeded one, on a port of its own."""
    cluster = PrivatePostgres(seeded.cluster.bindir, copy_of=seeded.cluster)
    cluster.start()
    return cluster


def server_env(cluster: PrivatePostgres, **extra: str) -> dict[str, str]:
    """The environment dongxi runs with in these tests: the cluster's seeded database, the simulated
    provider, and the nonces in the database unless REDIS_URL is given."""
    return {"DATABASE_URL": cluster.url(DATABASE), "SECRET_KEY": SECRET_KEY, "REDIS_URL": "", **extra}


@pytest.fixture
def postgres(seeded: Seeded) -> Iterator[PrivatePostgres]:
    """A private PostgreSQL cluster for this test alone, holding the seeded database."""
    cluster = start_copy(seeded)
    yield cluster
    cluster.destroy()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    """A private redis-server for this test alone."""
    server = make_redis()
    yield server
    server.destroy()


class Device:
    """A kiosk signing each request as KIOSK_PROTOCOL.md says (requests-http-signature, as the kiosk
    program does), one keep-alive connection per thread, every answer returned as it came."""

    def __init__(self, base: str, key_id: str, secret: str, timeout: float = 15.0) -> None:
        self.base = base
        self.timeout = timeout
        self.auth = HTTPSignatureAuth(
            signature_algorithm=algorithms.HMAC_SHA256, key=secret.encode(), key_id=key_id, use_nonce=True
        )
        self._local = threading.local()

    def _http(self) -> requests.Session:
        if getattr(self._local, "http", None) is None:
            self._local.http = requests.Session()
        return self._local.http

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> requests.Response:
        all_headers = {"Accept": "application/json", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        return self._http().request(
            method,
            f"{self.base}/api/v1/kiosk{path}",
            data=data,
            headers=all_headers,
            auth=self.auth,
            timeout=self.timeout,
        )

    def heartbeat(self) -> requests.Response:
        return self.request("POST", "/heartbeat", {"door": "closed", "temperature_c": 4.5, "errors": []})

    def stocked_slot(self, at_least: int = 3) -> str:
        """A slot of the kiosk with at least this many units available."""
        body = self.request("GET", "/catalogue").json()
        return next(s["slot"] for s in body["slots"] if s["available"] >= at_least)

    def start_session(self, lines: list[dict[str, Any]], key: str) -> requests.Response:
        return self.request("POST", "/sessions", {"lines": lines}, {"Idempotency-Key": key})

    def pay(self, qr_payload: str) -> requests.Response:
        """Pay through the simulated provider, from the link the kiosk's QR code shows."""
        token = qr_payload.rstrip("/").rsplit("/", 1)[-1]
        return self._http().post(f"{self.base}/api/v1/pay/{token}/simulate", timeout=self.timeout)

    def paid_order(self, slot: str, qty: int = 2) -> dict[str, Any]:
        """An order of `qty` units of `slot`, paid; its session answer."""
        started = self.start_session([{"slot": slot, "qty": qty}], f"paid-{uuid.uuid4().hex}")
        assert started.status_code == 201, started.text
        body = started.json()
        assert self.pay(body["payment"]["qr_payload"]).status_code == 200
        wait_until(
            lambda: self.request("GET", f"/orders/{body['order_id']}").json()["status"] == "paid",
            f"order {body['order_id']} paid",
        )
        return body
