"""The shopper-facing limits — the pay page, its button and the simulate endpoint (per address and
per pay link), placing orders (per address) — answer 429 with Retry-After and the JSON error body;
with REDIS_URL the counts are in Redis, shared by every app server; with Redis away each server
counts in its own memory, logs a warning, and goes back to Redis when it answers again."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import pytest
import redis

from kiosk_api import create_app
from tests.api.kiosk.conftest import REDIS_URL, require_redis
from tests.integration.orgs.factories import product

CONTACT = {"name": "林", "phone": "13800138000", "address": "福州市鼓楼区某路 1 号"}
LIMIT = 3


def app_with(db, clock, **config: Any):  # type: ignore[no-untyped-def]
    """The tests' app with small limits (and whatever else `config` says)."""
    settings = {
        "DATABASE": db,
        "CLOCK": clock,
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_PAY": "1000/minute",
        "RATELIMIT_PAY_LINK": "1000/minute",
        "RATELIMIT_ORDERS": "1000/minute",
        "RATELIMIT_KEY_PREFIX": f"dongxi-test-{uuid.uuid4().hex}",
        **config,
    }
    return create_app(settings)


def place(client, session) -> str:  # type: ignore[no-untyped-def]
    """Place a web-shop order; return its pay link's token."""
    honey = product(session, "GY-HONEY-500G")
    placed = client.post(
        "/api/v1/orders", json={"lines": [{"product": honey.id, "qty": 1}], "contact": CONTACT}
    )
    assert placed.status_code == 201, placed.get_json()
    return placed.get_json()["payment"]["pay_url"].rsplit("/", 1)[1]


def assert_rate_limited(response, message: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 429
    assert response.get_json() == {"error": {"code": "rate_limited", "message": message, "fields": {}}}
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_a_pay_link_opened_too_often_gets_429_and_other_links_do_not(db, clock, session) -> None:  # type: ignore[no-untyped-def]
    client = app_with(db, clock, RATELIMIT_PAY_LINK=f"{LIMIT}/minute").test_client()
    token, other = place(client, session), place(client, session)
    for _ in range(LIMIT):
        assert client.get(f"/pay/{token}").status_code == 200
    assert_rate_limited(
        client.get(f"/pay/{token}"), "too many requests for this payment link; try again shortly"
    )
    # The page, its button and the simulate endpoint share the link's budget…
    assert client.post(f"/pay/{token}").status_code == 429
    assert client.post(f"/api/v1/pay/{token}/simulate").status_code == 429
    # …and another order's link has its own.
    assert client.get(f"/pay/{other}").status_code == 200
    assert client.post(f"/api/v1/pay/{other}/simulate").status_code == 200


def test_one_address_paying_too_often_gets_429_and_other_addresses_do_not(db, clock, session) -> None:  # type: ignore[no-untyped-def]
    app = app_with(db, clock, RATELIMIT_PAY=f"{LIMIT}/minute")
    client = app.test_client()
    tokens = [place(client, session) for _ in range(LIMIT + 1)]
    assert client.get(f"/pay/{tokens[0]}").status_code == 200
    assert client.post(f"/api/v1/pay/{tokens[1]}/simulate").status_code == 200
    assert client.get(f"/pay/{tokens[2]}").status_code == 200
    assert_rate_limited(
        client.get(f"/pay/{tokens[3]}"), "too many payment requests from this address; try again shortly"
    )
    # Guessing links is no way round it: an unknown token spends the address's budget too.
    assert client.get("/pay/no-such-token").status_code == 429
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    assert elsewhere.get(f"/pay/{tokens[3]}").status_code == 200


def test_placing_orders_too_often_from_one_address_gets_429(db, clock, session) -> None:  # type: ignore[no-untyped-def]
    app = app_with(db, clock, RATELIMIT_ORDERS=f"{LIMIT}/minute")
    client = app.test_client()
    for _ in range(LIMIT - 1):
        place(client, session)
    # The shop's checkout places orders too and shares the budget (an empty cart goes back to it).
    assert client.post("/shop/checkout", data={"name": "林"}).status_code == 302
    honey = product(session, "GY-HONEY-500G")
    refused = client.post(
        "/api/v1/orders", json={"lines": [{"product": honey.id, "qty": 1}], "contact": CONTACT}
    )
    assert_rate_limited(refused, "too many orders from this address; try again shortly")
    assert client.post("/shop/checkout", data={"name": "林"}).status_code == 429
    # Showing the checkout form places nothing and is not limited.
    assert client.get("/shop/checkout").status_code == 302
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    assert (
        elsewhere.post(
            "/api/v1/orders", json={"lines": [{"product": honey.id, "qty": 1}], "contact": CONTACT}
        ).status_code
        == 201
    )


def test_the_defaults_leave_a_shopper_far_below_them(app) -> None:  # type: ignore[no-untyped-def]
    assert app.config["RATELIMIT_PAY"] == "120/minute"
    assert app.config["RATELIMIT_PAY_LINK"] == "30/minute"
    assert app.config["RATELIMIT_ORDERS"] == "30/minute"
    assert app.extensions["dongxi.limits"].storage_uri == "memory://"  # no REDIS_URL: the embedded default


# -- storage -------------------------------------------------------------------------------------------
def _limit_keys(prefix: str) -> list[bytes]:
    return sorted(redis.Redis.from_url(REDIS_URL).keys(f"*LIMITER/{prefix}/*"))


def test_with_redis_url_the_counts_are_in_redis_and_shared_by_two_app_servers(db, clock, session) -> None:  # type: ignore[no-untyped-def]
    require_redis()
    prefix = f"dongxi-test-{uuid.uuid4().hex}"
    config = {"REDIS_URL": REDIS_URL, "RATELIMIT_PAY_LINK": f"{LIMIT}/minute", "RATELIMIT_KEY_PREFIX": prefix}
    one, two = app_with(db, clock, **config), app_with(db, clock, **config)
    assert one.extensions["dongxi.limits"].storage_uri == REDIS_URL
    token = place(one.test_client(), session)
    assert one.test_client().get(f"/pay/{token}").status_code == 200
    assert two.test_client().get(f"/pay/{token}").status_code == 200
    assert one.test_client().get(f"/pay/{token}").status_code == 200
    assert two.test_client().get(f"/pay/{token}").status_code == 429  # the fourth, whichever server
    keys = _limit_keys(prefix)
    assert any(f"/pay:{token}/pay_link/".encode() in key for key in keys), keys
    assert any(b"/addr:127.0.0.1/pay/" in key for key in keys), keys
    ttl = redis.Redis.from_url(REDIS_URL).ttl(next(k for k in keys if b"pay_link" in k))
    assert 0 < ttl <= 60  # a fixed window of a minute, which Redis expires itself


def test_ratelimit_storage_uri_wins_over_redis_url(db, clock) -> None:  # type: ignore[no-untyped-def]
    app = app_with(db, clock, REDIS_URL=REDIS_URL, RATELIMIT_STORAGE_URI="memory://")
    assert app.extensions["dongxi.limits"].storage_uri == "memory://"


def test_with_redis_down_the_limits_still_hold_per_process_and_a_warning_is_logged(
    db, clock, session, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    # Nothing listens on port 1, as with Redis stopped: the limits count in this process instead.
    app = app_with(
        db, clock, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0", RATELIMIT_PAY_LINK=f"{LIMIT}/minute"
    )
    client = app.test_client()
    token = place(client, session)
    with caplog.at_level(logging.WARNING):
        for _ in range(LIMIT):
            assert client.get(f"/pay/{token}").status_code == 200  # served, not refused for Redis
        assert client.get(f"/pay/{token}").status_code == 429  # …and still limited
    assert "Rate limit storage unreachable - falling back to in-memory storage" in caplog.text
    assert place(client, session)  # orders are placed too


def test_redis_going_away_falls_back_to_memory_and_back_to_redis_when_it_returns(
    db, clock, session, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    require_redis()
    prefix = f"dongxi-test-{uuid.uuid4().hex}"
    app = app_with(db, clock, REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix, RATELIMIT_PAY_LINK="5/minute")
    client = app.test_client()
    token = place(client, session)
    assert client.get(f"/pay/{token}").status_code == 200
    counter = next(k for k in _limit_keys(prefix) if b"pay_link" in k)
    assert redis.Redis.from_url(REDIS_URL).get(counter) == b"1"

    pool = app.extensions["dongxi.limits"].limiter.storage.storage.connection_pool
    port = pool.connection_kwargs["port"]
    pool.connection_kwargs["port"] = 1  # Redis goes away: the pool's next connection is refused
    pool.reset()
    with caplog.at_level(logging.INFO, logger="flask-limiter"):
        for _ in range(5):
            assert client.get(f"/pay/{token}").status_code == 200  # served from this process's count
        assert client.get(f"/pay/{token}").status_code == 429  # which holds the limit on its own
        assert "falling back to in-memory storage" in caplog.text
        assert redis.Redis.from_url(REDIS_URL).get(counter) == b"1"  # nothing reached Redis

        pool.connection_kwargs["port"] = port  # Redis is back
        pool.reset()
        # flask-limiter asks Redis again 1, 2, 4 … 32 s after its last try: until then this
        # process's count (spent) answers, then Redis's (1 of 5).
        deadline = time.monotonic() + 10
        while client.get(f"/pay/{token}").status_code == 429 and time.monotonic() < deadline:
            time.sleep(0.25)
        assert "Rate limit storage recovered" in caplog.text
    assert redis.Redis.from_url(REDIS_URL).get(counter) == b"2"  # counting in Redis again


def test_a_rate_that_is_not_one_stops_the_app_from_starting(db, clock) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="RATELIMIT_ORDERS='lots' is not a rate"):
        app_with(db, clock, RATELIMIT_ORDERS="lots")


def test_behind_a_proxy_each_shopper_has_the_budget_of_their_own_address(db, clock, session) -> None:  # type: ignore[no-untyped-def]
    """With DONGXI_PROXY_FIX the proxy's X-Forwarded-For names the shopper; without it, it is ignored
    (anyone could send one) and everyone behind the proxy shares the proxy's address."""
    for proxies, shared in ((1, False), (0, True)):
        app = app_with(db, clock, RATELIMIT_PAY=f"{LIMIT}/minute", DONGXI_PROXY_FIX=proxies)
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "10.0.0.1"  # the proxy
        token = place(client, session)
        for _ in range(LIMIT):
            assert client.get(f"/pay/{token}", headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 200
        other = client.get(f"/pay/{token}", headers={"X-Forwarded-For": "198.51.100.2"})
        assert other.status_code == (429 if shared else 200), proxies
