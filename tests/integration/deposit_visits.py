"""Open-door visits paid by a deposit, for the providers that hold no money (WeChat Pay, Alipay).

The scenarios drive the device API and a provider's fake through a `Provider` — how the shopper pays
a reference there (its notification delivered twice), how the provider's refund notifications
arrive, and what the provider says it refunded — and assert the documented flow (docs/DESIGN.md,
"Open-door cabinets and mainland providers"): the door opens once the deposit is paid, revenue is
booked only for what was taken, and the rest goes back as one refund of the payment's surplus.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from core.clock import Clock
from core.db import Database
from payments.models import Payment
from sales.money_audit import audit_money
from tests.api.kiosk.conftest import SignedKiosk, stocked_slots
from tests.integration.stripe_orders.harness import order_state


@dataclass(frozen=True)
class Provider:
    name: str
    qr_prefix: str
    # The shopper pays this provider reference; the function returned delivers its notification twice.
    pay_unheard: Callable[[str], Callable[[], None]]
    settle_refunds: Callable[[], None]  # every refund the provider still processes reaches the shopper
    refunded: Callable[[str], list[int]]  # the refunds the provider made on this reference, in fen

    def pay(self, ref: str) -> None:
        """The shopper pays, and the notification arrives (twice)."""
        self.pay_unheard(ref)()


def _ref(db: Database, order_id: str) -> str:
    with db.unit_of_work() as session:
        ref = session.scalar(select(Payment.provider_ref).where(Payment.order_id == order_id))
    assert ref
    return ref


def _audit_passes(db: Database, clock: Clock) -> None:
    with db.unit_of_work() as session:
        audit = audit_money(session, clock)
    failing = {c.code: c.rows for c in audit.checks if not c.passed}
    assert not failing, failing


def open_with_deposit(kiosk: SignedKiosk, db: Database, clock: Clock, provider: Provider) -> tuple[str, str]:
    """Start a visit, see that it asks for a deposit, pay it: the door may open. Return order and ref."""
    started = kiosk.post("/door-sessions", {})
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    assert body["deposit"] is True and body["hold_fen"] == 20000
    assert body["payment"]["qr_payload"].startswith(provider.qr_prefix)
    order_id = body["order_id"]
    assert kiosk.get(f"/orders/{order_id}").get_json()["status"] == "awaiting_authorization"
    ref = _ref(db, order_id)
    provider.pay(ref)
    assert kiosk.get(f"/orders/{order_id}").get_json()["status"] == "authorized", "the door may open"
    state = order_state(db, order_id)
    assert state["order"][1:3] == (0, 0), "nothing is the order's yet"
    assert state["payments"] == [(provider.name, ref, "succeeded", 20000, 20000, 0)]
    assert state["revenue"] == []
    _audit_passes(db, clock)  # the deposit of a visit in progress is neither revenue nor an overpayment
    return order_id, ref


def visit_taking_three_units(kiosk: SignedKiosk, db: Database, clock: Clock, provider: Provider) -> None:
    a, b = stocked_slots(kiosk)[:2]
    order_id, ref = open_with_deposit(kiosk, db, clock, provider)
    report: dict[str, Any] = {
        "report_id": str(uuid.uuid4()),
        "taken": [{"slot": a["slot"], "qty": 1}, {"slot": b["slot"], "qty": 2}],
    }
    closed = kiosk.post(f"/orders/{order_id}/door-closed", report)
    assert closed.status_code == 200, closed.get_json()
    taken = a["product"]["price_fen"] + 2 * b["product"]["price_fen"]
    rest = 20000 - taken
    assert closed.get_json()["status"] == "completed"
    assert (closed.get_json()["total_fen"], closed.get_json()["refunded_fen"]) == (taken, rest)
    assert provider.refunded(ref) == [rest], "one partial refund of what was not taken"
    provider.settle_refunds()

    state = order_state(db, order_id)
    assert state["order"] == ("completed", taken, taken, 0)
    assert state["payments"] == [(provider.name, ref, "succeeded", 20000, 20000, rest)]
    assert [r[:2] for r in state["refunds"]] == [(rest, "succeeded")]
    assert sum(e.amount_fen for e in state["revenue"]) == taken, "revenue only for what was taken"
    again = kiosk.post(f"/orders/{order_id}/door-closed", report)
    assert again.get_json() == closed.get_json()
    assert order_state(db, order_id) == state, "the repeated report changed nothing"
    assert provider.refunded(ref) == [rest]
    _audit_passes(db, clock)


def visit_taking_nothing(kiosk: SignedKiosk, db: Database, clock: Clock, provider: Provider) -> None:
    order_id, ref = open_with_deposit(kiosk, db, clock, provider)
    closed = kiosk.post(f"/orders/{order_id}/door-closed", {"report_id": str(uuid.uuid4()), "taken": []})
    assert closed.status_code == 200, closed.get_json()
    assert (closed.get_json()["total_fen"], closed.get_json()["refunded_fen"]) == (0, 20000)
    assert provider.refunded(ref) == [20000]
    provider.settle_refunds()
    state = order_state(db, order_id)
    assert state["order"] == ("completed", 0, 0, 0)
    assert [r[:2] for r in state["refunds"]] == [(20000, "succeeded")]
    assert state["revenue"] == []
    _audit_passes(db, clock)


def deposit_paid_as_the_kiosk_cancelled(
    kiosk: SignedKiosk, db: Database, clock: Clock, provider: Provider
) -> None:
    """The shopper pays just as the kiosk gives up: the cancel meets a paid payment, so the deposit is a
    late payment and goes back whole; its notification, when it comes, changes nothing."""
    order_id = kiosk.post("/door-sessions", {}).get_json()["order_id"]
    ref = _ref(db, order_id)
    notify = provider.pay_unheard(ref)
    cancelled = kiosk.post(f"/orders/{order_id}/cancel", {})
    assert cancelled.status_code == 200, cancelled.get_json()
    assert provider.refunded(ref) == [20000]
    notify()
    provider.settle_refunds()
    state = order_state(db, order_id)
    assert state["order"] == ("cancelled", 0, 0, 0)
    assert state["payments"] == [(provider.name, ref, "succeeded", 20000, 20000, 20000)]
    assert [r[:2] for r in state["refunds"]] == [(20000, "succeeded")]
    assert state["revenue"] == []
    _audit_passes(db, clock)
