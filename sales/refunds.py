"""Refunds: ours (units of lines, paid out after the commit) and the provider's (running totals).

A refund is written as `pending` with its amount reserved on the payment and its negative ledger
entries; `process_pending_refunds` calls the provider afterwards, outside any lock. It stays
`pending` until the provider says `succeeded` or `failed` (its answer, a webhook, or reconcile's
`get_refund`); one that failed is booked back by compensating entries and alerts an operator.
`dongxi payments reconcile` pays out what a crash or a failed call left unanswered.

A refund of kind `overpayment` gives back a payment's surplus (money its order did not need): it
has no lines and no ledger entries and leaves the order's figures and status alone. A refund on a
bank transfer is not paid by a provider: it is a payout an operator makes (`sales.payouts`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import Clock
from core.db import Database
from core.errors import Conflict, NotFound
from core.ids import new_token
from core.money import Money, format_fen
from inventory.alerts import Alert
from inventory.models import Location
from payments.errors import PaymentProviderError
from payments.models import Payment, Refund
from payments.providers.base import PaymentProvider, ProviderRefund
from sales import revenue
from sales.models import Order, OrderEvent, OrderLine
from sales.orders import get_order
from sales.provider_calls import owe_settlement
from sales.status import transition


def refund_amounts(parts: list[tuple[OrderLine, int]]) -> list[tuple[OrderLine, int, int]]:
    """(line, units, fen) of the units to refund (none of a zero): never more units than are left,
    nor money already refunded on a line without units (at the provider) a second time."""
    amounts = []
    for line, qty in parts:
        if qty <= 0:
            continue
        if line.refunded_qty + qty > line.qty:
            raise Conflict(
                "cannot refund more units than were sold",
                code="refund_too_large",
                fields={"qty": f"at most {line.qty - line.refunded_qty}"},
            )
        amounts.append((line, qty, min(line.unit_price_fen * qty, line.line_total_fen - line.refunded_fen)))
    return amounts


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
    amounts = refund_amounts(parts)
    if not amounts:
        return None
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


OVERPAYMENT = "overpayment: money the order did not need"


def refund_overpayment(
    session: Session, clock: Clock, payment: Payment, amount: int, *, actor: str, reason: str = OVERPAYMENT
) -> Refund:
    """Write a pending refund of a payment's surplus (no lines, no ledger entries, the order as it
    is): the provider pays it out after the commit; on a bank transfer it is a payout owed."""
    refund = Refund(
        payment=payment,
        amount_fen=amount,
        kind="overpayment",
        reason=reason,
        status="pending",
        actor=actor,
        idempotency_key=f"overpaid-{payment.order_id}-{new_token(8)}",
        created_at=clock.now(),
        lines=[],
    )
    session.add(refund)
    payment.refunded_fen += amount  # reserved now, as for any refund
    owe_settlement(session, payment.order_id)  # paid out after the commit
    return refund


def unreturned_surplus(payment: Payment) -> int:
    """What of a payment's surplus no refund (pending or succeeded) gives back yet."""
    returning = sum(r.amount_fen for r in payment.refunds if r.kind == "overpayment" and r.status != "failed")
    return max(payment.surplus_fen - returning, 0)


EXTERNAL_REFUND = "refunded at the provider"


def refunded_at_provider(
    session: Session, clock: Clock, order: Order, payment: Payment, amount: int, actor: str
) -> list[Refund]:
    """A refund made at the provider (its dashboard): spread it over the lines.

    The provider only tells the running total, so the running total is what is spread: each line's
    share of everything refunded this way so far is computed afresh, and the difference is written.
    Two refunds therefore end the same to the fen whichever of their events arrives first.
    A payment's surplus not yet being given back is what such a refund returns first. Returns the
    refunds it wrote (none if the running total was booked already)."""
    written: list[Refund] = []
    surplus = min(unreturned_surplus(payment), amount)
    if surplus:
        refund = refund_overpayment(session, clock, payment, surplus, actor=actor, reason=EXTERNAL_REFUND)
        refund.status = "succeeded"
        written.append(refund)
        amount -= surplus
    if amount <= 0 or payment.captured_fen <= payment.surplus_fen:
        return written
    before: dict[int, int] = {}
    for earlier in payment.refunds:
        if earlier.reason == EXTERNAL_REFUND:
            for part in earlier.lines:
                before[part["line_id"]] = before.get(part["line_id"], 0) + part["amount_fen"]
    # What the shopper could still get back per line, leaving out what was refunded this same way.
    weights = [line.line_total_fen - line.refunded_fen + before.get(line.id, 0) for line in order.lines]
    total = min(sum(before.values()) + amount, sum(weights))
    if total <= 0 or sum(weights) <= 0:
        return written
    shares = Money(total).allocate(weights)
    amounts = [
        (line, 0, share.fen - before.get(line.id, 0))
        for line, share in zip(order.lines, shares, strict=True)
        if share.fen > before.get(line.id, 0)
    ]
    delta = sum(a for _, _, a in amounts)
    if delta <= 0:
        return written
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
    return [*written, refund]


def book_provider_refund(
    session: Session, clock: Clock, order: Order, payment: Payment, refund: ProviderRefund, actor: str
) -> None:
    """A refund made at the provider (its merchant platform) that only its own notification tells
    about: booked as refunded_at_provider books one, keyed by the provider's refund reference so
    that the next notification about it finds it and changes nothing."""
    for written in refunded_at_provider(session, clock, order, payment, refund.amount_fen, actor):
        written.provider_ref = refund.provider_ref


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
    return pay_out_refunds(db, clock, provider, only_order=only_order, log=log)["succeeded"]


def pay_out_refunds(
    db: Database,
    clock: Clock,
    provider: PaymentProvider,
    only_order: str | None = None,
    log: Callable[[str], None] = lambda _m: None,
) -> Counter[str]:
    """Ask the provider to pay out every pending refund it has not answered yet (after a crash or a
    failed call too: the same idempotency key makes a repeat harmless); count the answers by status,
    and `unanswered` for the calls that failed."""
    with db.unit_of_work() as session:
        stmt = (
            select(Refund.id)
            .join(Payment)
            .where(
                Refund.status == "pending", Refund.provider_ref.is_(None), Payment.provider == provider.name
            )
        )
        if only_order is not None:
            stmt = stmt.where(Payment.order_id == only_order)
        pending = list(session.scalars(stmt.order_by(Refund.id)))
    counts: Counter[str] = Counter()
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
            counts["unanswered"] += 1
            continue
        counts[record_refund_answer(db, clock, refund_id, answer, actor=f"{provider.name}:refund")] += 1
    return counts


def check_answered_refunds(
    db: Database, clock: Clock, provider: PaymentProvider, log: Callable[[str], None] = lambda _m: None
) -> Counter[str]:
    """Ask the provider about every refund it answered `pending`, and record what it says now."""
    with db.unit_of_work() as session:
        waiting = list(
            session.execute(
                select(Refund.id, Refund.provider_ref)
                .join(Payment)
                .where(
                    Refund.status == "pending",
                    Refund.provider_ref.is_not(None),
                    Payment.provider == provider.name,
                )
                .order_by(Refund.id)
            )
        )
    counts: Counter[str] = Counter()
    for refund_id, ref in waiting:
        try:
            answer = provider.get_refund(ref)
        except PaymentProviderError as exc:
            log(f"refund {refund_id}: the provider did not answer: {exc}")
            counts["unanswered"] += 1
            continue
        counts[record_refund_answer(db, clock, refund_id, answer, actor=f"{provider.name}:reconcile")] += 1
    return counts


def record_refund_answer(
    db: Database, clock: Clock, refund_id: int, answer: ProviderRefund, actor: str
) -> str:
    """In a unit of work of its own, apply what the provider answered about a refund; return its status."""
    with db.unit_of_work() as session:
        payment_id = session.scalar(select(Refund.payment_id).where(Refund.id == refund_id))
        payment = session.scalar(select(Payment).where(Payment.id == payment_id).with_for_update())
        return apply_refund_answer(session, clock, payment, refund_id, answer, actor=actor)


def apply_refund_answer(
    session: Session, clock: Clock, payment: Payment, refund_id: int, answer: ProviderRefund, *, actor: str
) -> str:
    """Apply the provider's view of one of our refunds (the caller holds the payment's row lock).

    `pending` stays pending with the provider's reference; `succeeded` is kept; `failed` (even after
    a success: some methods fail later) puts the money back on the books and raises an alert. A
    failed refund is final here: an operator retries it as a new refund (`retry_refund`)."""
    refund = session.scalar(select(Refund).where(Refund.id == refund_id).with_for_update())
    if refund.status == "failed":
        return refund.status
    refund.provider_ref = refund.provider_ref or answer.provider_ref
    if answer.status == "succeeded":
        refund.status = "succeeded"
    elif answer.status == "failed":
        _book_back(session, clock, payment, refund, actor)
    return refund.status


def refund_by_provider_ref(session: Session, payment: Payment, provider_ref: str) -> int | None:
    """The id of the refund of this payment that the provider knows by provider_ref, if any."""
    return session.scalar(
        select(Refund.id).where(Refund.payment_id == payment.id, Refund.provider_ref == provider_ref)
    )


def _book_back(session: Session, clock: Clock, payment: Payment, refund: Refund, actor: str) -> None:
    """Undo a failed refund's booking: its reservation on the payment, the lines' and order's refunded
    amounts, the order's status, and its ledger entries (by compensating entries); alert an operator."""
    order = get_order(session, payment.order_id, lock=True)
    if refund.kind == "overpayment":  # the surplus is still held: the order itself is as it was
        payment.refunded_fen -= refund.amount_fen
        refund.status = "failed"
        return
    lines = {line.id: line for line in order.lines}
    for part in refund.lines:
        line = lines[part["line_id"]]
        line.refunded_qty -= part["qty"]
        line.refunded_fen -= part["amount_fen"]
    order.refunded_fen -= refund.amount_fen
    payment.refunded_fen -= refund.amount_fen
    refund.status = "failed"
    target = "partially_refunded" if order.refunded_fen > 0 else _status_before_refunds(session, order)
    transition(
        order, target, actor=actor, at=clock.now(), reason=f"refund {refund.id} failed at the provider"
    )
    revenue.record_refund_reversal(session, refund.id, clock.now())


def _status_before_refunds(session: Session, order: Order) -> str:
    """The status the order had before its first refund (paid, fulfilled or completed)."""
    refunding = ("partially_refunded", "refunded")
    before = session.scalar(
        select(OrderEvent.from_status)
        .where(
            OrderEvent.order_id == order.id,
            OrderEvent.to_status.in_(refunding),
            OrderEvent.from_status.not_in(refunding),
        )
        .order_by(OrderEvent.id.desc())
        .limit(1)
    )
    return before if before in ("paid", "fulfilled", "completed") else "paid"


# A retry's reason names the refund it retries ("retry of refund 12: …"); the alerts read it back.
RETRY_OF = "retry of refund "


def retry_refund(session: Session, clock: Clock, refund_id: int, *, actor: str) -> Refund:
    """Write a failed refund again as a new pending refund of the same units (a new idempotency key:
    the provider remembers the failure under the old one); it is paid out after the commit."""
    failed = session.get(Refund, refund_id)
    if failed is None:
        raise NotFound(f"no refund {refund_id}", code="refund_not_found")
    if failed.status != "failed":
        raise Conflict(
            f"refund {refund_id} is {failed.status}; only a failed refund is retried",
            code="refund_not_failed",
            fields={"refund": failed.status},
        )
    payment = session.scalar(select(Payment).where(Payment.id == failed.payment_id).with_for_update())
    order = get_order(session, payment.order_id, lock=True)
    reason = f"{RETRY_OF}{failed.id}: {failed.reason}"
    if failed.kind == "overpayment":
        amount = min(failed.amount_fen, unreturned_surplus(payment))
        if amount <= 0:
            raise Conflict(f"refund {refund_id} has nothing left to refund", code="refund_nothing_left")
        return refund_overpayment(session, clock, payment, amount, actor=actor, reason=reason)
    lines = {line.id: line for line in order.lines}
    parts = [(lines[part["line_id"]], part["qty"]) for part in failed.lines]
    refund = request_refund(session, clock, order, payment, parts, reason=reason, actor=actor)
    if refund is None:
        raise Conflict(f"refund {refund_id} has nothing left to refund", code="refund_nothing_left")
    return refund


def failed_refund_alerts(session: Session) -> list[Alert]:
    """Failed refunds not yet retried: money a shopper is owed, for an operator to retry
    (`dongxi payments retry-refund ID`) or settle by hand."""
    retried = {
        int(reason.split(":", 1)[0].removeprefix(RETRY_OF))
        for reason in session.scalars(select(Refund.reason).where(Refund.reason.like(f"{RETRY_OF}%:%")))
    }
    rows = session.execute(
        select(Refund, Order, Location)
        .join(Payment, Payment.id == Refund.payment_id)
        .join(Order, Order.id == Payment.order_id)
        .outerjoin(Location, Location.id == Order.location_id)
        .where(Refund.status == "failed")
        .order_by(Refund.id)
    ).all()
    return [
        Alert(
            kind="refund_failed",
            severity="critical",
            location=location,
            product=None,
            qty=0,
            message=(
                f"订单 {order.id} 退款 {format_fen(refund.amount_fen)} 失败，请重试 · refund {refund.id} of "
                f"{format_fen(refund.amount_fen)} failed: dongxi payments retry-refund {refund.id}"
            ),
        )
        for refund, order, location in rows
        if refund.id not in retried
    ]
