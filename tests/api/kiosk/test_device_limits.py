"""A kiosk flooding the device API is answered 429 with Retry-After and the JSON error body, per
kiosk: another kiosk, and an unsigned or forged request, spend nothing of its budget."""

from __future__ import annotations

import pytest

from kiosk_api import create_app
from kiosk_api.kiosks import service as kiosks
from tests.api.kiosk.conftest import SECRET_KEY, SignedKiosk

FLOOD = 5  # the limit these tests set: a real kiosk's is RATELIMIT_DEVICE (README: Limits)


@pytest.fixture
def limited_app(db, clock):  # type: ignore[no-untyped-def]
    return create_app(
        {
            "DATABASE": db,
            "CLOCK": clock,
            "TESTING": True,
            "SECRET_KEY": SECRET_KEY,
            "RATELIMIT_DEVICE": f"{FLOOD}/minute",
        }
    )


@pytest.fixture
def kiosk_on(limited_app, session, clock):  # type: ignore[no-untyped-def]
    def make(code: str) -> SignedKiosk:
        keys = kiosks.provision(session, clock, code, secret_key=SECRET_KEY)
        session.commit()
        return SignedKiosk(limited_app.test_client(), clock, keys["key_id"], keys["secret"])

    return make


def test_a_kiosk_flooding_a_device_endpoint_gets_429_with_retry_after(kiosk_on) -> None:
    vend = kiosk_on("FZ-0001")
    for _ in range(FLOOD):
        assert vend.post("/heartbeat", {"software_version": "1.0", "door": "closed"}).status_code == 200
    refused = vend.post("/heartbeat", {"software_version": "1.0", "door": "closed"})
    assert refused.status_code == 429
    assert refused.get_json() == {
        "error": {
            "code": "rate_limited",
            "message": "this kiosk sends too many requests; wait Retry-After seconds",
            "fields": {},
        }
    }
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    # One budget for the whole device API: the catalogue and an order poll are refused too.
    assert vend.get("/catalogue").status_code == 429
    assert vend.get("/orders/no-such-order").status_code == 429


def test_another_kiosk_is_unaffected_by_a_flooding_one(kiosk_on) -> None:
    vend, door = kiosk_on("FZ-0001"), kiosk_on("FZ-0002")
    for _ in range(FLOOD + 2):
        vend.get("/catalogue")
    assert vend.get("/catalogue").status_code == 429
    for _ in range(FLOOD):
        assert door.get("/catalogue").status_code == 200


def test_forged_and_unsigned_requests_spend_no_kiosk_budget(kiosk_on, limited_app) -> None:
    vend = kiosk_on("FZ-0001")
    client = limited_app.test_client()
    for _ in range(FLOOD * 3):
        # The kiosk's key id with a wrong secret, and no signature at all: both refused as 401.
        forged = vend.send(vend.signed("GET", "/api/v1/kiosk/catalogue", key=b"not-the-secret"))
        assert forged.status_code == 401
        assert client.get("/api/v1/kiosk/catalogue").status_code == 401
    for _ in range(FLOOD):
        assert vend.get("/catalogue").status_code == 200


def test_a_request_refused_for_its_limit_has_used_its_nonce(kiosk_on) -> None:
    vend = kiosk_on("FZ-0001")
    for _ in range(FLOOD):
        vend.get("/catalogue")
    prepared = vend.signed("GET", "/api/v1/kiosk/catalogue")
    assert vend.send(prepared).status_code == 429
    # Replayed later, the same signature is a replay, not a second chance.
    replay = vend.send(prepared)
    assert replay.status_code == 401 and replay.get_json()["error"]["code"] == "replayed"


def test_the_default_device_limit_is_far_above_a_working_kiosk(app) -> None:
    # About one poll a second while a shopper pays, a heartbeat every 30 s, a catalogue sync: ~70/min.
    assert app.config["RATELIMIT_DEVICE"] == "600/minute"


def test_with_redis_a_device_request_sends_two_redis_commands(redis_kiosk, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The nonce's SET and the limit's counter (one script): no SQL, and one round trip each."""
    import redis

    assert redis_kiosk.get("/catalogue").status_code == 200  # the counter's script is loaded once
    sent: list[str] = []
    execute = redis.Redis.execute_command

    def counting(self, *args, **options):  # type: ignore[no-untyped-def]
        sent.append(str(args[0]))
        return execute(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counting)
    assert redis_kiosk.post("/heartbeat", {"software_version": "1.0", "door": "closed"}).status_code == 200
    assert sorted(sent) == ["EVALSHA", "SET"], sent
