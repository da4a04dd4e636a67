"""One storefront order paid by card at localstripe, its Stripe events replayed at our webhook.

localstripe sends each webhook once, in order, and never sends charge.refunded; Stripe may send
any event several times and in any order. So the events of one purchase are collected
(payment_intent.succeeded as localstripe delivered it, charge.refunded built from localstripe's
Charge) and delivered again, signed with the library's own scheme: once each in order, each 3×
shuffled by a seeded random order, and each 3× with the refund before the payment. Every delivery
starts from the same database state (a savepoint, rolled back after each) and must end in the same
canonical state: one payment, the sale and refund entries once, the stock taken once.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
import stripe
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from core.clock import FixedClock
from core.db import Database
from payments.models import WebhookEvent
from payments.providers.base import PaymentProvider
from sales.orders import get_order
from sales.payment_flow import payment_of, process_pending_refunds, request_refund
from tests.integration.payments.harness import WebhookReceiver
from tests.integration.stripe_orders.harness import (
    charge_refunded_event,
    deliver,
    event_body,
    order_state,
    pay_with_visa,
    place_order,
    provider_ref,
    signed_headers,
    warehouse_stock,
)

SEED = 20261126
IN_ORDER = "in order, once each"
TOTAL = 3 * 2990 + 6800  # three bags of potatoes and a jar of honey


def delivery_plans(succeeded: bytes, refunded: bytes) -> dict[str, list[bytes]]:
    """The orders of delivery compared: the in-order one first."""
    each_three_times = [succeeded] * 3 + [refunded] * 3
    shuffled = list(each_three_times)
    random.Random(SEED).shuffle(shuffled)
    return {
        IN_ORDER: [succeeded, refunded],
        f"each 3×, shuffled (seed {SEED})": shuffled,
        "each 3×, refunded before succeeded": [refunded] * 3 + [succeeded] * 3,
    }


def replay(
    connection: Connection,
    client: FlaskClient,
    db: Database,
    order_id: str,
    products: list[int],
    bodies: list[bytes],
) -> dict[str, Any]:
    """Deliver the events from the current state, read the state they leave, then undo them."""
    snapshot = connection.begin_nested()
    try:
        applied: dict[bytes, int] = {}
        for body in bodies:
            response = deliver(client, body)
            assert response.status_code == 200, response.get_json()
            applied[body] = applied.get(body, 0) + (not response.get_json()["duplicate"])
        assert all(times <= 1 for times in applied.values()), "no event is applied twice"
        return {**order_state(db, order_id), "warehouse": warehouse_stock(db, products)}
    finally:
        snapshot.rollback()


def replay_all(
    connection: Connection,
    client: FlaskClient,
    db: Database,
    order_id: str,
    products: list[int],
    plans: dict[str, list[bytes]],
) -> dict[str, dict[str, Any]]:
    """Replay every plan from the same state; return each plan's resulting state."""
    return {
        name: replay(connection, client, db, order_id, products, bodies) for name, bodies in plans.items()
    }


def succeeded_delivery(receiver: WebhookReceiver, intent_id: str) -> tuple[bytes, dict[str, str]]:
    """payment_intent.succeeded for this intent, as localstripe signed and delivered it."""
    return receiver.wait_for(
        lambda e: e["type"] == "payment_intent.succeeded" and e["data"]["object"]["id"] == intent_id
    )


def test_dashboard_refund_and_payment_events_in_any_order_leave_the_state_of_one_in_order_delivery(
    client: FlaskClient,
    db: Database,
    connection: Connection,
    cart: list[dict[str, int]],
    stripe_api: stripe.StripeClient,
    localstripe_webhooks: WebhookReceiver,
) -> None:
    products = [line["product"] for line in cart]
    stock_before = warehouse_stock(db, products)
    order = place_order(client, cart)
    order_id, intent_id = order["order_id"], provider_ref(db, order["order_id"])
    pay_with_visa(stripe_api, intent_id)
    succeeded, _headers = succeeded_delivery(localstripe_webhooks, intent_id)
    # A partial refund made in Stripe's dashboard: at the provider, unknown to our records.
    stripe_api.v1.refunds.create(params={"payment_intent": intent_id, "amount": 1001})
    refunded = charge_refunded_event(stripe_api, intent_id, previous_refunded=0)
    before = order_state(db, order_id)

    states = replay_all(connection, client, db, order_id, products, delivery_plans(succeeded, refunded))

    baseline = states[IN_ORDER]
    for name, state in states.items():
        assert state == baseline, f"{name} differs from one in-order delivery"
    assert order_state(db, order_id) == before, "every replay was undone"
    assert baseline["order"] == ("partially_refunded", TOTAL, TOTAL, 1001)
    assert [t[:2] for t in baseline["transitions"]] == [
        (None, "awaiting_payment"),
        ("awaiting_payment", "paid"),
        ("paid", "partially_refunded"),
    ]
    assert baseline["payments"] == [("stripe", intent_id, "succeeded", TOTAL, TOTAL, 1001)]
    # 1001 fen spread over the lines in proportion to 8970 : 6800, to the fen.
    assert baseline["refunds"] == [
        (1001, "succeeded", "refunded at the provider", ((1, 0, 569), (2, 0, 432)))
    ]
    assert [(e.kind, e.line_no, e.qty, e.amount_fen) for e in baseline["revenue"]] == [
        ("refund", 1, 0, -569),
        ("refund", 2, 0, -432),
        ("sale", 1, 3, 8970),
        ("sale", 2, 1, 6800),
    ]
    assert {e.county for e in baseline["revenue"]} == {"640422", "640424"}
    assert sum(e.amount_fen for e in baseline["revenue"]) == TOTAL - 1001
    assert len(baseline["webhook_events"]) == 2
    assert {hold.status for hold in baseline["reservations"]} == {"fulfilled"}
    assert sum(m.qty for m in baseline["stock_movements"] if m.kind == "sale") == 4
    warehouse = get_location_of(db, order_id)
    expected_stock = dict(stock_before)
    for line in cart:
        on_hand, reserved = expected_stock[(warehouse, line["product"])]
        expected_stock[(warehouse, line["product"])] = (on_hand - line["qty"], reserved)
    assert baseline["warehouse"] == expected_stock, "the warehouse gave the goods once, and holds nothing"


def test_events_of_a_refund_we_paid_out_change_nothing_however_often_they_arrive(
    client: FlaskClient,
    db: Database,
    connection: Connection,
    clock: FixedClock,
    provider: PaymentProvider,
    cart: list[dict[str, int]],
    stripe_api: stripe.StripeClient,
    localstripe_webhooks: WebhookReceiver,
) -> None:
    products = [line["product"] for line in cart]
    order = place_order(client, cart)
    order_id, intent_id = order["order_id"], provider_ref(db, order["order_id"])
    pay_with_visa(stripe_api, intent_id)
    succeeded, headers = succeeded_delivery(localstripe_webhooks, intent_id)
    assert deliver(client, succeeded, headers).get_json() == {"received": True, "duplicate": False}
    # The operator refunds one bag of potatoes through our own path: written pending, then paid out.
    with db.unit_of_work() as session:
        locked = get_order(session, order_id, lock=True)
        payment = payment_of(session, order_id, lock=True)
        request_refund(
            session,
            clock,
            locked,
            payment,
            [(locked.lines[0], 1)],
            reason="one bag split",
            actor="operator:test",
        )
    assert process_pending_refunds(db, clock, provider) == 1
    refunded = charge_refunded_event(stripe_api, intent_id, previous_refunded=0)
    before = order_state(db, order_id)

    states = replay_all(connection, client, db, order_id, products, delivery_plans(succeeded, refunded))

    baseline = states[IN_ORDER]
    for name, state in states.items():
        assert state == baseline, f"{name} differs from one in-order delivery"
    unchanged = {k: v for k, v in baseline.items() if k not in ("webhook_events", "warehouse")}
    assert unchanged == {k: v for k, v in before.items() if k != "webhook_events"}
    assert baseline["order"] == ("partially_refunded", TOTAL, TOTAL, 2990)
    assert baseline["lines"] == [(1, 3, 1, 2990), (2, 1, 0, 0)]
    assert baseline["refunds"] == [(2990, "succeeded", "one bag split", ((1, 1, 2990),))]
    assert [(e.kind, e.line_no, e.qty, e.amount_fen) for e in baseline["revenue"]] == [
        ("refund", 1, -1, -2990),
        ("sale", 1, 3, 8970),
        ("sale", 2, 1, 6800),
    ]


def get_location_of(db: Database, order_id: str) -> int:
    with db.unit_of_work() as session:
        location = get_order(session, order_id).location_id
    assert location is not None
    return location


FORGERIES = {
    "tampered-body": lambda body: (body.replace(b'"amount": 15770', b'"amount": 1577'), signed_headers(body)),
    "wrong-secret": lambda body: (body, signed_headers(body, secret="whsec_someone_else")),
    "older-than-300s": lambda body: (body, signed_headers(body, age_seconds=301)),
    "no-signature": lambda body: (body, {"Content-Type": "application/json"}),
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_forged_or_stale_webhook_is_refused_and_records_nothing(
    forgery: str,
    client: FlaskClient,
    db: Database,
    cart: list[dict[str, int]],
    stripe_api: stripe.StripeClient,
) -> None:
    order = place_order(client, cart)
    order_id, intent_id = order["order_id"], provider_ref(db, order["order_id"])
    intent = pay_with_visa(stripe_api, intent_id)
    genuine = event_body(intent, "payment_intent.succeeded")
    payload, headers = FORGERIES[forgery](genuine)
    assert forgery != "tampered-body" or payload != genuine
    before = order_state(db, order_id)
    events_before = count_webhook_events(db)

    response = deliver(client, payload, headers)

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "webhook_signature_invalid"
    assert count_webhook_events(db) == events_before
    assert order_state(db, order_id) == before
    assert before["order"][0] == "awaiting_payment"
    # The same event, genuinely signed, is what pays the order: the refusal was the signature's.
    assert deliver(client, genuine).status_code == 200
    assert order_state(db, order_id)["order"] == ("paid", TOTAL, TOTAL, 0)


def count_webhook_events(db: Database) -> int:
    with db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(WebhookEvent)) or 0
