"""The same Idempotency-Key sent concurrently creates one storefront order and one payment.

Concurrency needs real commits, so each test gets a database of its own with the demo data (a copy
of a SQLite file, or a PostgreSQL database created for it), and the app the simulated provider.
On PostgreSQL every request is held until all of them have looked the key up and found nothing,
so all of them race to insert: the worst interleaving, every time. SQLite serialises writing
transactions (BEGIN IMMEDIATE), so there the requests only start together.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

import kiosk_api.blueprints.orders
from core.db import Database
from kiosk_api import create_app
from payments.models import Payment
from sales.models import Order
from tests.conftest import create_postgres_database, drop_postgres_database, require_postgres
from tests.integration.stripe_orders.conftest import cart_of, migrate_with_demo
from tests.integration.stripe_orders.harness import CONTACT, warehouse_stock

REQUESTS = 8
WAIT_SECONDS = 30  # a bound on every wait, so a broken run fails instead of hanging


@pytest.fixture(params=["sqlite", "postgresql"])
def committed_app(
    request: pytest.FixtureRequest, worker_id: str, testrun_uid: str
) -> Iterator[tuple[str, Flask]]:
    """(backend, app) over a private database with the demo data, where requests really commit."""
    name = None
    if request.param == "sqlite":
        url = request.getfixturevalue("committed_sqlite")
    else:
        require_postgres()
        name = f"dongxi_idem_{testrun_uid[:8]}_{worker_id}"
        url = create_postgres_database(name)
        migrate_with_demo(url)
    app = create_app(
        {"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "test-secret", "PAYMENT_PROVIDER": "simulated"}
    )
    try:
        yield request.param, app
    finally:
        app.extensions["dongxi.db"].engine.dispose()
        if name is not None:
            drop_postgres_database(name)


def test_same_idempotency_key_sent_concurrently_creates_one_order_and_one_payment(
    committed_app: tuple[str, Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    backend, app = committed_app
    db: Database = app.extensions["dongxi.db"]
    cart = cart_of(db)
    body = {"lines": cart, "contact": CONTACT}
    key = f"checkout-{uuid.uuid4()}"
    stock_before = warehouse_stock(db, [line["product"] for line in cart])
    orders_before = count(db, Order)
    start = threading.Barrier(REQUESTS)

    def send() -> tuple[int, dict[str, Any]]:
        start.wait(WAIT_SECONDS)
        response = app.test_client().post("/api/v1/orders", json=body, headers={"Idempotency-Key": key})
        return response.status_code, response.get_json()

    with monkeypatch.context() as patch, ThreadPoolExecutor(REQUESTS) as pool:
        if backend == "postgresql":
            hold_until_all_looked(patch)
        answers = [f.result(WAIT_SECONDS) for f in [pool.submit(send) for _ in range(REQUESTS)]]

    assert [status for status, _ in answers] == [201] * REQUESTS, answers
    order_ids = {answer["order_id"] for _, answer in answers}
    assert len(order_ids) == 1, "every response names the same order"
    (order_id,) = order_ids
    first = answers[0][1]
    assert all((a["total_fen"], a["lines"]) == (first["total_fen"], first["lines"]) for _, a in answers)
    assert count(db, Order) == orders_before + 1
    assert count(db, Payment, Payment.order_id == order_id) == 1
    with db.unit_of_work() as session:
        warehouse = session.get(Order, order_id).location_id
    expected = dict(stock_before)
    for line in cart:
        on_hand, reserved = expected[(warehouse, line["product"])]
        expected[(warehouse, line["product"])] = (on_hand, reserved + line["qty"])
    assert warehouse_stock(db, [line["product"] for line in cart]) == expected, "the stock is held once"

    client = app.test_client()
    other = {"lines": [{**cart[0], "qty": 1}], "contact": CONTACT}
    refused = client.post("/api/v1/orders", json=other, headers={"Idempotency-Key": key})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "idempotency_key_reused"
    again = client.post("/api/v1/orders", json=body, headers={"Idempotency-Key": key})
    assert (again.status_code, again.get_json()["order_id"]) == (201, order_id)
    assert count(db, Order) == orders_before + 1


def hold_until_all_looked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make each request's first idempotency lookup wait until every request has made its own."""
    looked = threading.Barrier(REQUESTS)
    seen = threading.local()
    lookup = kiosk_api.blueprints.orders.find_by_idempotency

    def find_then_wait(*args: Any, **kwargs: Any) -> Any:
        found = lookup(*args, **kwargs)
        if not getattr(seen, "done", False):
            seen.done = True
            looked.wait(WAIT_SECONDS)
        return found

    monkeypatch.setattr(kiosk_api.blueprints.orders, "find_by_idempotency", find_then_wait)


def count(db: Database, model: type, *where: Any) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0
