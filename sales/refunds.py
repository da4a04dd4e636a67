"""Refunds: ours (units of lines, paid out after the commit) and the provider's (running totals).

A refund is written as `pending` with its amount reserved on the payment and its negative ledger
entries; `process_pending_refunds` calls the provider afterwards, outside any lock.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import Clock
from core.db import Database
from core.errors import Conflict
from core.ids import new_token
from core.money import Money
from payments.errors import PaymentProviderError
from payments.models import Payment, Refund
from payments.providers.base import PaymentProvider
from sales import revenue
from sales.models import Order, OrderLine
from sales.provider_calls import owe_settlement
from sales.status import transition


def request_refund(
    session: Session,
    clock: Clock,
    order: Order,
    payment: Payment,
    parts: list[tuple[OrderLine, int]],
    *,
    reason: str,
    actor: str,
) -> Refund | None:
    """Write a pending refund of some units of some lines; process_pending_refunds pays it out."""
    chosen = [(line, qty) for line, qty in parts if qty > 0]
    if not chosen:
        return None
    amounts = []
    for line, qty in chosen:
        if line.refunded_qty + qty > line.qty:
            raise Conflict(
                "cannot refund more units than were sold",
                code="refund_too_large",
                fields={"qty": f"at most {line.qty - line.refunded_qty}"},
            )
        # Money already refunded on this line without units (at the provider) is not refunded twice.
        amounts.append((line, qty, min(line.unit_price_fen * qty, line.line_total_fen - line.refunded_fen)))
    total = sum(a for _, _, a in amounts)
    if total == 0:  # the money went back already (refunded at the provider): only the units are recorded
        _apply_refund_to_order(session, clock, order, amounts, actor, reason)
        return None
    refund = Refund(
        payment=payment,
        amount_fen=total,
        reason=reason,
        status="pending",
        actor=actor,
        idempotency_key=f"refund-{order.id}-{new_token(8)}",
        created_at=clock.now(),
        lines=[{"line_id": line.id, "qty": qty, "amount_fen": amount} for line, qty, amount in amounts],
    )
    session.add(refund)
    owe_settlement(session, order.id)  # paid out after the commit
    payment.refunded_fen += total  # reserved now, so a provider event for this refund adds nothing twice
    _apply_refund_to_order(session, clock, order, amounts, actor, reason)
    session.flush()  # the ledger entries below refer to the refund's id
    revenue.record_refund(session, order, amounts, clock.now(), refund.id)
    return refund


EXTERNAL_REFUND = "refunded at the provider"


def refunded_at_provider(
    session: Session, clock: Clock, order: Order, payment: Payment, amount: int, actor: str
) -> None:
    """A refund made at the provider (its dashboard): spread it over the lines.

    The provider only tells the running total, so the running total is what is spread: each line's
    share of everything refunded this way so far is computed afresh, and the difference is written.
    Two refunds therefore end the same to the fen whichever of their events arrives first."""
    before: dict[int, int] = {}
    for earlier in payment.refunds:
        if earlier.reason == EXTERNAL_REFUND:
            for part in earlier.lines:
                before[part["line_id"]] = before.get(part["line_id"], 0) + part["amount_fen"]
    # What the shopper could still get back per line, leaving out what was refunded this same way.
    weights = [line.line_total_fen - line.refunded_fen + before.get(line.id, 0) for line in order.lines]
    total = min(sum(before.values()) + amount, sum(weights))
    if total <= 0 or sum(weights) <= 0:
        return
    shares = Money(total).allocate(weights)
    amounts = [
        (line, 0, share.fen - before.get(line.id, 0))
        for line, share in zip(order.lines, shares, strict=True)
        if share.fen > before.get(line.id, 0)
    ]
    delta = sum(a for _, _, a in amounts)
    if delta <= 0:
        return
    refund = Refund(
        payment=payment,
        amount_fen=delta,
        reason=EXTERNAL_REFUND,
        status="succeeded",
        actor=actor,
        idempotency_key=f"external-{order.id}-{new_token(8)}",
        created_at=clock.now(),
        lines=[{"line_id": line.id, "qty": 0, "amount_fen": a} for line, _, a in amounts],
    )
    session.add(refund)
    payment.refunded_fen += delta
    _apply_refund_to_order(session, clock, order, amounts, actor, EXTERNAL_REFUND)
    session.flush()  # the ledger entries below refer to the refund's id
    revenue.record_refund(session, order, amounts, clock.now(), refund.id)


def _apply_refund_to_order(
    session: Session,
    clock: Clock,
    order: Order,
    amounts: list[tuple[OrderLine, int, int]],
    actor: str,
    reason: str,
) -> None:
    for line, qty, amount in amounts:
        line.refunded_qty += qty
        line.refunded_fen += amount
    order.refunded_fen += sum(a for _, _, a in amounts)
    target = "refunded" if order.refunded_fen >= order.captured_fen else "partially_refunded"
    transition(order, target, actor=actor, at=clock.now(), reason=reason)


def process_pending_refunds(
    db: Database,
    clock: Clock,
    provider: PaymentProvider,
    only_order: str | None = None,
    log: Callable[[str], None] = lambda _m: None,
) -> int:
    """Pay out pending refunds at the provider, each in its own unit of work; return how many succeeded."""
    with db.unit_of_work() as session:
        stmt = (
            select(Refund.id)
            .join(Payment)
            .where(Refund.status == "pending", Payment.provider == provider.name)
        )
        if only_order is not None:
            stmt = stmt.where(Payment.order_id == only_order)
        pending = list(session.scalars(stmt.order_by(Refund.id)))
    done = 0
    for refund_id in pending:
        with db.unit_of_work() as session:
            refund = session.get(Refund, refund_id)
            ref, amount, key, reason = (
                refund.payment.provider_ref,
                refund.amount_fen,
                refund.idempotency_key,
                refund.reason,
            )
        try:
            answer = provider.refund(ref, amount_fen=amount, idempotency_key=key, reason=reason)
        except PaymentProviderError as exc:
            log(f"refund {refund_id} not paid out yet: {exc}")
            continue
        with db.unit_of_work() as session:
            refund = session.get(Refund, refund_id)
            refund.provider_ref = answer.provider_ref
            refund.status = "succeeded" if answer.status in ("succeeded", "pending") else "failed"
            done += refund.status == "succeeded"
    return done
