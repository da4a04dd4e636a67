"""A payment provider that is down is the provider's trouble, not the kiosk's request: 502/503 with
the JSON error body, which the kiosk retries (KIOSK_PROTOCOL.md), and the retry with the same
Idempotency-Key picks up the order the first attempt committed (issue 11, defect 12)."""

from __future__ import annotations

import pytest

from payments.errors import PaymentProviderError, ProviderUnavailable
from tests.api.kiosk.conftest import stocked_slots


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        (ProviderUnavailable("the provider timed out"), 503),
        (PaymentProviderError("the provider failed"), 502),
    ],
)
def test_a_provider_outage_is_a_retryable_5xx_and_the_retry_goes_through(
    app, vend_kiosk, monkeypatch, failure: Exception, status: int
) -> None:
    provider = app.extensions["dongxi.payments"]
    (a,) = stocked_slots(vend_kiosk)[:1]
    body, headers = {"lines": [{"slot": a["slot"], "qty": 1}]}, {"Idempotency-Key": f"outage-{status}"}

    def down(**_kwargs):  # type: ignore[no-untyped-def]
        raise failure

    with monkeypatch.context() as patched:
        patched.setattr(provider, "create_payment", down)
        refused = vend_kiosk.post("/sessions", body, headers=headers)
    assert refused.status_code == status
    error = refused.get_json()["error"]
    assert error["code"] == failure.code and error["message"]

    retried = vend_kiosk.post("/sessions", body, headers=headers)
    assert retried.status_code == 201, retried.get_json()
    assert retried.get_json()["payment"]["qr_payload"]
    again = vend_kiosk.post("/sessions", body, headers=headers)
    assert again.get_json()["order_id"] == retried.get_json()["order_id"]  # one order, not three
