"""Device signatures: what requests-http-signature produces verifies; anything else is refused."""

from __future__ import annotations

import datetime as dt
import re
from datetime import timedelta

import pytest
import requests
from requests_http_signature import HTTPSignatureAuth, algorithms

from core.clock import FixedClock
from kiosk_api.auth.device import DeviceAuthError, verify_device_request

SECRET = b"s3cret-key-material-for-tests-only"
KEY_ID = "kiosk-FZ-0001"
URL = "http://127.0.0.1:5000/api/v1/kiosk/sessions"


def signed(
    method: str = "POST",
    url: str = URL,
    body: bytes | None = b'{"lines": []}',
    key: bytes = SECRET,
    key_id: str = KEY_ID,
) -> requests.PreparedRequest:
    auth = HTTPSignatureAuth(
        signature_algorithm=algorithms.HMAC_SHA256, key=key, key_id=key_id, use_nonce=True
    )
    request = requests.Request(method, url, data=body, headers={"Content-Type": "application/json"})
    return auth(request.prepare())


def verify(prepared: requests.PreparedRequest, clock: FixedClock | None = None, body: bytes | None = None):
    now = dt.datetime.now(dt.UTC)
    return verify_device_request(
        method=prepared.method,
        url=prepared.url,
        headers=list(prepared.headers.items()),
        body=prepared.body if body is None else body,
        clock=clock or FixedClock(now),
        secret_for=lambda key_id: SECRET if key_id == KEY_ID else None,
    )


def test_a_request_signed_by_the_protocol_client_verifies() -> None:
    result = verify(signed())
    assert result.key_id == KEY_ID and len(result.nonce) >= 16


def test_a_get_without_body_verifies() -> None:
    assert verify(signed("GET", "http://127.0.0.1:5000/api/v1/kiosk/catalogue", body=None), body=b"").key_id


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (
            lambda r: r.headers.__setitem__("Signature", r.headers["Signature"][:-6] + "AAAAA:"),
            "bad_signature",
        ),
        (lambda r: r.headers.pop("Signature"), "signature_missing"),
        (lambda r: setattr(r, "url", r.url.replace("sessions", "door-sessions")), "bad_signature"),
        (lambda r: setattr(r, "method", "PUT"), "bad_signature"),
    ],
)
def test_tampered_requests_are_refused(change, code) -> None:
    prepared = signed()
    change(prepared)
    with pytest.raises(DeviceAuthError) as err:
        verify(prepared)
    assert err.value.code == code


def test_a_tampered_body_fails_its_digest() -> None:
    with pytest.raises(DeviceAuthError):
        verify(signed(), body=b'{"lines": [{"slot": "A1", "qty": 99}]}')


def test_wrong_key_and_unknown_key_id_are_refused() -> None:
    with pytest.raises(DeviceAuthError) as err:
        verify(signed(key=b"another-secret"))
    assert err.value.code == "bad_signature"
    with pytest.raises(DeviceAuthError) as err:
        verify(signed(key_id="kiosk-unknown"))
    assert err.value.code == "unknown_key"


@pytest.mark.parametrize(
    ("offset", "ok", "code"),
    [
        (timedelta(seconds=299), True, None),
        (timedelta(seconds=301), False, "signature_stale"),
        (timedelta(seconds=-59), True, None),
        (timedelta(seconds=-61), False, "signature_future"),
    ],
)
def test_created_must_be_within_300s_past_and_60s_future(offset, ok, code) -> None:
    prepared = signed()
    # The server's clock is set relative to the signed `created`, so the test does not depend on timing.
    created = int(re.search(r"created=(\d+)", prepared.headers["Signature-Input"]).group(1))
    clock = FixedClock(dt.datetime.fromtimestamp(created, dt.UTC) + offset)
    if ok:
        verify(prepared, clock=clock)
    else:
        with pytest.raises(DeviceAuthError) as err:
            verify(prepared, clock=clock)
        assert err.value.code == code
