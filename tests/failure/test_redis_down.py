"""Redis killed under load (a redis-server of this test's own, REDIS_URL pointing at it): the chosen
behaviour is that device requests, whose signature nonces Redis keeps, are refused with 503 and
the JSON error body (`replay_check_unavailable`) — never let through unchecked, and the kiosks
retry with a fresh signature — while everything that does not need Redis (the public API, the
shop's pages) goes on working. Once Redis is back, device requests succeed again with no restart of
dongxi.

The rate limits count in the same Redis: while it is away each worker counts in its own memory
(flask-limiter's fallback, logged), so the limited pay page goes on answering as before — here a
link that does not exist, 404 — and never with an error of the limiter's."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.failure.conftest import Device, Seeded, server_env
from tests.failure.load import Answer, Load
from tests.failure.processes import PrivatePostgres, PrivateRedis, dongxi_server, wait_until

pytestmark = pytest.mark.failure

DEVICE = ("heartbeat", "catalogue")  # signed requests: their nonce goes to Redis
BOUND = 10.0


def _ok(answer: Answer) -> bool:
    if answer.kind == "pay":  # the pay page's limited state, for a link that does not exist
        return answer.status == 404
    return answer.status in (200, 304)


def _refused(answer: Answer) -> bool:
    return answer.status == 503 and answer.code == "replay_check_unavailable"


def _as_chosen_while_down(answer: Answer) -> bool:
    return _refused(answer) if answer.kind in DEVICE else _ok(answer)


def test_redis_down_refuses_device_requests_with_503_json_and_they_recover_when_it_is_back(
    seeded: Seeded, postgres: PrivatePostgres, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    with dongxi_server(server_env(postgres, REDIS_URL=private_redis.url), tmp_path) as server:
        arbiter, workers = server.process.pid, sorted(server.workers())
        device = Device(server.base, seeded.key_id, seeded.secret, timeout=BOUND * 2)
        load = Load(
            {
                "heartbeat": device.heartbeat,
                "catalogue": lambda: device.request("GET", "/catalogue"),
                "products": lambda: server.get("/api/v1/products?q=tudou", timeout=BOUND * 2),
                "shop": lambda: server.get("/shop", timeout=BOUND * 2),
                # The pay page's state (JSON, limited as the page is): the page itself answers a
                # person, a 404 page saying the link is unknown.
                "pay": lambda: server.get("/pay/no-such-link/state", timeout=BOUND * 2),
            }
        ).start()
        try:
            begun = time.monotonic()
            wait_until(lambda: load.kinds_answered(begun, _ok, times=3), "every kind answered under load")

            private_redis.kill()
            down = time.monotonic()
            wait_until(
                lambda: load.kinds_answered(down, _as_chosen_while_down, times=3),
                "device requests refused and the rest served while Redis is down",
            )
            wait_until(
                lambda: "falling back to in-memory storage" in server.log.read_text(errors="replace"),
                "the limiter says it counts in memory",
            )
            back_at = time.monotonic()
            private_redis.start()
            back = time.monotonic()
            wait_until(lambda: load.kinds_answered(back, _ok, times=3), "device requests served again")
        finally:
            load.stop()
        assert server.process.poll() is None and server.process.pid == arbiter
        assert sorted(server.workers()) == workers, "a worker died or was restarted"

    answers = load.all()
    wrong = [a for a in answers if a.failure or a.status not in (200, 304, 404, 503) or a.took > BOUND]
    assert not wrong, "\n".join(map(str, wrong[:20]))
    assert all(_refused(a) for a in answers if a.status == 503), [str(a) for a in answers if a.status == 503]
    assert not [a for a in answers if a.status == 503 and a.kind not in DEVICE]
    during = load.between(down, back_at)
    assert during and all(_as_chosen_while_down(a) for a in during), [
        str(a) for a in during if not _as_chosen_while_down(a)
    ]
