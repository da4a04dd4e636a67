"""Input that would not fit a column is refused with a 422 naming the field, and nothing is written."""

from __future__ import annotations

from sqlalchemy import func, select

from sales.models import Order
from tests.integration.orgs.factories import product

CONTACT = {"name": "林", "phone": "13800138000", "address": "福州市鼓楼区某路 1 号"}


def test_an_idempotency_key_over_128_characters_is_a_422_naming_the_header(client, session) -> None:
    honey = product(session, "GY-HONEY-500G")
    before = session.scalar(select(func.count()).select_from(Order))
    response = client.post(
        "/api/v1/orders",
        json={"lines": [{"product": honey.id, "qty": 1}], "contact": CONTACT},
        headers={"Idempotency-Key": "k" * 129},
    )
    assert response.status_code == 422, response.get_json()
    assert "Idempotency-Key" in response.get_json()["error"]["fields"]
    assert session.scalar(select(func.count()).select_from(Order)) == before


def test_a_key_of_exactly_128_characters_is_accepted(client, session) -> None:
    honey = product(session, "GY-HONEY-500G")
    body = {"lines": [{"product": honey.id, "qty": 1}], "contact": CONTACT}
    first = client.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k" * 128})
    again = client.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k" * 128})
    assert first.status_code == again.status_code == 201
    assert first.get_json()["order_id"] == again.get_json()["order_id"]
