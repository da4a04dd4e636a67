"""Writes people make through the console, the API and the restock pages, for the readability scan:
the audit log then holds entries of a refund, stock receipts and transfers, a write-off, a product
edit and a restocker's visit, whose references (orders, lots, places, users) the page must name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from core.clock import Clock
from sales.models import Order
from tests.api.test_login import csrf_from
from tests.integration.orgs.factories import approved_order, demo_unit, product

HONEY, POTATO = "GY-HONEY-500G", "GY-POTATO-5KG"
CONTACT = {"name": "林", "phone": "13800138000", "address": "福州市鼓楼区某路 1 号"}


def signed_in(client: FlaskClient, session: Session, username: str) -> str:
    """Sign the client in by the session cookie the sign-in page would set; return its CSRF token."""
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None, username
    with client.session_transaction() as cookie:
        cookie.clear()
        cookie["user_id"], cookie["epoch"] = user.id, user.session_epoch
    return csrf_from(client.get("/login").data)


def _post(client: FlaskClient, csrf: str, path: str, form: dict[str, Any]) -> None:
    response = client.post(path, data={"csrf_token": csrf, **form})
    assert response.status_code in (302, 303), (path, response.status_code)


def paid_storefront_order(client: FlaskClient, session: Session) -> Order:
    """A storefront order placed and paid by an anonymous shopper (through the API and the pay link)."""
    honey = product(session, HONEY)
    session.commit()
    placed = client.post(
        "/api/v1/orders", json={"lines": [{"product": honey.id, "qty": 2}], "contact": CONTACT}
    )
    assert placed.status_code == 201, placed.get_json()
    token = placed.get_json()["payment"]["pay_url"].rsplit("/", 1)[1]
    paid = client.post(f"/api/v1/pay/{token}/simulate")
    assert paid.status_code == 200 and paid.get_json()["status"] == "paid", paid.get_json()
    order = session.get(Order, placed.get_json()["order_id"])
    assert order is not None
    return order


def operator_writes(
    client: FlaskClient, session: Session, clock: Clock, auth: Callable[[str], dict[str, str]]
) -> tuple[Order, Order]:
    """A refund, a receipt, a write-off and a product edit in the console; a receipt, a transfer to a
    kiosk slot and a bank transfer paying a unit's order (its held stock sold) through the API; all as
    the demo operator. Returns the order refunded and the order paid."""
    refunded = paid_storefront_order(client, session)
    bulk_order, _record = approved_order(session, clock, demo_unit(session, clock), [("YB-RICE-5KG", 4)])
    honey, potato = product(session, HONEY), product(session, POTATO)
    session.commit()
    csrf = signed_in(client, session, "demo-operator")
    line = refunded.lines[0]
    refund = {"line": str(line.id), "qty": "1", "reason": "damaged", "confirm": "1"}
    _post(client, csrf, f"/console/orders/{refunded.id}/refund", refund)
    receipt = {
        "location": "FZ-WH-01",
        "product": str(honey.id),
        "lot": "FZ-HONEY-2705",
        "expires_on": "2027-05-31",
        "qty": "12",
        "confirm": "1",
    }
    _post(client, csrf, "/console/inventory/receipt", receipt)
    writeoff = {"location": "FZ-WH-01", "product": str(honey.id), "qty": "1", "reason": "damaged"}
    _post(client, csrf, "/console/inventory/writeoff", {**writeoff, "confirm": "1"})
    edit = {
        **{f: str(getattr(potato, f) or "") for f in ("name_zh", "name_en", "category", "spec", "gtin")},
        **{f: str(getattr(potato, f) or "") for f in ("keywords", "shelf_life_days", "storage", "story_zh")},
        "county": potato.county_code,
        "supplier": str(potato.supplier_id),
        "price": "31.90",
        "active": "1",
    }
    for field in ("certification_no", "certified_from", "certified_until"):
        edit[field] = str(getattr(potato, field) or "")
    _post(client, csrf, f"/console/catalogue/{potato.id}", edit)
    api = "/api/v1/inventory"
    body = {
        "location": "FZ-WH-01",
        "product": honey.id,
        "lot": "FZ-HONEY-2706",
        "expires_on": "2027-06-30",
        "qty": 6,
        "reference": "PO-2026-118",
    }
    assert client.post(f"{api}/receipts", json=body, headers=auth("operator")).status_code == 201
    move = {"from": "FZ-WH-01", "to": "FZ-0001", "to_slot": "C2", "qty": 2}
    assert client.post(f"{api}/transfers", json=move, headers=auth("operator")).status_code == 201
    transfer = {"bank_reference": "ICBC-20261102-3", "amount_fen": bulk_order.total_fen}
    paid = client.post(
        f"/api/v1/bulk-orders/{bulk_order.id}/mark-paid", json=transfer, headers=auth("operator")
    )
    assert paid.status_code == 200, paid.get_json()
    session.commit()
    return refunded, bulk_order


def restocker_visit(client: FlaskClient, session: Session) -> str:
    """The demo restocker records a visit of FZ-0001 as the pick list proposes it; return its key."""
    from tests.api.restock.test_restock_pages import VISIT, visit_form

    session.commit()
    signed_in(client, session, "demo-restocker")
    fields = visit_form(client)
    response = client.post(VISIT, data={**fields, "confirm": "1"})
    assert response.status_code == 303, response.get_data(as_text=True)
    session.commit()
    return fields["key"]
