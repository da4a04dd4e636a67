"""The simulated provider's pay endpoints are refused outright in production mode (issue 12): a
server started with DONGXI_ENV=production never lets a pay link be "paid" without money, even if it
was (wrongly) left on the simulated provider; in development the same links pay."""

from __future__ import annotations

import pytest

from kiosk_api import create_app
from sales.models import Order
from tests.api.kiosk.conftest import SECRET_KEY, pay, stocked_slots


@pytest.fixture
def app(db, clock):  # type: ignore[no-untyped-def]
    return create_app(
        {
            "DATABASE": db,
            "CLOCK": clock,
            "TESTING": True,
            "SECRET_KEY": SECRET_KEY,
            "DONGXI_ENV": "production",
        }
    )


def test_pay_link_cannot_be_simulated_in_production(client, vend_kiosk, session) -> None:
    slot = stocked_slots(vend_kiosk)[0]
    started = vend_kiosk.post("/sessions", {"lines": [{"slot": slot["slot"], "qty": 1}]}).get_json()
    link = started["payment"]["qr_payload"]
    token = link.rstrip("/").rsplit("/", 1)[-1]

    refused = pay(client, link)
    assert refused.status_code == 404
    assert refused.get_json()["error"]["code"] == "not_found"
    page = client.get(f"/pay/{token}")
    assert page.status_code == 200
    assert 'class="paybtn"' not in page.get_data(as_text=True)  # no button that pays for nothing
    client.application.config["WTF_CSRF_ENABLED"] = False
    assert client.post(f"/pay/{token}").status_code == 404  # the page's own form, too

    session.expire_all()
    assert session.get(Order, started["order_id"]).status == "awaiting_payment"
    assert vend_kiosk.get(f"/orders/{started['order_id']}").get_json()["status"] == "awaiting_payment"


def test_the_same_link_pays_in_development(client, vend_kiosk) -> None:
    client.application.config["DONGXI_ENV"] = "development"
    slot = stocked_slots(vend_kiosk)[0]
    started = vend_kiosk.post("/sessions", {"lines": [{"slot": slot["slot"], "qty": 1}]}).get_json()
    token = started["payment"]["qr_payload"].rstrip("/").rsplit("/", 1)[-1]
    assert 'class="paybtn"' in client.get(f"/pay/{token}").get_data(as_text=True)
    assert pay(client, started["payment"]["qr_payload"]).status_code == 200
    assert vend_kiosk.get(f"/orders/{started['order_id']}").get_json()["status"] == "paid"
