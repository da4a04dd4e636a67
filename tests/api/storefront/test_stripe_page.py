"""With Stripe configured, paying a storefront order renders Stripe's Payment Element with the
payment's client_secret and the publishable key, and comes back to the owner's order page."""

from __future__ import annotations

from typing import Any

from kiosk_api import create_app
from payments.providers.base import ProviderPayment
from tests.integration.orgs.factories import product


class StripeLike:
    """Answers create_payment as Stripe would for a Payment Element; nothing else is needed here."""

    name = "stripe"

    def create_payment(self, **kwargs: Any) -> ProviderPayment:
        return ProviderPayment(
            provider_ref="pi_test_1",
            status="requires_payment",
            amount_fen=kwargs["amount_fen"],
            amount_capturable_fen=0,
            amount_received_fen=0,
            client_secret="pi_test_1_secret_abc",
        )


def test_payment_element_is_rendered_with_the_client_secret(db, clock, session) -> None:
    app = create_app(
        {
            "DATABASE": db,
            "CLOCK": clock,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "PAYMENT_PROVIDER_OBJECT": StripeLike(),
            "STRIPE_PUBLISHABLE_KEY": "pk_test_dongxi",
            "PUBLIC_BASE_URL": "https://shop.example",
        }
    )
    client = app.test_client()
    honey = product(session, "GY-HONEY-500G")
    contact = {"name": "林", "phone": "13800138000", "address": "福州市鼓楼区某路 1 号"}
    order = client.post(
        "/api/v1/orders", json={"lines": [{"product": honey.id, "qty": 1}], "contact": contact}
    )
    body = order.get_json()
    token = body["link"].rsplit("token=", 1)[1]
    html = client.get(f"/shop/orders/{body['order_id']}/pay?token={token}").get_data(as_text=True)
    assert "https://js.stripe.com/v3/" in html
    assert '"pi_test_1_secret_abc"' in html and '"pk_test_dongxi"' in html
    assert f'"https://shop.example/shop/orders/{body["order_id"]}?token={token}"' in html
    assert client.get(f"/shop/orders/{body['order_id']}/pay").status_code == 404  # not the owner
