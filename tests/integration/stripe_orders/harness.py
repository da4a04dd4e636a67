"""Driving storefront orders through Stripe (localstripe) and our webhook, and reading their state back.

`order_state` is the canonical summary the tests compare: everything an order's payment touched
(order, lines, transitions, payment, refunds, revenue entries, stock movements, reservations,
balances, webhook events), without the ids, actors and timestamps that legitimately differ
between two deliveries of the same events.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

import stripe
from sqlalchemy import select

from core.db import Database
from inventory.models import Reservation, StockBalance, StockMovement
from payments.models import Payment, Refund, WebhookEvent
from sales.models import Order, OrderEvent, RevenueEntry
from tests.integration.payments.conftest import WEBHOOK_SECRET

WEBHOOK_PATH = "/api/v1/payments/stripe/webhook"
CONTACT = {"name": "王芳", "phone": "+86 138 0000 0000", "address": "福州市鼓楼区五四路 1 号"}
# Stripe's documented Event envelope: https://docs.stripe.com/api/events/object
API_VERSION = "2025-09-30.clover"


class Entry(NamedTuple):
    """A revenue entry, by the line number it belongs to."""

    kind: str
    line_no: int
    county: str
    supplier_id: int
    channel: str
    buyer_kind: str
    partner: str | None
    location_id: int | None
    certified: bool
    qty: int
    amount_fen: int
    commission_fen: int
    period: str


class Movement(NamedTuple):
    kind: str
    product_id: int
    lot_id: int
    qty: int
    from_location_id: int | None
    to_location_id: int | None
    reason: str


class Hold(NamedTuple):
    """A reservation."""

    status: str
    location_id: int
    product_id: int
    lot_id: int
    qty: int


def signed_headers(payload: bytes, *, secret: str = WEBHOOK_SECRET, age_seconds: int = 0) -> dict[str, str]:
    """Stripe-Signature `t=…,v1=HMAC-SHA256(secret, "t.payload")`, made by the library's own scheme."""
    at = int(time.time()) - age_seconds
    header = stripe.WebhookSignature.generate_signature_header(payload.decode(), secret, timestamp=at)
    return {"Content-Type": "application/json", "Stripe-Signature": header}


def deliver(client: Any, payload: bytes, headers: Mapping[str, str] | None = None) -> Any:
    """POST one event to our webhook, signed afresh (as Stripe signs each retry) unless headers are given."""
    return client.post(WEBHOOK_PATH, data=payload, headers=dict(headers or signed_headers(payload)))


def event_body(
    obj: Mapping[str, Any], event_type: str, *, previous: Mapping[str, Any] | None = None
) -> bytes:
    """An Event in Stripe's documented envelope around obj, with a fresh evt_ id."""
    data: dict[str, Any] = {"object": dict(obj)}
    if previous is not None:
        data["previous_attributes"] = dict(previous)
    event = {
        "id": f"evt_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": f"req_{secrets.token_hex(7)}", "idempotency_key": None},
        "type": event_type,
    }
    return json.dumps(event).encode()


def charge_refunded_event(
    stripe_api: stripe.StripeClient, payment_intent_id: str, previous_refunded: int
) -> bytes:
    """charge.refunded for a PaymentIntent's charge, as localstripe holds that Charge now.

    localstripe emits no charge.refunded, so the event is built here: the real Charge object fetched
    from localstripe, in Stripe's documented Event shape, with `previous_attributes` as Stripe sends.
    """
    intent = stripe_api.v1.payment_intents.retrieve(payment_intent_id).to_dict()
    latest = intent["latest_charge"]
    charge = stripe_api.v1.charges.retrieve(latest if isinstance(latest, str) else latest["id"]).to_dict()
    assert charge["refunded"] or charge["amount_refunded"] > previous_refunded, "no refund to report"
    return event_body(charge, "charge.refunded", previous={"amount_refunded": previous_refunded})


def pay_with_visa(stripe_api: stripe.StripeClient, payment_intent_id: str) -> dict[str, Any]:
    """The shopper pays a waiting PaymentIntent with Stripe's test card pm_card_visa.

    localstripe's confirm refuses a payment_method parameter ("Not implemented"), so the card is
    attached first, as Stripe.js does when the shopper enters it, and the intent then confirmed.
    """
    stripe_api.v1.payment_intents.update(payment_intent_id, params={"payment_method": "pm_card_visa"})
    intent = stripe_api.v1.payment_intents.confirm(payment_intent_id).to_dict()
    assert intent["status"] == "succeeded", intent["status"]
    return intent


def place_order(client: Any, lines: list[dict[str, int]], key: str | None = None) -> dict[str, Any]:
    """POST a storefront order and return its JSON; fail unless it was created."""
    headers = {"Idempotency-Key": key} if key else {}
    response = client.post("/api/v1/orders", json={"lines": lines, "contact": CONTACT}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def provider_ref(db: Database, order_id: str) -> str | None:
    """The PaymentIntent id our payment row records for an order."""
    with db.unit_of_work() as session:
        return session.scalar(select(Payment.provider_ref).where(Payment.order_id == order_id))


def warehouse_stock(db: Database, product_ids: list[int]) -> dict[tuple[int, int], tuple[int, int]]:
    """(location, product) → (on hand, reserved) over every lot at the warehouses."""
    with db.unit_of_work() as session:
        rows = session.execute(
            select(
                StockBalance.location_id, StockBalance.product_id, StockBalance.on_hand, StockBalance.reserved
            )
            .where(StockBalance.product_id.in_(product_ids), StockBalance.slot_id.is_(None))
            .order_by(StockBalance.id)
        ).all()
    totals: dict[tuple[int, int], tuple[int, int]] = {}
    for location, product, on_hand, reserved in rows:
        known = totals.get((location, product), (0, 0))
        totals[(location, product)] = (known[0] + on_hand, known[1] + reserved)
    return totals


def order_state(db: Database, order_id: str) -> dict[str, Any]:
    """The canonical summary of everything an order's payment touched (see the module docstring)."""
    with db.unit_of_work() as session:
        order = session.get(Order, order_id)
        assert order is not None
        line_no = {line.id: line.line_no for line in order.lines}
        payments = list(session.scalars(select(Payment).where(Payment.order_id == order_id)))
        refunds = list(session.scalars(select(Refund).where(Refund.payment_id.in_([p.id for p in payments]))))
        refs = {p.provider_ref for p in payments if p.provider_ref}
        events = session.execute(select(WebhookEvent.event_id, WebhookEvent.payload)).all()
        products = [line.product_id for line in order.lines]
        return {
            "order": (order.status, order.total_fen, order.captured_fen, order.refunded_fen),
            "transitions": [
                (e.from_status, e.to_status, e.reason)
                for e in session.scalars(
                    select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
                )
            ],
            "lines": [(ln.line_no, ln.qty, ln.refunded_qty, ln.refunded_fen) for ln in order.lines],
            "payments": sorted(
                (p.provider, p.provider_ref, p.status, p.amount_fen, p.captured_fen, p.refunded_fen)
                for p in payments
            ),
            "refunds": sorted(
                (
                    r.amount_fen,
                    r.status,
                    r.reason,
                    tuple(sorted((line_no[x["line_id"]], x["qty"], x["amount_fen"]) for x in r.lines)),
                )
                for r in refunds
            ),
            "revenue": sorted(
                Entry(
                    e.kind,
                    line_no[e.order_line_id],
                    e.county_code,
                    e.supplier_id,
                    e.channel,
                    e.buyer_kind,
                    e.partner_code,
                    e.location_id,
                    e.certified,
                    e.qty,
                    e.amount_fen,
                    e.commission_fen,
                    e.period,
                )
                for e in session.scalars(select(RevenueEntry).where(RevenueEntry.order_id == order_id))
            ),
            "stock_movements": sorted(
                Movement(
                    m.kind,
                    m.product_id,
                    m.lot_id,
                    m.qty,
                    m.from_location_id,
                    m.to_location_id,
                    m.reason or "",
                )
                for m in session.scalars(select(StockMovement).where(StockMovement.reference == order_id))
            ),
            "reservations": sorted(
                Hold(r.status, r.location_id, r.product_id, r.lot_id, r.qty)
                for r in session.scalars(select(Reservation).where(Reservation.order_ref == order_id))
            ),
            "balances": sorted(
                (b.location_id, b.product_id, b.lot_id, b.on_hand, b.reserved)
                for b in session.scalars(
                    select(StockBalance).where(
                        StockBalance.location_id == order.location_id, StockBalance.product_id.in_(products)
                    )
                )
            ),
            "webhook_events": sorted(
                event_id
                for event_id, payload in events
                if _concerns(payload.get("data", {}).get("object", {}), refs)
            ),
        }


def _concerns(obj: Mapping[str, Any], refs: set[str]) -> bool:
    return obj.get("id") in refs or obj.get("payment_intent") in refs


class IdempotentStripe(stripe.RequestsClient):
    """Stripe's documented idempotency (https://docs.stripe.com/api/idempotent_requests) in front of
    localstripe, which ignores the Idempotency-Key header (see test_localstripe_ignores_idempotency_keys).

    The first POST with a key goes to localstripe and its successful answer is kept; the same key
    again gets that answer back without reaching localstripe, and the same key with other
    parameters is refused with an `idempotency_error`, as Stripe refuses it.
    """

    def __init__(self) -> None:
        super().__init__(timeout=10)
        self._answers: dict[str, tuple[tuple[str, list[tuple[str, str]]], Any]] = {}
        self._lock = threading.Lock()
        self.forwarded: list[str] = []  # paths of the keyed POSTs that reached localstripe

    def request(self, method: str, url: str, headers: Mapping[str, str] | None, post_data: Any = None) -> Any:
        key = next((v for k, v in (headers or {}).items() if k.lower() == "idempotency-key"), None)
        if method.lower() != "post" or key is None:
            return super().request(method, url, headers, post_data)
        body = post_data.decode() if isinstance(post_data, bytes) else str(post_data or "")
        asked = (urlsplit(url).path, sorted(parse_qsl(body, keep_blank_values=True)))
        with self._lock:
            if key in self._answers:
                first, answer = self._answers[key]
                return answer if first == asked else _idempotency_error(key)
            answer = super().request(method, url, headers, post_data)
            self.forwarded.append(asked[0])
            if answer[1] < 400:  # Stripe keeps no result for a request it refused before executing it
                self._answers[key] = (asked, answer)
            return answer


def _idempotency_error(key: str) -> tuple[bytes, int, dict[str, str]]:
    body = {
        "error": {
            "type": "idempotency_error",
            "message": (
                "Keys for idempotent requests can only be used with the same parameters they were "
                f"first used with. Try using a key other than '{key}' if you meant to execute a "
                "different request."
            ),
        }
    }
    return json.dumps(body).encode(), 400, {"Content-Type": "application/json"}
