"""A crash between Stripe's confirmation and our commit, repaired by one run of reconciliation.

The money is taken at Stripe while our database does not know it: the webhook never arrives, the
webhook handler dies before its commit, or the process dies as Stripe answers the PaymentIntent
create call (start_payment's second unit of work never records provider_ref). One run of
`sales.provider_repair.repair_unsettled_payments` — and of the command `dongxi payments reconcile` —
must leave the order paid, its revenue entries written and its reservation turned into a sale. A
process that died before calling Stripe at all leaves a pending payment that the repair creates at
Stripe once.

localstripe ignores Idempotency-Key (see test_localstripe_ignores_idempotency_keys), so where the
repair depends on Stripe answering a repeated key with the first PaymentIntent, IdempotentStripe
(harness.py) puts Stripe's documented behaviour in front of localstripe.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import stripe
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select

import sales.payment_flow
from core.clock import FixedClock
from core.db import Database
from kiosk_api import cli, create_app
from payments.models import Payment
from payments.providers.base import PaymentProvider, ProviderPayment
from payments.providers.stripe_provider import StripeProvider
from sales.payment_flow import apply_event
from sales.provider_repair import repair_unsettled_payments
from tests.integration.payments.conftest import SECRET_KEY, WEBHOOK_SECRET
from tests.integration.stripe_orders.conftest import cart_of, stripe_config
from tests.integration.stripe_orders.harness import (
    CONTACT,
    IdempotentStripe,
    deliver,
    event_body,
    order_state,
    pay_with_visa,
    place_order,
    provider_ref,
    warehouse_stock,
)

TOTAL = 3 * 2990 + 6800


class Crash(BaseException):
    """The process dying at this point: nothing after it runs, no handler catches it."""


def assert_unpaid(state: Mapping[str, Any]) -> None:
    assert state["order"][0] == "awaiting_payment"
    assert state["revenue"] == []
    assert state["webhook_events"] == []
    assert {hold.status for hold in state["reservations"]} == {"active"}


def assert_paid_once(
    state: Mapping[str, Any], intent_id: str, stock_before: Mapping[tuple[int, int], tuple[int, int]]
) -> None:
    """Paid in full, one sale entry per line, the holds sold, the warehouse short of the goods once."""
    assert state["order"] == ("paid", TOTAL, TOTAL, 0)
    assert state["payments"] == [("stripe", intent_id, "succeeded", TOTAL, TOTAL, 0)]
    sales = [(e.kind, e.line_no, e.qty, e.amount_fen) for e in state["revenue"]]
    assert sales == [("sale", 1, 3, 8970), ("sale", 2, 1, 6800)]
    assert {hold.status for hold in state["reservations"]} == {"fulfilled"}
    assert sum(m.qty for m in state["stock_movements"] if m.kind == "sale") == 4
    taken: dict[tuple[int, int], int] = {}
    for hold in state["reservations"]:
        key = (hold.location_id, hold.product_id)
        taken[key] = taken.get(key, 0) + hold.qty
    expected = {k: (on_hand - taken.get(k, 0), reserved) for k, (on_hand, reserved) in stock_before.items()}
    assert state["warehouse"] == expected


def state_with_stock(db: Database, order_id: str, products: list[int]) -> dict[str, Any]:
    return {**order_state(db, order_id), "warehouse": warehouse_stock(db, products)}


@pytest.mark.parametrize("failure", ["webhook lost", "webhook handler died before commit"])
def test_payment_confirmed_at_stripe_but_not_committed_here_is_repaired_by_one_reconcile(
    failure: str,
    client: FlaskClient,
    db: Database,
    clock: FixedClock,
    provider: PaymentProvider,
    cart: list[dict[str, int]],
    stripe_api: stripe.StripeClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    products = [line["product"] for line in cart]
    stock_before = warehouse_stock(db, products)
    order = place_order(client, cart)
    order_id, intent_id = order["order_id"], provider_ref(db, order["order_id"])
    intent = pay_with_visa(stripe_api, intent_id)
    webhook = event_body(intent, "payment_intent.succeeded")
    if failure == "webhook handler died before commit":

        def apply_then_die(*args: Any, **kwargs: Any) -> Any:
            apply_event(*args, **kwargs)
            raise Crash("died after applying the event, before the commit")

        with monkeypatch.context() as patch:
            patch.setattr(sales.payment_flow, "apply_event", apply_then_die)
            with pytest.raises(Crash):
                deliver(client, webhook)
    assert_unpaid(order_state(db, order_id))

    counts = repair_unsettled_payments(db, clock, provider)

    assert counts == {"checked": 1, "repaired": 1, "failed": 0}
    repaired = state_with_stock(db, order_id, products)
    assert_paid_once(repaired, intent_id, stock_before)
    # Nothing is left to repair, and the webhook Stripe retries later changes nothing.
    assert repair_unsettled_payments(db, clock, provider) == {"checked": 0, "repaired": 0, "failed": 0}
    assert deliver(client, webhook).get_json() == {"received": True, "duplicate": False}
    after_retry = state_with_stock(db, order_id, products)
    assert (len(after_retry.pop("webhook_events")), repaired.pop("webhook_events")) == (1, [])
    assert after_retry == repaired


class DiesAsStripeAnswers:
    """The app's Stripe provider, but the process dies as the answer to create_payment arrives."""

    name = "stripe"

    def __init__(self, provider: StripeProvider) -> None:
        self._provider = provider
        self.created: list[str] = []

    def create_payment(self, **kwargs: Any) -> ProviderPayment:
        answer = self._provider.create_payment(**kwargs)
        self.created.append(answer.provider_ref)
        raise Crash("died before recording the PaymentIntent")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider, name)


class DiesBeforeCallingStripe(DiesAsStripeAnswers):
    """The app's Stripe provider, but the process dies after the pending payment's commit, before the call."""

    def create_payment(self, **kwargs: Any) -> ProviderPayment:
        raise Crash("died before calling Stripe")


def test_payment_never_sent_to_stripe_is_created_once_by_reconcile_then_settled_when_paid(
    db: Database,
    clock: FixedClock,
    localstripe_url: str,
    cart: list[dict[str, int]],
    stripe_api: stripe.StripeClient,
) -> None:
    provider = StripeProvider(secret_key=SECRET_KEY, webhook_secret=WEBHOOK_SECRET, api_base=localstripe_url)
    app = create_app(
        {"DATABASE": db, "CLOCK": clock, "TESTING": True, "SECRET_KEY": "test-secret"}
        | {"PAYMENT_PROVIDER_OBJECT": DiesBeforeCallingStripe(provider)}
    )
    products = [line["product"] for line in cart]
    stock_before = warehouse_stock(db, products)
    with pytest.raises(Crash):
        app.test_client().post("/api/v1/orders", json={"lines": cart, "contact": CONTACT})
    with db.unit_of_work() as session:
        (order_id,) = session.scalars(select(Payment.order_id).where(Payment.provider_ref.is_(None))).all()

    assert repair_unsettled_payments(db, clock, provider) == {"checked": 1, "repaired": 1, "failed": 0}

    waiting = order_state(db, order_id)
    ((_, intent_id, status, amount, captured, refunded),) = waiting["payments"]
    assert (status, amount, captured, refunded) == ("requires_payment", TOTAL, 0, 0)
    assert_unpaid(waiting)
    intent = stripe_api.v1.payment_intents.retrieve(intent_id).to_dict()
    assert (intent["description"], intent["metadata"]["order_id"]) == ("dongxi storefront", order_id)
    pay_with_visa(stripe_api, intent_id)  # the shopper pays; the webhook is lost as well
    assert repair_unsettled_payments(db, clock, provider) == {"checked": 1, "repaired": 1, "failed": 0}
    assert_paid_once(state_with_stock(db, order_id, products), intent_id, stock_before)


def create_intent(api: stripe.StripeClient, key: str, description: str = "") -> str:
    """Create a ¥29.90 card PaymentIntent with this idempotency key; return its id."""
    intent = api.v1.payment_intents.create(
        params={
            "amount": 2990,
            "currency": "cny",
            "payment_method_types": ["card"],
            "description": description,
        },
        options={"idempotency_key": key},
    )
    return intent.id


def test_localstripe_ignores_idempotency_keys(stripe_api: stripe.StripeClient) -> None:
    """Why IdempotentStripe exists: localstripe creates a second PaymentIntent where Stripe would not."""
    key = f"same-key-{uuid.uuid4()}"

    assert create_intent(stripe_api, key) != create_intent(stripe_api, key)


def test_idempotent_stripe_answers_a_repeated_key_as_stripe_documents(localstripe_url: str) -> None:
    layer = IdempotentStripe()
    api = stripe.StripeClient(
        SECRET_KEY, base_addresses={"api": localstripe_url}, http_client=layer, max_network_retries=0
    )
    key = f"key-{uuid.uuid4()}"

    first = create_intent(api, key)

    assert create_intent(api, key) == first
    with pytest.raises(stripe.IdempotencyError):
        create_intent(api, key, description="another request")
    assert layer.forwarded == ["/v1/payment_intents"], "only the first request reached localstripe"


def test_payment_intent_stripe_created_but_we_never_recorded_is_found_again_by_its_idempotency_key(
    db: Database,
    clock: FixedClock,
    localstripe_url: str,
    cart: list[dict[str, int]],
    stripe_api: stripe.StripeClient,
) -> None:
    # localstripe ignores idempotency keys, so Stripe's documented behaviour is put in front of it.
    stripe_side = IdempotentStripe()
    provider = StripeProvider(
        secret_key=SECRET_KEY,
        webhook_secret=WEBHOOK_SECRET,
        api_base=localstripe_url,
        http_client=stripe_side,
        max_network_retries=0,
    )
    dying = DiesAsStripeAnswers(provider)
    app = create_app(
        {"DATABASE": db, "CLOCK": clock, "TESTING": True, "SECRET_KEY": "test-secret"}
        | {"PAYMENT_PROVIDER_OBJECT": dying}
    )
    products = [line["product"] for line in cart]
    stock_before = warehouse_stock(db, products)
    with pytest.raises(Crash):
        app.test_client().post("/api/v1/orders", json={"lines": cart, "contact": CONTACT})
    (intent_id,) = dying.created
    with db.unit_of_work() as session:
        order_id, recorded = session.execute(
            select(Payment.order_id, Payment.provider_ref).where(Payment.provider == "stripe")
        ).one()
    assert recorded is None
    assert_unpaid(order_state(db, order_id))
    pay_with_visa(stripe_api, intent_id)  # whatever happens at Stripe now, only reconciliation learns it

    counts = repair_unsettled_payments(db, clock, provider)

    assert counts == {"checked": 1, "repaired": 1, "failed": 0}
    assert stripe_side.forwarded.count("/v1/payment_intents") == 1, "no second PaymentIntent was created"
    assert_paid_once(state_with_stock(db, order_id, products), intent_id, stock_before)


def test_dongxi_payments_reconcile_command_repairs_a_lost_webhook(
    committed_sqlite: str, localstripe_url: str, stripe_api: stripe.StripeClient, tmp_path: Path
) -> None:
    app = create_app(
        {"DATABASE_URL": committed_sqlite, "TESTING": True, "SECRET_KEY": "test-secret"}
        | stripe_config(localstripe_url)
    )
    db: Database = app.extensions["dongxi.db"]
    try:
        cart = cart_of(db)
        products = [line["product"] for line in cart]
        stock_before = warehouse_stock(db, products)
        order_id = place_order(app.test_client(), cart)["order_id"]
        intent_id = provider_ref(db, order_id)
        pay_with_visa(stripe_api, intent_id)  # and the webhook is lost
        env = {
            "DATABASE_URL": committed_sqlite,
            "DONGXI_VAR_DIR": str(tmp_path / "var"),
            "SECRET_KEY": "test-secret",
            "PAYMENT_PROVIDER": "stripe",
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": localstripe_url,
        }

        # The console script's own entry point, in this process, with the environment it reads.
        run = CliRunner().invoke(cli.main, ["payments", "reconcile"], env=env)

        assert run.exit_code == 0, run.output
        assert "reconciled: checked 1, repaired 1, failed 0" in run.output
        assert_paid_once(state_with_stock(db, order_id, products), intent_id, stock_before)
    finally:
        db.engine.dispose()
