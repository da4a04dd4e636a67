"""The replay check holds on both nonce stores: the database's table (the embedded default) and
Redis (REDIS_URL, as production and the benchmarks run). Redis away refuses with 503 and the JSON
error body, and never lets a request — a replay least of all — through unchecked."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import func, select

from devices.models import DeviceNonce
from kiosk_api.auth.device import REPLAY_WINDOW
from kiosk_api.kiosks import service as kiosks
from kiosk_api.kiosks.nonces import RedisNonces
from sales.models import Order
from tests.api.kiosk.conftest import REDIS_URL, SECRET_KEY, SignedKiosk, redis_app_for, require_redis


@pytest.fixture(params=["database", "redis"])
def kiosk(request: pytest.FixtureRequest, app, db, clock, session) -> SignedKiosk:  # type: ignore[no-untyped-def]
    """FZ-0001 on the app with its nonces in the database, then on the one with them in Redis."""
    if request.param == "redis":
        require_redis()
        app = redis_app_for(db, clock)
    keys = kiosks.provision(session, clock, "FZ-0001", secret_key=SECRET_KEY)
    session.commit()
    return SignedKiosk(app.test_client(), clock, keys["key_id"], keys["secret"])


def _in_table(session, key_id: str) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(DeviceNonce).where(DeviceNonce.key_id == key_id))


def test_a_replayed_request_is_refused_on_either_store(kiosk: SignedKiosk) -> None:
    prepared = kiosk.signed("GET", "/api/v1/kiosk/catalogue")
    assert kiosk.send(prepared).status_code == 200
    replay = kiosk.send(prepared)
    assert replay.status_code == 401 and replay.get_json()["error"]["code"] == "replayed"
    # …and a fresh signature still gets in.
    assert kiosk.get("/catalogue").status_code == 200


def test_a_failed_request_still_uses_up_its_nonce_on_either_store(kiosk: SignedKiosk) -> None:
    prepared = kiosk.signed("POST", "/api/v1/kiosk/sessions", {"lines": [{"slot": "Z9", "qty": 1}]})
    assert kiosk.send(prepared).status_code == 422  # unknown slot: the request's work rolls back
    replay = kiosk.send(prepared)
    assert replay.status_code == 401 and replay.get_json()["error"]["code"] == "replayed"


def test_with_redis_the_nonce_stays_out_of_the_database_and_expires_after_the_window(
    redis_kiosk: SignedKiosk, session
) -> None:  # type: ignore[no-untyped-def]
    prepared = redis_kiosk.signed("GET", "/api/v1/kiosk/catalogue")
    assert redis_kiosk.send(prepared).status_code == 200
    assert _in_table(session, redis_kiosk.key_id) == 0
    nonce = prepared.headers["Signature-Input"].split('nonce="', 1)[1].split('"', 1)[0]
    ttl = redis.Redis.from_url(REDIS_URL).ttl(f"{RedisNonces.PREFIX}{redis_kiosk.key_id}:{nonce}")
    # Kept at least as long as the signature could be accepted (60 s early to 300 s late).
    assert 360 < ttl <= REPLAY_WINDOW.total_seconds()


def test_the_database_store_keeps_the_nonce_in_its_table(vend_kiosk: SignedKiosk, session) -> None:  # type: ignore[no-untyped-def]
    assert vend_kiosk.get("/catalogue").status_code == 200
    assert _in_table(session, vend_kiosk.key_id) == 1


def test_redis_away_answers_503_and_lets_nothing_through(db, clock, session) -> None:  # type: ignore[no-untyped-def]
    # Nothing listens on port 1: every nonce check fails to connect, as with Redis stopped.
    app = redis_app_for(db, clock, "redis://127.0.0.1:1/0")
    keys = kiosks.provision(session, clock, "FZ-0001", secret_key=SECRET_KEY)
    session.commit()
    kiosk = SignedKiosk(app.test_client(), clock, keys["key_id"], keys["secret"])
    orders_before = session.scalar(select(func.count()).select_from(Order))

    prepared = kiosk.signed("GET", "/api/v1/kiosk/catalogue")
    for _attempt in range(2):  # the same signature twice: refused both times, never answered
        refused = kiosk.send(prepared)
        assert refused.status_code == 503
        assert refused.get_json()["error"]["code"] == "replay_check_unavailable"
    started = kiosk.post("/sessions", {"lines": [{"slot": "A1", "qty": 1}]})
    assert started.status_code == 503 and started.get_json()["error"]["code"] == "replay_check_unavailable"
    assert session.scalar(select(func.count()).select_from(Order)) == orders_before
    assert _in_table(session, keys["key_id"]) == 0  # nor does it fall back to the table


def test_a_nonce_too_long_for_the_table_is_refused_by_redis_too(redis_app) -> None:  # type: ignore[no-untyped-def]
    store = redis_app.extensions["dongxi.nonces"]
    with pytest.raises(kiosks.DeviceAuthError) as refused:
        store.use("kiosk-x", "n" * (kiosks.MAX_NONCE_LENGTH + 1))
    assert refused.value.code == "bad_signature"
