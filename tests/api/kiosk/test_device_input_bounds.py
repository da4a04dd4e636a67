"""Signed device requests are bounded like any other: out-of-range integers, NUL bytes, JSON nested
too deep and over-long nonces are 4xx naming what is wrong, never a 500."""

from __future__ import annotations

import requests
from requests_http_signature import algorithms

from devices.models import KioskDevice
from tests.api.kiosk.conftest import ClockedSignatureAuth, SignedKiosk


def _fields(response) -> dict:  # type: ignore[no-untyped-def]
    return response.get_json()["error"]["fields"]


def test_an_outbox_depth_past_the_column_is_a_422(vend_kiosk) -> None:
    response = vend_kiosk.post("/heartbeat", {"outbox_depth": 2**31})
    assert response.status_code == 422 and "outbox_depth" in _fields(response)
    response = vend_kiosk.post("/heartbeat", {"outbox_depth": 2**63})
    assert response.status_code == 422 and "outbox_depth" in _fields(response)


def test_nul_in_heartbeat_text_is_a_422_and_nothing_is_kept(vend_kiosk, session) -> None:
    response = vend_kiosk.post("/heartbeat", {"software_version": "1.0\x00", "errors": ["jam\x00"]})
    assert response.status_code == 422
    assert {"software_version", "errors.0"} <= set(_fields(response))
    session.expire_all()
    assert all("\x00" not in (d.software_version or "") for d in session.query(KioskDevice))


def test_a_signed_heartbeat_nested_a_thousand_deep_is_a_400(vend_kiosk) -> None:
    prepared = requests.Request(
        "POST",
        "http://localhost/api/v1/kiosk/heartbeat",
        data=b'{"errors": ' + b"[" * 1000 + b"]" * 1000 + b"}",
        headers={"Content-Type": "application/json"},
    ).prepare()
    signed = ClockedSignatureAuth(
        clock=vend_kiosk.clock,
        signature_algorithm=algorithms.HMAC_SHA256,
        key=vend_kiosk.secret,
        key_id=vend_kiosk.key_id,
        use_nonce=True,
    )(prepared)
    response = vend_kiosk.send(signed)
    assert response.status_code == 400 and "deep" in response.get_json()["error"]["message"]


class _LongNonce(ClockedSignatureAuth):
    def get_nonce(self, request: requests.PreparedRequest) -> str:
        return "n" * 129


def test_a_nonce_longer_than_128_characters_is_a_401(vend_kiosk: SignedKiosk) -> None:
    from requests_http_signature import algorithms

    prepared = requests.Request(
        "POST",
        "http://localhost/api/v1/kiosk/heartbeat",
        data=b"{}",
        headers={"Content-Type": "application/json"},
    ).prepare()
    signed = _LongNonce(
        clock=vend_kiosk.clock,
        signature_algorithm=algorithms.HMAC_SHA256,
        key=vend_kiosk.secret,
        key_id=vend_kiosk.key_id,
        use_nonce=True,
    )(prepared)
    response = vend_kiosk.send(signed)
    error = response.get_json()["error"]
    assert response.status_code == 401 and error["code"] == "bad_signature", error
    assert "nonce" in error["message"], error
