"""Money moving for orders: recording what providers say, captures, refunds and their ledger entries.

Providers are never called while stock or order rows are locked: a refund is first written as
`pending` (reserving its amount on the payment), the unit of work commits, then
`process_pending_refunds` calls the provider and records the answer in a unit of work of its own.
Provider state is applied cumulatively (captured so far, refunded so far), so an event delivered
twice, late or out of order changes nothing that was already applied.

An order may have several payments (a bulk order paid online and by transfer, a pay page opened
twice). A capture applies to the order only what it still needs; the rest is the payment's
surplus, recorded on it and given back at once by a refund of kind `overpayment` (no lines, no
revenue entries): paid out by the provider after the commit, or, for a bank transfer, owed as a
payout an operator makes (`sales.payouts`). So a late capture is never refused, and revenue is
booked once, for the money the order needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.clock import Clock
from core.db import Database, UnitOfWork
from core.ids import new_token
from inventory import service as inventory
from inventory.errors import OutOfStock
from payments.errors import PaymentStateConflict
from payments.models import BankReceipt, Payment, WebhookEvent
from payments.providers import bank_transfer
from payments.providers.base import PaymentProvider, ProviderEvent, ProviderPayment
from sales import revenue
from sales.models import Order
from sales.orders import get_order
from sales.provider_calls import owe_settlement, settlements_owed
from sales.refunds import (
    apply_refund_answer,
    book_provider_refund,
    process_pending_refunds,
    refund_by_provider_ref,
    refund_overpayment,
    refunded_at_provider,
    request_refund,
)
from sales.status import OPEN_STATUSES, can_transition, transition


def new_payment(
    session: Session,
    order: Order,
    *,
    provider: str,
    amount_fen: int,
    capture_mode: str,
    method: str,
    at: datetime,
) -> Payment:
    """Write the pending payment of an order (the provider is called after commit)."""
    session.flush()  # payments know orders by key only, so the order's row must exist first
    payment = Payment(
        order_id=order.id,
        provider=provider,
        method=method,
        capture_mode=capture_mode,
        status="pending",
        amount_fen=amount_fen,
        captured_fen=0,
        refunded_fen=0,
        surplus_fen=0,
        idempotency_key=f"pay-{order.id}-{new_token(8)}",
        created_at=at,
        updated_at=at,
    )
    session.add(payment)
    return payment


def payment_of(session: Session, order_id: str, *, lock: bool = False) -> Payment | None:
    """Return the payment that paid an order (refunds of its lines go on it), else its latest."""
    paid_the_order = case((Payment.captured_fen > Payment.surplus_fen, 1), else_=0)
    stmt = (
        select(Payment)
        .where(Payment.order_id == order_id)
        .order_by(paid_the_order.desc(), Payment.id.desc())
        .limit(1)
    )
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def start_payment(
    db: Database, clock: Clock, provider: PaymentProvider, payment_id: int, *, description: str = ""
) -> Payment:
    """Create the payment at the provider (outside any lock) and record its reference and QR payload."""
    with db.unit_of_work() as session:
        payment = session.get(Payment, payment_id)
        assert payment is not None
        order = get_order(session, payment.order_id)
        describe_payment(order, description)
        request = create_request(payment, order)
    open_at_provider(db, clock, provider, payment_id, request)
    with db.unit_of_work() as session:
        return session.get(Payment, payment_id)


def describe_payment(order: Order, description: str) -> None:
    """Keep the payment's description on the order before the provider is called: reconciliation
    repeats the call with the same idempotency key, and Stripe answers a repeated key only when
    every parameter is the same."""
    order.details = {**order.details, "payment_description": description}


def open_at_provider(
    db: Database, clock: Clock, provider: PaymentProvider, payment_id: int, request: dict[str, Any]
) -> ProviderPayment:
    """Create a committed pending payment at the provider, then record its answer (one UPDATE)."""
    answer = provider.create_payment(**request)
    with db.unit_of_work() as session:
        session.execute(
            update(Payment)
            .where(Payment.id == payment_id)
            .values(
                provider_ref=answer.provider_ref,
                qr_payload=answer.qr_payload,
                client_secret=answer.client_secret,
                status=answer.status,
                updated_at=clock.now(),
            )
        )
    return answer


def record_created(payment: Payment, answer: ProviderPayment, at: datetime) -> None:
    """Keep what the provider answered to a create: its reference, QR payload and client secret."""
    payment.provider_ref = answer.provider_ref
    payment.qr_payload = answer.qr_payload
    payment.client_secret = answer.client_secret
    payment.status = answer.status
    payment.updated_at = at


def sync_with_answer(
    db: Database, clock: Clock, payment_id: int, answer: ProviderPayment, actor: str
) -> None:
    """In a unit of work of its own, bring a payment up to what a provider call answered about it."""
    with db.unit_of_work() as session:
        payment = session.scalar(select(Payment).where(Payment.id == payment_id).with_for_update())
        sync_payment(
            session,
            clock,
            payment,
            status=answer.status,
            received=answer.amount_received_fen,
            refunded=None,
            actor=actor,
        )


def create_request(payment: Payment, order: Order) -> dict[str, Any]:
    """The create_payment arguments of a payment: the same on every call, so its idempotency key holds."""
    return {
        "reference": payment.order_id,
        "amount_fen": payment.amount_fen,
        "method": payment.method,
        "capture": payment.capture_mode,
        "idempotency_key": payment.idempotency_key,
        "description": order.details.get("payment_description", ""),
        "metadata": {"order_id": payment.order_id},
    }


def apply_event(
    session: Session, clock: Clock, provider_name: str, event: ProviderEvent
) -> tuple[bool, Order | None]:
    """Record a verified provider event once and apply it: return whether it was new, and the order
    it concerns (None for a duplicate or an event about no payment of ours)."""
    now = clock.now()
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # The unique key claims the event: a duplicate, even one delivered concurrently, inserts nothing.
    claimed = session.execute(
        insert(WebhookEvent)
        .values(
            provider=provider_name,
            event_id=event.event_id,
            type=event.provider_type,
            payload=dict(event.raw),
            received_at=now,
            processed_at=now,  # applied in this same transaction, or not recorded at all
        )
        .on_conflict_do_nothing(index_elements=["provider", "event_id"])
        .returning(WebhookEvent.id)
    ).first()
    if claimed is None:
        return False, None
    if not event.provider_ref:
        return True, None
    payment = session.scalar(
        select(Payment)
        .where(Payment.provider == provider_name, Payment.provider_ref == event.provider_ref)
        .with_for_update()
    )
    if payment is None:
        return True, None
    if event.type == "refund_updated" and event.refund is not None:
        refund_id = refund_by_provider_ref(session, payment, event.refund.provider_ref)
        actor = f"{provider_name}:{event.event_id}"
        if refund_id is None:  # a refund made at the provider: booked once it succeeded
            if not (event.refund_is_its_own_record and event.refund.status == "succeeded"):
                return True, None  # (or by the running total its provider sends, Stripe's charge.refunded)
            order = get_order(session, payment.order_id, lock=True)
            with session.no_autoflush:
                book_provider_refund(session, clock, order, payment, event.refund, actor)
            return True, order
        apply_refund_answer(session, clock, payment, refund_id, event.refund, actor=actor)
        return True, get_order(session, payment.order_id)
    order = sync_payment(
        session,
        clock,
        payment,
        status=event.status,
        received=event.amount_received_fen,
        refunded=event.amount_refunded_fen,
        actor=f"{provider_name}:{event.event_id}",
    )
    return True, order


@dataclass(frozen=True)
class Received:
    """What receiving a provider event did: whether it was new, and the order it concerns."""

    new: bool
    order: Order | None


def receive_event(uow: UnitOfWork, clock: Clock, provider: PaymentProvider, event: ProviderEvent) -> Received:
    """Apply a verified provider event in the open unit of work, commit, then make the provider calls
    it left owing (a late payment's refund, a lapsed order's hold)."""
    new, order = apply_event(uow.session, clock, provider.name, event)
    owed = settlements_owed(uow.session)
    uow.commit()
    for order_id in owed:
        settle_order(uow.db, clock, provider, order_id)
    return Received(new, order)


def sync_payment(
    session: Session,
    clock: Clock,
    payment: Payment,
    *,
    status: str | None,
    received: int | None,
    refunded: int | None,
    actor: str,
) -> Order:
    """Bring our records up to what the provider reports: authorization, capture, refunds, cancel.

    The order's and payment's changes are written once, at the next flush, not before each query."""
    order = get_order(session, payment.order_id, lock=True)
    with session.no_autoflush:
        _sync(
            session, clock, order, payment, status=status, received=received, refunded=refunded, actor=actor
        )
    return order


def _sync(
    session: Session,
    clock: Clock,
    order: Order,
    payment: Payment,
    *,
    status: str | None,
    received: int | None,
    refunded: int | None,
    actor: str,
) -> None:
    now = clock.now()
    if refunded and received is None and payment.captured_fen == 0:
        # A refund is only possible after a capture: a refund event that overtook its capture implies it.
        received = payment.amount_fen if payment.capture_mode == "automatic" else refunded
    if status == "requires_capture" and order.status == "awaiting_authorization":
        transition(order, "authorized", actor=actor, at=now, reason="payment authorized")
    if received is not None and received > payment.captured_fen:
        _captured(session, clock, order, payment, received - payment.captured_fen, actor)
    if refunded is not None and refunded > payment.refunded_fen:
        refunded_at_provider(session, clock, order, payment, refunded - payment.refunded_fen, actor)
    if status == "canceled" and order.status in OPEN_STATUSES | {"authorized"}:
        inventory.release_reservations(session, clock, order_ref=order.id, reason="payment canceled")
        transition(order, "cancelled", actor=actor, at=now, reason="payment canceled")
    if status is not None and payment.status != "succeeded":
        payment.status = status
    payment.updated_at = now
    if order.status in ("cancelled", "expired") and payment.status in (
        "requires_payment",
        "requires_capture",
    ):
        owe_settlement(session, order.id)  # the provider still holds money for an order that lapsed


def still_needed(order: Order) -> int:
    """What a capture may still apply to the order: nothing once it is paid (or can no longer be)."""
    if order.captured_fen > 0:  # one payment pays an order; an open-door visit is captured once
        return 0
    if order.mode == "open_door":
        return order.total_fen if order.status in ("authorized", "completed") else 0
    if not can_transition(order.status, "paid"):
        return 0  # not payable (a draft, a rejected order): whatever arrives goes back
    return order.total_fen


def _captured(
    session: Session, clock: Clock, order: Order, payment: Payment, amount: int, actor: str
) -> None:
    now = clock.now()
    payment.captured_fen += amount
    payment.status = "succeeded"
    payment.captured_at = payment.captured_at or now
    if is_deposit(order) and order.status == "awaiting_authorization":
        # The open-door visit's deposit: it stands for the hold, so the door opens. The order needs
        # none of it yet; at the door's close keep_taken applies what was taken and gives back the rest.
        payment.surplus_fen += amount
        transition(order, "authorized", actor=actor, at=now, reason="deposit paid")
        return
    applied = min(amount, still_needed(order))
    if applied < amount:
        # Money the order did not need (paid already by another payment, or a transfer above the
        # total): recorded on the payment, never revenue, and given back.
        payment.surplus_fen += amount - applied
        refund_overpayment(session, clock, payment, amount - applied, actor=actor)
    if applied == 0:
        return
    amount = applied
    order.captured_fen += amount
    if order.mode == "open_door":
        # What was taken is already priced and out of the cabinet (door-closed); the capture confirms it.
        revenue.record_sale(session, order, now)
        if order.status != "completed":
            transition(order, "completed", actor=actor, at=now, reason="captured what was taken")
        return
    # At a kiosk the shopper's session ends at its expiry, whether or not the server has marked it.
    late = order.status in ("expired", "cancelled") or (
        order.channel == "kiosk" and order.expires_at is not None and now > order.expires_at
    )
    try:
        inventory.fulfil_reservations(session, clock, order_ref=order.id, actor=actor)
        stock_taken = True
    except OutOfStock:
        stock_taken = False
    transition(order, "paid", actor=actor, at=now, reason="late payment" if late else "payment received")
    revenue.record_sale(session, order, now)
    everything = [(line, line.qty) for line in order.lines]
    if order.channel == "bulk" and payment.provider != bank_transfer.PROVIDER_NAME:
        collect_transfers(session, clock, order, actor)  # transfers received before this capture
    if not stock_taken:
        request_refund(
            session,
            clock,
            order,
            payment,
            everything,
            actor=actor,
            reason="paid after the reservation lapsed and the stock was gone",
        )
    elif late and order.channel == "kiosk":
        # Nobody waits at the cabinet any more: put the goods back and give the money back.
        session.flush()  # the sale's movements, which the returns read (the caller holds autoflush)
        for line in order.lines:
            inventory.return_sold(
                session,
                clock,
                order_ref=order.id,
                location_id=order.location_id,
                product_id=line.product_id,
                qty=line.qty,
                restock=True,
                actor=actor,
                reason="late kiosk payment",
            )
        request_refund(
            session,
            clock,
            order,
            payment,
            everything,
            actor=actor,
            reason="kiosk payment arrived after the session ended",
        )


def is_deposit(order: Order) -> bool:
    """Whether an open-door visit is paid by a deposit (its provider holds no money) rather than a hold."""
    return order.mode == "open_door" and bool((order.details or {}).get("deposit"))


DEPOSIT_NOT_TAKEN = "deposit: what was not taken"


def deposit_returned(order: Order) -> int:
    """What of a deposit visit's deposit its door-closed report gave back (0 for a hold, or before it)."""
    return order.hold_fen - order.total_fen if is_deposit(order) and order.report_id else 0


def keep_taken(session: Session, clock: Clock, order: Order, *, actor: str) -> None:
    """At a deposit visit's door-closed report (the lines priced, at most the deposit): the order keeps
    what was taken, as if captured now, and the rest goes back at once as one refund of the surplus."""
    payment = payment_of(session, order.id, lock=True)
    assert payment is not None and payment.surplus_fen >= order.total_fen  # the door opened on it
    now = clock.now()
    if order.total_fen:
        payment.surplus_fen -= order.total_fen
        order.captured_fen += order.total_fen
        revenue.record_sale(session, order, now)
    reason = "captured what was taken" if order.total_fen else "nothing taken; deposit refunded"
    transition(order, "completed", actor=actor, at=now, reason=reason)
    if payment.surplus_fen:
        refund_overpayment(
            session, clock, payment, payment.surplus_fen, actor=actor, reason=DEPOSIT_NOT_TAKEN
        )
    payment.updated_at = now


def collect_transfers(session: Session, clock: Clock, order: Order, actor: str) -> Payment | None:
    """Record on the order's bank-transfer payment every transfer received for it: what the order
    still needs pays it, the rest is surplus owed back (the caller holds the order's row lock)."""
    received = session.scalar(
        select(func.coalesce(func.sum(BankReceipt.amount_fen), 0)).where(BankReceipt.order_id == order.id)
    )
    payment = session.scalar(
        select(Payment)
        .where(Payment.order_id == order.id, Payment.provider == bank_transfer.PROVIDER_NAME)
        .with_for_update()
    )
    if payment is None:
        if not received:
            return None
        payment = new_payment(
            session,
            order,
            provider=bank_transfer.PROVIDER_NAME,
            amount_fen=order.total_fen,
            capture_mode="automatic",
            method="bank_transfer",
            at=clock.now(),
        )
        payment.provider_ref = f"bank:{order.id}"
    if received > payment.captured_fen:
        with session.no_autoflush:
            _captured(session, clock, order, payment, received - payment.captured_fen, actor)
    payment.updated_at = clock.now()
    return payment


def settle_order(db: Database, clock: Clock, provider: PaymentProvider, order_id: str) -> None:
    """After an order's unit of work committed, make the provider calls it left owing.

    Pending refunds are paid out; an open-door visit's hold is captured for what was taken (or
    released when nothing was); the hold or payment of a cancelled or expired order is released."""
    process_pending_refunds(db, clock, provider, only_order=order_id)
    with db.unit_of_work() as session:
        order = get_order(session, order_id)
        payment = payment_of(session, order_id)
        if payment is None or payment.provider_ref is None or payment.provider != provider.name:
            return
        payment_id, ref, key, status = (
            payment.id,
            payment.provider_ref,
            payment.idempotency_key,
            payment.status,
        )
        to_capture = 0
        if (
            order.mode == "open_door"
            and order.report_id
            and order.status == "authorized"
            and order.total_fen > 0
        ):
            to_capture = min(order.total_fen, order.hold_fen)
        release = status in ("requires_payment", "requires_capture", "pending") and (
            order.status in ("cancelled", "expired")
            or (order.mode == "open_door" and order.status == "completed" and order.total_fen == 0)
        )
    paid_meanwhile = False
    if to_capture:
        answer = provider.capture(ref, amount_fen=to_capture, idempotency_key=f"{key}-capture")
    elif release:
        try:
            answer = provider.cancel(ref, idempotency_key=f"{key}-cancel")
        except PaymentStateConflict:
            # The shopper paid before the cancel got there, its notification not here yet: what the
            # provider holds is recorded instead (a late payment, which _captured gives back).
            answer, paid_meanwhile = provider.get_payment(ref), True
    else:
        return
    sync_with_answer(db, clock, payment_id, answer, actor=f"{provider.name}:settle")
    if paid_meanwhile:
        process_pending_refunds(db, clock, provider, only_order=order_id)  # the late payment's refund
