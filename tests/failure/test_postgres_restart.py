"""PostgreSQL stopped and started again under load (a cluster of this test's own, never the shared
server): while it is down every request that needs it answers 503 with the JSON error body
(`database_unavailable`) — never a 500, a reset connection or a hang — and once it is back requests
succeed again, with no restart of dongxi (the same arbiter and workers). A purchase that met the
outage is retried with its Idempotency-Key until it is answered, and creates one order."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from core.db import make_engine
from tests.failure.conftest import DATABASE, Device, Seeded, server_env
from tests.failure.load import Answer, Load
from tests.failure.processes import Dongxi, PrivatePostgres, dongxi_server, wait_until

pytestmark = pytest.mark.failure

BOUND = 10.0  # no request may take longer than this, outage or not
KEY_TTL = 1


class Purchases:
    """A kiosk's shoppers, one request per call: start a vend session under an Idempotency-Key
    (the same key again after a 503, as the kiosk program retries), then cancel it (stock back).
    Every other request of a thread is a session, so the outage meets some."""

    def __init__(self, device: Device, slot: str) -> None:
        self.device, self.slot = device, slot
        self.key: str | None = None
        self.to_cancel: str | None = None
        self.orders: dict[str, set[str]] = defaultdict(set)  # key → the order ids its 201s named
        self.retried: set[str] = set()  # keys answered 503 at least once

    def send(self) -> requests.Response:
        if self.to_cancel is not None:
            # Tried once: an order whose cancel met the outage keeps its hold until it expires.
            order_id, self.to_cancel = self.to_cancel, None
            return self.device.request("POST", f"/orders/{order_id}/cancel")
        self.key = self.key or uuid.uuid4().hex
        response = self.device.start_session([{"slot": self.slot, "qty": 1}], self.key)
        if response.status_code == 201:
            self.orders[self.key].add(response.json()["order_id"])
            self.to_cancel, self.key = response.json()["order_id"], None
        elif response.status_code == 503:
            self.retried.add(self.key)
        return response


def wait_for_status(server: Dongxi, path: str, status: int) -> None:
    """Poll an unsigned GET until it answers `status` (a readiness probe, a public page)."""
    wait_until(lambda: _status(server, path) == status, f"GET {path} answers {status}")


def _status(server: Dongxi, path: str) -> int | None:
    try:
        return server.get(path, timeout=BOUND).status_code
    except requests.RequestException:
        return None


def _ok(answer: Answer) -> bool:
    return answer.status in (200, 201, 304)


def _unavailable(answer: Answer) -> bool:
    return answer.status == 503 and answer.code == "database_unavailable"


def test_postgresql_down_answers_503_json_and_dongxi_recovers_when_it_is_back(
    seeded: Seeded, postgres: PrivatePostgres, tmp_path: Path
) -> None:
    # Device keys cached for 1 s rather than 10: the outage outlasts the cache, so device requests
    # meet the database down in their key lookup as well as in their nonce and their work.
    env = server_env(postgres, DEVICE_KEY_TTL_SECONDS=str(KEY_TTL))
    with dongxi_server(env, tmp_path) as server:
        arbiter, workers = server.process.pid, sorted(server.workers())
        device = Device(server.base, seeded.key_id, seeded.secret, timeout=BOUND * 2)
        purchases = Purchases(device, device.stocked_slot())
        load = Load(
            {
                "heartbeat": device.heartbeat,
                "catalogue": lambda: device.request("GET", "/catalogue"),
                "purchase": purchases.send,
                "products": lambda: server.get("/api/v1/products?q=tudou", timeout=BOUND * 2),
                "shop": lambda: server.get("/shop", timeout=BOUND * 2),
            }
        ).start()
        try:
            begun = time.monotonic()
            wait_until(lambda: load.kinds_answered(begun, _ok, times=3), "every kind answered under load")

            postgres.stop("fast")
            down = time.monotonic()
            wait_until(
                lambda: (
                    load.kinds_answered(down, _unavailable, times=3)
                    and load.kinds_answered(down + KEY_TTL + 0.5, _unavailable)
                    and purchases.retried
                ),
                "503s while down, past the key cache, to a vend session among them",
            )
            wait_for_status(server, "/api/v1/regions", 503)
            wait_for_status(server, "/readyz", 503)  # not ready: the database does not answer
            assert _status(server, "/healthz") == 200  # liveness: the process itself is fine
            back_at = time.monotonic()
            postgres.start()
            back = time.monotonic()
            wait_until(lambda: load.kinds_answered(back, _ok, times=3), "every kind answered again")
            wait_for_status(server, "/api/v1/regions", 200)
            wait_for_status(server, "/readyz", 200)
            wait_until(lambda: purchases.retried <= set(purchases.orders), "the retried purchases answered")
        finally:
            load.stop()
        assert server.process.poll() is None and server.process.pid == arbiter
        assert sorted(server.workers()) == workers, "a worker died or was restarted"

    answers = load.all()
    wrong = [a for a in answers if a.failure or a.status not in (200, 201, 304, 409, 503)]
    assert not wrong, "\n".join(map(str, wrong[:20]))
    slow = [a for a in answers if a.took > BOUND]
    assert not slow, "\n".join(map(str, slow[:20]))
    unavailable = [a for a in answers if a.status == 503]
    assert all(a.code in ("database_unavailable", "busy") for a in unavailable), unavailable[:20]
    # While the server was down (stopped and not yet starting) nothing succeeded.
    during = load.between(down, back_at)
    assert during and all(_unavailable(a) for a in during), [str(a) for a in during if not _unavailable(a)]
    # The purchases that met the outage were answered once retried, each key with one order.
    assert purchases.retried, "no purchase met the outage"
    assert all(len(ids) == 1 for ids in purchases.orders.values()), purchases.orders
    assert purchases.retried <= set(purchases.orders)
    engine = make_engine(postgres.url(DATABASE))
    with engine.connect() as conn:
        by_key = dict(
            conn.execute(
                text(
                    "SELECT idempotency_key, count(*) FROM orders"
                    " WHERE idempotency_key = ANY(:keys) GROUP BY idempotency_key"
                ),
                {"keys": list(purchases.orders)},
            ).all()
        )
    engine.dispose()
    assert by_key == {key: 1 for key in purchases.orders}
