"""Repairing what a crash or a lost webhook left behind, from the provider's own records."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from core.clock import Clock
from core.db import Database
from core.errors import DomainError
from payments.models import Payment
from payments.providers.base import PaymentProvider
from sales.models import Order
from sales.payment_flow import create_request, record_created, settle_order, sync_with_answer
from sales.refunds import check_answered_refunds, pay_out_refunds

# Orders still waiting on the provider, and payments it may still move (take, hold or release
# money). A lapsed order whose payment the provider cancelled or failed is settled and drops out;
# a late capture on one is a refund's business (process_pending_refunds), not this run's.
WAITING_ORDER_STATUSES = ("awaiting_payment", "awaiting_authorization", "authorized")
OPEN_PAYMENT_STATUSES = ("pending", "requires_payment", "requires_payment_method", "requires_capture")


def repair_unsettled_payments(
    db: Database, clock: Clock, provider: PaymentProvider, log: Callable[[str], None] = lambda _m: None
) -> dict[str, int]:
    """Fetch every unsettled payment from the provider and apply what it says; return counts."""
    with db.unit_of_work() as session:
        rows = session.execute(
            select(Payment.id, Payment.order_id)
            .join(Order, Order.id == Payment.order_id)
            .where(
                Payment.provider == provider.name,
                Order.status.in_(WAITING_ORDER_STATUSES) | Payment.status.in_(OPEN_PAYMENT_STATUSES),
            )
            .order_by(Payment.id)
        ).all()
    counts = {"checked": 0, "repaired": 0, "failed": 0}
    for i, (payment_id, order_id) in enumerate(rows, 1):
        counts["checked"] += 1
        try:
            counts["repaired"] += _repair_one(db, clock, provider, payment_id, order_id)
        except DomainError as exc:  # one payment the provider will not settle must not stop the run
            counts["failed"] += 1
            log(f"order {order_id}: {exc.message}")
        if i % 50 == 0 or i == len(rows):
            log(f"{i}/{len(rows)} payments checked")
    return counts


def reconcile(
    db: Database, clock: Clock, provider: PaymentProvider, log: Callable[[str], None] = lambda _m: None
) -> dict[str, int]:
    """`dongxi payments reconcile`: repair the unsettled payments, then settle the pending refunds."""
    counts = repair_unsettled_payments(db, clock, provider, log)
    return counts | repair_pending_refunds(db, clock, provider, log)


def repair_pending_refunds(
    db: Database, clock: Clock, provider: PaymentProvider, log: Callable[[str], None] = lambda _m: None
) -> dict[str, int]:
    """Pay out the pending refunds the provider never answered (a crash, a failed call), then ask it
    about those it answered `pending`; return counts by the status each ends in."""
    paid_out = pay_out_refunds(db, clock, provider, log=log)
    log(f"{paid_out.total()} unanswered refunds sent to the provider")
    checked = check_answered_refunds(db, clock, provider, log=log)
    log(f"{checked.total()} refunds pending at the provider checked")
    both = paid_out + checked
    return {f"refunds_{status}": both[status] for status in ("succeeded", "pending", "failed", "unanswered")}


def _repair_one(db: Database, clock: Clock, provider: PaymentProvider, payment_id: int, order_id: str) -> int:
    with db.unit_of_work() as session:
        payment = session.get(Payment, payment_id)
        before = (payment.provider_ref, payment.captured_fen, payment.refunded_fen, payment.status)
        request = create_request(payment, session.get(Order, order_id))
        ref = payment.provider_ref
    if ref is None:
        # We crashed before recording the provider's answer: the same idempotency key returns it again.
        answer = provider.create_payment(**request)
        with db.unit_of_work() as session:
            record_created(session.get(Payment, payment_id), answer, clock.now())
        ref = answer.provider_ref
    state = provider.get_payment(ref)
    sync_with_answer(db, clock, payment_id, state, actor=f"{provider.name}:reconcile")
    settle_order(db, clock, provider, order_id)
    with db.unit_of_work() as session:
        payment = session.get(Payment, payment_id)
        after = (payment.provider_ref, payment.captured_fen, payment.refunded_fen, payment.status)
    return int(after != before)
