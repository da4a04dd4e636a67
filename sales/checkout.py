"""The kiosk's purchases as application services: one device request, one unit of work.

Each service takes the request's open unit of work — the device's authentication already in it —
does the domain work there, and commits once. Where the provider is owed a call (create the
payment, refund what was not dispensed, capture or release a hold, cancel a lapsed payment) the
call follows that commit (STYLE.md rule 7) and its answer is recorded in one more short unit.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import suppress
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.clock import Clock
from core.db import Database, UnitOfWork
from core.errors import Conflict, NotFound
from payments.errors import PaymentProviderError
from payments.models import Payment
from payments.providers.base import PaymentProvider
from sales import kiosk as kiosk_sales
from sales.kiosk import Cabinet
from sales.models import Order
from sales.orders import Idempotency, find_by_idempotency, get_order
from sales.payment_flow import create_request, open_at_provider, payment_of, record_created, settle_order
from sales.provider_calls import settlements_owed
from sales.status import OPEN_STATUSES


def kiosk_order(uow: UnitOfWork, kiosk: Cabinet, order_id: str, *, lock: bool = False) -> Order:
    """Return the calling kiosk's order; another kiosk's order is 404, as if it did not exist."""
    try:
        order = get_order(uow.session, order_id, lock=lock)
    except NotFound:
        order = None
    if order is None or order.location_id != kiosk.location_id:
        raise NotFound("no such order for this kiosk", code="order_not_found")
    return order


def _settle_owed(uow: UnitOfWork, clock: Clock, provider: PaymentProvider) -> bool:
    """Commit the open unit of work, then make the provider calls it left owing; say if there were any."""
    owed = settlements_owed(uow.session)
    uow.commit()
    for order_id in owed:
        settle_order(uow.db, clock, provider, order_id)
    return bool(owed)


def _open_payment(
    uow: UnitOfWork, clock: Clock, provider: PaymentProvider, order: Order, payment: Payment
) -> Payment:
    """Commit the order and its pending payment, then create the payment at the provider."""
    request = create_request(payment, order)
    uow.commit()
    answer = open_at_provider(uow.db, clock, provider, payment.id, request)
    # The row has the answer already; the copy the response reads leaves the session, so that
    # updating it writes nothing more.
    uow.session.expunge(payment)
    record_created(payment, answer, clock.now())
    return payment


def _resume(uow: UnitOfWork, clock: Clock, provider: PaymentProvider, order: Order) -> tuple[Order, Payment]:
    """The answer to a repeated Idempotency-Key: the first request's order and payment.

    If the first request died between its commit and the provider call, this one makes the call
    (the payment's own idempotency key makes a concurrent second call harmless)."""
    payment = payment_of(uow.session, order.id)
    if payment is None:
        raise Conflict("the first request with this key is still running", code="request_in_progress")
    if payment.provider_ref is None and payment.status == "pending":
        payment = _open_payment(uow, clock, provider, order, payment)
    return order, payment


def start_vend_session(
    uow: UnitOfWork,
    clock: Clock,
    provider: PaymentProvider,
    *,
    kiosk: Cabinet,
    lines: list[dict[str, Any]],
    hold_seconds: int,
    idempotency: Idempotency | None,
) -> tuple[Order, Payment]:
    """Vend mode: price the slots, hold the stock, write order and payment; then open it at the provider."""
    if idempotency is not None:
        existing = find_by_idempotency(uow.session, idempotency)
        if existing is not None:
            return _resume(uow, clock, provider, existing)
    try:
        order, payment = kiosk_sales.start_vend_session(
            uow.session,
            clock,
            kiosk=kiosk,
            lines=lines,
            hold_seconds=hold_seconds,
            provider=provider.name,
            idempotency=idempotency,
        )
        uow.session.flush()  # the payment's id, and the idempotency key's unique check
    except IntegrityError:
        if idempotency is None:
            raise
        # The same key arrived twice at once and the other request created the order. (This
        # request's nonce goes with the rollback: replaying it would only repeat this answer.)
        uow.rollback()
        existing = find_by_idempotency(uow.session, idempotency)
        if existing is None:
            raise
        return _resume(uow, clock, provider, existing)
    return order, _open_payment(uow, clock, provider, order, payment)


def start_door_visit(
    uow: UnitOfWork,
    clock: Clock,
    provider: PaymentProvider,
    *,
    kiosk: Cabinet,
    hold_fen: int,
    hold_seconds: int,
) -> tuple[Order, Payment]:
    """Open-door mode: write the visit and its hold; then ask the provider for the authorization.

    A provider that cannot hold money (WeChat Pay, Alipay) is paid the hold as a deposit instead:
    the door opens once it is paid, and at its close what was not taken goes back."""
    order, payment = kiosk_sales.start_door_visit(
        uow.session,
        clock,
        kiosk=kiosk,
        hold_fen=hold_fen,
        hold_seconds=hold_seconds,
        provider=provider.name,
        deposit=not provider.holds,
    )
    uow.session.flush()  # the payment's id
    return order, _open_payment(uow, clock, provider, order, payment)


def poll_order(
    uow: UnitOfWork, clock: Clock, provider: PaymentProvider, kiosk: Cabinet, order_id: str
) -> Order:
    """The order as the kiosk polls it; one still open past its expiry is expired on the way."""
    order = kiosk_order(uow, kiosk, order_id)
    if order.status in OPEN_STATUSES and order.expires_at <= clock.now():
        order = kiosk_order(uow, kiosk, order_id, lock=True)
        if order.status in OPEN_STATUSES:
            kiosk_sales.cancel_open_order(uow.session, clock, order, actor=kiosk.actor, expired=True)
            _settle_owed(uow, clock, provider)
    return order


def expire_lapsed_orders(
    db: Database,
    clock: Clock,
    provider: PaymentProvider,
    *,
    limit: int = 200,
    channels: Collection[str] | None = None,
) -> int:
    """Expire up to `limit` orders still open past their expiry (the scheduled job: a kiosk that
    went offline never polls again), of these channels only if given; each releases its stock in a
    unit of work of its own and then has its payment cancelled at the provider. Return how many
    expired."""
    with db.unit_of_work() as session:
        stmt = select(Order.id).where(Order.status.in_(OPEN_STATUSES), Order.expires_at <= clock.now())
        if channels is not None:
            stmt = stmt.where(Order.channel.in_(sorted(channels)))
        due = session.scalars(stmt.order_by(Order.expires_at).limit(limit)).all()
    expired = 0
    for order_id in due:
        with db.unit_of_work() as session:
            order = get_order(session, order_id, lock=True)
            if order.status not in OPEN_STATUSES:  # paid or cancelled meanwhile
                continue
            kiosk_sales.cancel_open_order(session, clock, order, actor="system:expiry", expired=True)
        expired += 1
        # If the provider is down, the payment stays open there: `payments reconcile` cancels it later.
        with suppress(PaymentProviderError):
            settle_order(db, clock, provider, order_id)
    return expired


def cancel_order(
    uow: UnitOfWork, clock: Clock, provider: PaymentProvider, kiosk: Cabinet, order_id: str
) -> Order:
    """Cancel while awaiting payment or authorization: release the stock, then cancel at the provider."""
    order = kiosk_order(uow, kiosk, order_id, lock=True)
    kiosk_sales.cancel_open_order(uow.session, clock, order, actor=kiosk.actor)
    _settle_owed(uow, clock, provider)
    return order


def report_vend_results(
    uow: UnitOfWork,
    clock: Clock,
    provider: PaymentProvider,
    kiosk: Cabinet,
    order_id: str,
    *,
    report_id: str,
    results: list[dict[str, Any]],
) -> Order:
    """After dispensing: refund every unit not dispensed (paid out after the commit), restock or write off."""
    order = kiosk_order(uow, kiosk, order_id, lock=True)
    kiosk_sales.record_vend_results(
        uow.session, clock, order, report_id=report_id, results=results, actor=kiosk.actor
    )
    _settle_owed(uow, clock, provider)
    return order


def report_door_closed(
    uow: UnitOfWork,
    clock: Clock,
    provider: PaymentProvider,
    kiosk: Cabinet,
    order_id: str,
    *,
    report_id: str,
    taken: list[dict[str, Any]],
) -> Order:
    """After an open-door visit: sell what left each slot; capture it (or release the hold) after commit."""
    order = kiosk_order(uow, kiosk, order_id, lock=True)
    kiosk_sales.record_door_closed(
        uow.session, clock, order, report_id=report_id, taken=taken, kiosk=kiosk, actor=kiosk.actor
    )
    if _settle_owed(uow, clock, provider):
        with uow.then() as session:  # the capture moved the order on in a unit of work of its own
            return get_order(session, order_id)
    return order
