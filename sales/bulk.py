"""Bulk orders of organizations (以购代捐): draft → approval → payment → delivery.

- A buyer of the unit drafts the order (products × quantities, delivery address, invoice title and
  tax id) and submits it; an approver of the same unit approves or rejects it.
- On approval the stock is reserved at one warehouse for BULK_HOLD (7 days): long enough for a
  unit's finance office to make a bank transfer. A hold that lapses before the money arrives is
  taken again at payment if the stock is still there (sales.payment_flow), else refunded.
- Payment is by bank transfer, which an operator records with the bank reference (partial
  transfers add up, payments.providers.bank_transfer), or online through the configured provider.
  When transfers cover the total, the capture goes through sales.payment_flow (collect_transfers),
  so the sale movement and the revenue entries are written exactly as for any other channel.
- An order may be paid twice (online while an operator records a transfer, or transfers above the
  total): every transfer is recorded on the order's bank-transfer payment, and what the order did
  not need is owed back to the unit as a payout an operator makes (sales.payouts).
- An operator records the delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.models import Product
from catalogue.validators import is_valid_credit_code
from core.clock import Clock, local_date
from core.errors import Conflict, InvalidInput, NotFound
from inventory import service as inventory
from inventory.errors import OutOfStock
from payments.models import BankReceipt, Payment
from payments.providers import bank_transfer
from sales.bulk_stock import BULK_HOLD, Wanted, check_bulk_stock
from sales.lines import merge_lines
from sales.models import Order
from sales.orders import LineRequest, get_order, new_order
from sales.org_models import BulkOrder
from sales.organizations import get_organization, partner_of, require_member
from sales.payment_flow import collect_transfers, new_payment
from sales.status import can_transition, transition

MAX_QTY = 99_999  # units of one product on one bulk order (the API, the page and order sheets)
OPEN_ONLINE_STATUSES = ("pending", "requires_payment", "failed")


class BulkOrderNotFound(NotFound):
    code = "bulk_order_not_found"


@dataclass(frozen=True)
class Delivery:
    """Where the goods go and what the invoice says."""

    contact_name: str
    phone: str
    address: str
    invoice_title: str
    tax_id: str
    note: str = ""


@dataclass(frozen=True)
class TransferResult:
    """What recording a bank transfer did."""

    settlement: bank_transfer.Settlement
    recorded: bool  # False when the same transfer had been recorded before
    paid_now: bool  # True when this transfer completed the payment
    stale_online_payments: list[int]  # online payments left open, for the caller to cancel


def _is_qty(qty: object) -> bool:
    return isinstance(qty, int) and not isinstance(qty, bool) and 1 <= qty <= MAX_QTY


def _lines(session: Session, lines: list[tuple[int, int]]) -> list[LineRequest]:
    """The order's lines, one per product; errors name the product by its code (never a line index)."""
    if not lines:
        raise InvalidInput(
            "a bulk order needs at least one product", code="empty_order", fields={"lines": "empty"}
        )
    errors: dict[str, str] = {}
    requests = []
    for product_id, (_first, qty) in merge_lines(
        # A line with a bad qty counts as 0, so that the merged line is refused too.
        (p, q if _is_qty(q) else 0)
        for p, q in lines
    ).items():
        product = session.get(Product, product_id) if isinstance(product_id, int) else None
        if product is None or not product.active:
            errors[f"products.{product_id}"] = "unknown product"
            continue
        if not all(_is_qty(q) for p, q in lines if p == product_id) or not _is_qty(qty):
            errors[f"products.{product.sku}.qty"] = (
                f"{product.name_en or product.name_zh}: a whole number from 1 to {MAX_QTY}"
            )
            continue
        requests.append(LineRequest(product, qty))
    if errors:
        raise InvalidInput("some lines are not valid", code="invalid_lines", fields=errors)
    return requests


def _wanted(order: Order) -> list[Wanted]:
    return [Wanted.of(line, line.qty) for line in order.lines]


def _check_delivery(delivery: Delivery) -> None:
    errors = {}
    if not delivery.contact_name.strip():
        errors["contact_name"] = "required"
    if not delivery.phone.strip():
        errors["phone"] = "required"
    if len(delivery.address.strip()) < 4:
        errors["address"] = "at least 4 characters"
    if not delivery.invoice_title.strip():
        errors["invoice_title"] = "required"
    if not is_valid_credit_code(delivery.tax_id):
        errors["tax_id"] = "not a valid unified social credit code (check character)"
    if errors:
        raise InvalidInput("the delivery or invoice details are not valid", fields=errors)


def draft_bulk_order(
    session: Session,
    clock: Clock,
    *,
    org_id: int,
    user_id: int,
    lines: list[tuple[int, int]],
    delivery: Delivery,
    submit: bool = True,
) -> tuple[Order, BulkOrder]:
    """A buyer drafts a bulk order, priced by the server, and submits it for approval unless told not to."""
    require_member(session, user_id, org_id, roles=("buyer",))
    org = get_organization(session, org_id)
    _check_delivery(delivery)
    requests = _lines(session, lines)
    if submit:
        check_bulk_stock(session, clock, org, [Wanted.of(r.product, r.qty) for r in requests])
    now = clock.now()
    order = new_order(
        session,
        at=now,
        channel="bulk",
        status="draft",
        actor=f"user:{user_id}",
        buyer_kind=org.buyer_kind,
        user_id=user_id,
        organization_id=org.id,
        lines=requests,
    )
    bulk = BulkOrder(
        order_id=order.id,
        organization_id=org.id,
        number=f"BK{local_date(now):%Y%m%d}-{order.id[:8].upper()}",
        contact_name=delivery.contact_name.strip(),
        phone=delivery.phone.strip(),
        delivery_address=delivery.address.strip(),
        invoice_title=delivery.invoice_title.strip(),
        tax_id=delivery.tax_id,
        note=delivery.note,
        drafted_by=user_id,
        decision_note="",
        delivery_note="",
    )
    session.add(bulk)
    if submit:
        transition(order, "awaiting_approval", actor=f"user:{user_id}", at=now, reason="submitted")
    session.flush()  # the caller answers with the order's id and number
    return order, bulk


def get_bulk_order(session: Session, order_id: str, *, lock: bool = False) -> tuple[Order, BulkOrder]:
    """Return a bulk order and its organization side."""
    bulk = session.get(BulkOrder, order_id)
    if bulk is None:
        raise BulkOrderNotFound("no such bulk order")
    return get_order(session, order_id, lock=lock), bulk


def bulk_order_for_member(
    session: Session, order_id: str, user_id: int, roles: tuple[str, ...] = ("buyer", "approver")
) -> tuple[Order, BulkOrder]:
    """Return a bulk order to a member of its unit; to anyone else it does not exist."""
    bulk = session.get(BulkOrder, order_id)
    if bulk is None:
        raise BulkOrderNotFound("no such bulk order")
    try:
        require_member(session, user_id, bulk.organization_id, roles=roles)
    except NotFound as exc:
        raise BulkOrderNotFound("no such bulk order") from exc
    return get_order(session, order_id), bulk


def list_bulk_orders(
    session: Session, *, org_id: int | None = None, statuses: tuple[str, ...] | None = None
) -> list[tuple[Order, BulkOrder]]:
    """List bulk orders, newest first, of one unit or all, optionally in some statuses."""
    stmt = select(Order, BulkOrder).join(BulkOrder, BulkOrder.order_id == Order.id)
    if org_id is not None:
        stmt = stmt.where(BulkOrder.organization_id == org_id)
    if statuses:
        stmt = stmt.where(Order.status.in_(statuses))
    return [(o, b) for o, b in session.execute(stmt.order_by(Order.created_at.desc(), Order.id)).all()]


def submit_bulk_order(session: Session, clock: Clock, order_id: str, *, user_id: int) -> Order:
    """A buyer sends a draft for approval, if the stock can supply it now."""
    order, bulk = bulk_order_for_member(session, order_id, user_id, roles=("buyer",))
    if order.status == "draft":
        check_bulk_stock(session, clock, bulk.organization, _wanted(order))
    transition(order, "awaiting_approval", actor=f"user:{user_id}", at=clock.now(), reason="submitted")
    return order


def approve_bulk_order(
    session: Session, clock: Clock, order_id: str, *, user_id: int, note: str = ""
) -> Order:
    """An approver of the same unit approves: the stock is reserved at a warehouse for BULK_HOLD."""
    order, bulk = bulk_order_for_member(session, order_id, user_id, roles=("approver",))
    order = get_order(session, order_id, lock=True)
    if order.status != "awaiting_approval":
        raise Conflict(f"the order is {order.status}, not awaiting approval", code="illegal_transition")
    now = clock.now()
    order.expires_at = now + BULK_HOLD
    city = bulk.organization.city_code
    try:
        warehouse = inventory.reserve_at_first_warehouse(
            session,
            clock,
            order_ref=order.id,
            lines=[(line.product_id, line.qty) for line in order.lines],
            expires_at=order.expires_at,
            prefer_partners={city, city[:4] + "00"},  # the unit's own city's, or its parent city's
        )
    except OutOfStock:
        # Say which products, by name, with what there is now (the hold's own error names lines).
        check_bulk_stock(session, clock, bulk.organization, _wanted(order))
        raise
    order.location_id = warehouse.id
    order.partner_code = partner_of(bulk.organization)  # the unit's city, not the shipping warehouse's
    bulk.decided_by, bulk.decided_at, bulk.decision_note = user_id, now, note
    transition(order, "awaiting_payment", actor=f"user:{user_id}", at=now, reason=note or "approved")
    return order


def reject_bulk_order(session: Session, clock: Clock, order_id: str, *, user_id: int, reason: str) -> Order:
    """An approver of the same unit rejects the order, with a reason."""
    order, bulk = bulk_order_for_member(session, order_id, user_id, roles=("approver",))
    if not reason.strip():
        raise InvalidInput("say why the order is rejected", fields={"reason": "required"})
    now = clock.now()
    bulk.decided_by, bulk.decided_at, bulk.decision_note = user_id, now, reason.strip()
    transition(order, "rejected", actor=f"user:{user_id}", at=now, reason=reason.strip())
    return order


def cancel_bulk_order(session: Session, clock: Clock, order_id: str, *, user_id: int) -> Order:
    """A member cancels an order not yet paid (and with no transfer recorded); its stock is released."""
    order, _bulk = bulk_order_for_member(session, order_id, user_id)
    if receipts(session, order.id):
        raise Conflict("a bank transfer is recorded for this order", code="partly_paid")
    inventory.release_reservations(session, clock, order_ref=order.id, reason="cancelled")
    transition(order, "cancelled", actor=f"user:{user_id}", at=clock.now(), reason="cancelled by the unit")
    return order


def receipts(session: Session, order_id: str) -> list[BankReceipt]:
    """The bank transfers recorded for an order, oldest first."""
    return list(
        session.scalars(select(BankReceipt).where(BankReceipt.order_id == order_id).order_by(BankReceipt.id))
    )


def bank_settlement(session: Session, order: Order) -> bank_transfer.Settlement:
    """How far the recorded transfers go toward the order's total."""
    transfers = [
        bank_transfer.BankTransfer(r.reference, r.amount_fen, r.at) for r in receipts(session, order.id)
    ]
    return (
        bank_transfer.settlement(order.total_fen, transfers)
        if order.total_fen
        else bank_transfer.Settlement(0, 0)
    )


def record_bank_transfer(
    session: Session,
    clock: Clock,
    order_id: str,
    *,
    bank_reference: str,
    amount_fen: int,
    actor: str,
    received_at: datetime | None = None,
) -> TransferResult:
    """An operator records a transfer from the bank statement; once transfers cover the total, it is paid.

    Money that arrives when the order needs none (paid already, online or by transfer, or no longer
    payable) is recorded all the same, on the order's bank-transfer payment, and owed back to the
    unit as a payout (`sales.payouts`); so is what transfers bring beyond the total."""
    order, bulk = get_bulk_order(session, order_id, lock=True)
    known = receipts(session, order.id)
    transfers = [bank_transfer.BankTransfer(r.reference, r.amount_fen, r.at) for r in known]
    received_at = received_at or clock.now()
    updated = bank_transfer.record_transfer(
        transfers, bank_reference=bank_reference, amount_fen=amount_fen, received_at=received_at
    )
    if len(updated) == len(transfers):  # the same transfer, entered again
        return TransferResult(bank_settlement(session, order), False, False, [])
    if order.status in ("draft", "awaiting_approval"):
        raise Conflict(f"the order is {order.status}: no transfer is due", code="not_awaiting_payment")
    reference = updated[-1].bank_reference
    if session.scalar(select(BankReceipt.id).where(BankReceipt.reference == reference)) is not None:
        raise Conflict(
            f"bank reference {reference} is recorded for another order",
            code="bank_reference_conflict",
            fields={"bank_reference": "recorded for another order"},
        )
    session.add(
        BankReceipt(
            order_id=order.id, reference=reference, amount_fen=amount_fen, recorded_by=actor, at=received_at
        )
    )
    due = bank_transfer.settlement(order.total_fen, updated)
    payable = order.captured_fen == 0 and can_transition(order.status, "paid")
    if payable:
        bulk.payment_route = "bank_transfer"
    if payable and not due.fully_paid:
        return TransferResult(due, True, False, [])
    session.flush()  # the receipt, which collect_transfers sums
    collect_transfers(session, clock, order, actor)
    if not payable:
        return TransferResult(due, True, False, [])
    stale = list(
        session.scalars(
            select(Payment.id).where(
                Payment.order_id == order.id,
                Payment.provider != bank_transfer.PROVIDER_NAME,
                Payment.status.in_(OPEN_ONLINE_STATUSES),
            )
        )
    )
    return TransferResult(due, True, True, stale)


def online_payment(
    session: Session, clock: Clock, order_id: str, *, user_id: int, provider: str
) -> tuple[Payment, bool]:
    """A member chooses to pay online: return the open online payment, or a new one (and True)."""
    order, bulk = bulk_order_for_member(session, order_id, user_id)
    if order.status != "awaiting_payment":
        raise Conflict(f"the order is {order.status}: nothing to pay", code="not_awaiting_payment")
    if receipts(session, order.id):
        raise Conflict("a bank transfer is recorded: pay the rest by transfer", code="partly_paid")
    existing = session.scalar(
        select(Payment)
        .where(
            Payment.order_id == order.id,
            Payment.provider == provider,
            Payment.status.in_(OPEN_ONLINE_STATUSES),
        )
        .order_by(Payment.id.desc())
    )
    if existing is not None:
        return existing, False
    bulk.payment_route = "online"
    payment = new_payment(
        session,
        order,
        provider=provider,
        amount_fen=order.total_fen,
        capture_mode="automatic",
        method="any",
        at=clock.now(),
    )
    session.flush()  # the caller starts the payment at the provider by its id, after commit
    return payment, True


def record_delivery(session: Session, clock: Clock, order_id: str, *, actor: str, note: str = "") -> Order:
    """An operator records that the goods of a paid bulk order were delivered."""
    order, bulk = get_bulk_order(session, order_id, lock=True)
    if order.status != "paid":
        raise Conflict(f"the order is {order.status}, not paid", code="illegal_transition")
    now = clock.now()
    bulk.delivered_at, bulk.delivered_by, bulk.delivery_note = now, actor, note
    transition(order, "fulfilled", actor=actor, at=now, reason=note or "delivered")
    return order


def summary(session: Session, order: Order, bulk: BulkOrder) -> dict[str, Any]:
    """A bulk order's figures for pages, the API and the pro-forma invoice."""
    due = bank_settlement(session, order)
    # Money the order did not need, on its payments (a transfer above the total, a second payment).
    surplus = session.scalar(
        select(func.coalesce(func.sum(Payment.surplus_fen), 0)).where(Payment.order_id == order.id)
    )
    return {
        "order_id": order.id,
        "number": bulk.number,
        "organization_id": bulk.organization_id,
        "status": order.status,
        "total_fen": order.total_fen,
        "captured_fen": order.captured_fen,
        "transferred_fen": due.received_fen,
        "outstanding_fen": 0 if order.captured_fen >= order.total_fen else due.outstanding_fen,
        "overpaid_fen": max(int(surplus or 0), due.overpaid_fen),
        "payment_route": bulk.payment_route,
        "expires_at": order.expires_at,
    }
