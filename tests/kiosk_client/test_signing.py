"""Every request the kiosk sends is signed as KIOSK_PROTOCOL.md says, and the verifier can tell."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import pytest
import requests

from kiosk_client.agent import Agent
from kiosk_client.api import ApiError, KioskApi
from kiosk_client.config import Settings
from tests.kiosk_client.conftest import wait_until
from tests.kiosk_client.fake_server import KEY_ID, SECRET, FakeKioskServer


def test_every_request_of_a_purchase_is_signed_and_verifies(
    make_agent: Callable[..., Agent], settings: Settings, fake_server: FakeKioskServer
) -> None:
    agent = make_agent(settings)
    wait_until(lambda: fake_server.heartbeats and agent.catalogue.data)
    assert agent.checkout([{"slot": "A1", "qty": 1}])
    order_id = wait_until(lambda: fake_server.orders and fake_server.only_order()["order_id"])
    fake_server.pay(order_id)
    wait_until(lambda: agent.state.phase == "done")

    paths = {entry["path"].rsplit("/", 1)[-1] for entry in fake_server.log}
    assert {"catalogue", "heartbeat", "sessions", order_id, "vend-results"} <= paths
    assert fake_server.signature_failures == []
    for entry in fake_server.log:
        signed = entry["signature"]
        assert signed["keyid"] == KEY_ID
        assert {'"@method"', '"@authority"', '"@target-uri"'} <= set(signed["covered"])
        assert 'alg="hmac-sha256"' in entry["headers"]["Signature-Input"]
        if entry["body"]:
            digest = base64.b64encode(hashlib.sha256(entry["body"]).digest()).decode()
            assert entry["headers"]["Content-Digest"] == f"sha-256=:{digest}:"
            assert '"content-digest"' in signed["covered"]


def test_every_request_has_a_fresh_nonce(fake_server: FakeKioskServer) -> None:
    api = KioskApi(fake_server.url, KEY_ID, SECRET)
    for _ in range(3):
        api.get_catalogue(None)
    assert len(fake_server.nonces) == 3 and fake_server.signature_failures == []


def test_a_wrong_secret_is_refused(fake_server: FakeKioskServer) -> None:
    with pytest.raises(ApiError) as refused:
        KioskApi(fake_server.url, KEY_ID, "not-the-secret").heartbeat({"door": "closed"})
    assert refused.value.status == 401 and refused.value.code == "bad_signature"
    assert len(fake_server.signature_failures) == 1


def test_a_body_changed_after_signing_fails_the_digest(fake_server: FakeKioskServer) -> None:
    api = KioskApi(fake_server.url, KEY_ID, SECRET)
    prepared = requests.Request("POST", api.url("/heartbeat"), data=b'{"door":"closed"}').prepare()
    api.auth(prepared)
    prepared.body = b'{"door":"open!!"}'
    response = requests.Session().send(prepared)
    assert response.status_code == 401
    assert "Content-Digest" in fake_server.signature_failures[0]


def test_a_replayed_request_is_refused(fake_server: FakeKioskServer) -> None:
    api = KioskApi(fake_server.url, KEY_ID, SECRET)
    prepared = requests.Request("GET", api.url("/catalogue")).prepare()
    api.auth(prepared)
    session = requests.Session()
    assert session.send(prepared.copy()).status_code == 200
    assert session.send(prepared.copy()).status_code == 401


def test_the_same_idempotency_key_returns_the_same_session(fake_server: FakeKioskServer) -> None:
    api = KioskApi(fake_server.url, KEY_ID, SECRET)
    first = api.create_session([{"slot": "A1", "qty": 1}], "7d0e0c1e-1111-4c1b-9a55-3f6f2bf1b0aa")
    again = api.create_session([{"slot": "A1", "qty": 1}], "7d0e0c1e-1111-4c1b-9a55-3f6f2bf1b0aa")
    assert first["order_id"] == again["order_id"] and len(fake_server.orders) == 1
    assert {r["headers"]["Idempotency-Key"] for r in fake_server.requests_to("/sessions")} == {
        "7d0e0c1e-1111-4c1b-9a55-3f6f2bf1b0aa"
    }
