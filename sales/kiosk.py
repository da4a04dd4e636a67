"""Kiosk purchases: vend sessions, open-door visits, dispensing and door-closed reports."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core.clock import Clock
from core.errors import Conflict, InvalidInput
from core.money import Money, format_fen
from inventory import service as inventory
from inventory.alerts import Alert
from inventory.errors import OutOfStock
from inventory.models import Location, Slot
from payments.models import Payment
from sales.errors import EmptyOrder, ReportConflict
from sales.lines import merge_lines
from sales.models import Order
from sales.orders import Idempotency, LineRequest, new_order, set_lines
from sales.payment_flow import is_deposit, keep_taken, new_payment, payment_of
from sales.provider_calls import owe_settlement
from sales.refunds import request_refund
from sales.status import OPEN_STATUSES, transition

# Dispenser errors after which the goods cannot go back on sale.
DAMAGING_ERRORS = frozenset({"damaged", "dropped", "crushed", "leaked"})


@dataclass(frozen=True)
class Cabinet:
    """The kiosk a device request comes from, as its (cached) device key describes it."""

    location_id: int
    code: str
    mode: str
    partner_code: str
    open_door_hold_fen: int | None = None  # None: the server's default hold

    @property
    def actor(self) -> str:
        return f"kiosk:{self.code}"


def _slots_by_code(session: Session, location_id: int, codes: set[str]) -> dict[str, Slot]:
    """The kiosk's active slots among `codes`, with their products (one query)."""
    stmt = (
        select(Slot)
        .where(Slot.location_id == location_id, Slot.active, Slot.code.in_(sorted(codes)))
        .options(joinedload(Slot.product, innerjoin=True))
    )
    return {s.code: s for s in session.scalars(stmt)}


def start_vend_session(
    session: Session,
    clock: Clock,
    *,
    kiosk: Cabinet,
    lines: list[dict[str, Any]],
    hold_seconds: int,
    provider: str,
    idempotency: Idempotency | None,
) -> tuple[Order, Payment]:
    """Price the chosen slots (a line naming a product: the slots chosen for it), hold their stock and
    write the order and its pending payment."""
    if kiosk.mode != "vend":
        raise Conflict("this cabinet is an open-door cabinet", code="wrong_mode")
    if not lines:
        raise EmptyOrder("choose at least one product", fields={"lines": "must not be empty"})
    asked, shelf = _slot_lines(session, clock, kiosk.location_id, lines)
    merged = merge_lines((code, qty) for code, qty, _origin in asked)
    # A request naming products has read the kiosk's slots already (its planogram).
    slots = shelf if shelf is not None else _slots_by_code(session, kiosk.location_id, set(merged))
    requests: list[LineRequest] = []
    chosen: list[Slot] = []
    origins: list[str] = []
    for code, (first, qty) in merged.items():
        origin = asked[first][2]
        origins.append(origin)
        slot = slots.get(code)
        if slot is None:
            raise InvalidInput(
                f"no slot {code} in this kiosk",
                code="unknown_slot",
                fields={origin: "unknown slot"},
            )
        if not slot.product.active:
            raise OutOfStock(f"{code} is not on sale", fields={origin: "not on sale"})
        requests.append(LineRequest(slot.product, qty, code))
        chosen.append(slot)
    now = clock.now()
    order = new_order(
        session,
        at=now,
        channel="kiosk",
        mode="vend",
        status="awaiting_payment",
        actor=kiosk.actor,
        location_id=kiosk.location_id,
        partner_code=kiosk.partner_code,
        expires_at=now + timedelta(seconds=hold_seconds),
        idempotency=idempotency,
        lines=requests,
        details={"payment_description": f"dongxi kiosk {kiosk.code}"},
    )
    try:
        inventory.reserve_slots(
            session,
            clock,
            order_ref=order.id,
            location_id=kiosk.location_id,
            code=kiosk.code,
            lines=[(i, slot, r.qty) for i, (slot, r) in enumerate(zip(chosen, requests, strict=True))],
            expires_at=order.expires_at,
        )
    except OutOfStock as exc:
        raise OutOfStock(exc.message, fields=_refer_to_request(exc.fields, origins)) from exc
    payment = new_payment(
        session,
        order,
        provider=provider,
        amount_fen=order.total_fen,
        capture_mode="automatic",
        method="any",
        at=now,
    )
    return order, payment


def _refer_to_request(fields: dict[str, str], origins: list[str]) -> dict[str, str]:
    """Rename lines.<merged index> to the field of the shopper's own request line."""
    renamed = {}
    for name, why in fields.items():
        match = re.match(r"lines\.(\d+)(.*)", name)
        if match and int(match.group(1)) < len(origins):
            name = origins[int(match.group(1))]
        renamed[name] = why
    return renamed


def _slot_lines(
    session: Session, clock: Clock, location_id: int, lines: list[dict[str, Any]]
) -> tuple[list[tuple[str, int, str]], dict[str, Slot] | None]:
    """The request as (slot code, qty, field of the request line): a line naming a slot is kept;
    a line naming a product (sku) is split over the kiosk's slots holding it that have stock
    available, in slot order, after what the request's slot lines already take. With product
    lines, also the kiosk's active slots by code, read for the split (else None)."""
    asked = [
        (str(item["slot"]), int(item["qty"]), f"lines.{i}.slot")
        for i, item in enumerate(lines)
        if item.get("slot") is not None
    ]
    by_sku = merge_lines(
        (str(item["sku"]), int(item["qty"])) for item in lines if item.get("sku") is not None
    )
    if not by_sku:
        return asked, None
    sku_index = [i for i, item in enumerate(lines) if item.get("sku") is not None]
    # What the kiosk's catalogue shows as available, so that the server sells what the screen offered.
    shelf = inventory.planogram(session, clock, location_id)
    holding = [(slot.code, slot.product.sku) for slot, _free in shelf if slot.product.active]
    free = {slot.code: stock.available for slot, stock in shelf}
    for code, qty, _field in asked:
        free[code] = free.get(code, 0) - qty
    for sku, (first, qty) in by_sku.items():
        field = f"lines.{sku_index[first]}.sku"
        codes = [code for code, held in holding if held == sku]
        if not codes:
            raise InvalidInput(
                f"no slot of this kiosk holds {sku}", code="unknown_sku", fields={field: "not in this kiosk"}
            )
        left = qty
        for code in codes:
            take = min(left, max(free.get(code, 0), 0))
            if take:
                asked.append((code, take, field))
                free[code] -= take
                left -= take
        if left:
            total = qty - left
            raise OutOfStock(f"only {total} of {sku} available", fields={field: f"only {total} left"})
    return asked, {slot.code: slot for slot, _stock in shelf}


def start_door_visit(
    session: Session,
    clock: Clock,
    *,
    kiosk: Cabinet,
    hold_fen: int,
    hold_seconds: int,
    provider: str,
    deposit: bool = False,
) -> tuple[Order, Payment]:
    """Open a visit: the payment will be authorized for the hold amount before the door unlocks.

    With `deposit` (a provider that cannot hold money), the hold amount is paid instead, as an
    ordinary payment; at the door's close what was not taken goes back (`payment_flow.keep_taken`)."""
    if kiosk.mode != "open_door":
        raise Conflict("this cabinet is a vending cabinet", code="wrong_mode")
    now = clock.now()
    order = new_order(
        session,
        at=now,
        channel="kiosk",
        mode="open_door",
        status="awaiting_authorization",
        actor=kiosk.actor,
        location_id=kiosk.location_id,
        partner_code=kiosk.partner_code,
        expires_at=now + timedelta(seconds=hold_seconds),
        hold_fen=hold_fen,
        details={
            "payment_description": f"dongxi open-door kiosk {kiosk.code}",
            **({"deposit": True} if deposit else {}),
        },
    )
    payment = new_payment(
        session,
        order,
        provider=provider,
        amount_fen=hold_fen,
        capture_mode="automatic" if deposit else "manual",
        method="any",
        at=now,
    )
    return order, payment


def _check_report(order: Any, report_id: str, body: dict[str, Any], status: str) -> bool:
    """Return True if this exact report was already applied; refuse a different second report."""
    if order.report_id is not None:
        if order.report_id == report_id:
            return True
        raise ReportConflict(
            "this order already has a different report", fields={"report_id": "already reported"}
        )
    if order.status != status:
        raise Conflict(
            f"the order is {order.status}, not {status}",
            code="illegal_state",
            fields={"status": order.status},
        )
    order.report_id = report_id
    order.report_json = body
    return False


def record_vend_results(
    session: Session, clock: Clock, order: Any, *, report_id: str, results: list[dict[str, Any]], actor: str
) -> bool:
    """Apply what the dispenser did: refund and restock (or write off) every unit not dispensed.

    Returns False when the same report was already applied (nothing changes)."""
    if _check_report(order, report_id, {"results": results}, "paid"):
        return False
    by_slot = {line.slot_code: line for line in order.lines}
    refunds = []
    for i, result in enumerate(results):
        line = by_slot.get(result["slot"])
        if line is None:
            raise InvalidInput(
                "this slot is not in the order", fields={f"results.{i}.slot": "not in the order"}
            )
        if result["dispensed"] > line.qty:
            raise InvalidInput(
                "more dispensed than bought", fields={f"results.{i}.dispensed": f"at most {line.qty}"}
            )
        missing = line.qty - result["dispensed"]
        if missing:
            damaged = result.get("error") in DAMAGING_ERRORS
            inventory.return_sold(
                session,
                clock,
                order_ref=order.id,
                location_id=order.location_id,
                product_id=line.product_id,
                qty=missing,
                restock=not damaged,
                actor=actor,
                reason=result.get("error") or "not_dispensed",
            )
            refunds.append((line, missing))
    if refunds:
        request_refund(
            session,
            clock,
            order,
            payment_of(session, order.id),
            refunds,
            actor=actor,
            reason="not dispensed: " + ", ".join(f"{line.slot_code}×{qty}" for line, qty in refunds),
        )
    else:
        transition(order, "completed", actor=actor, at=clock.now(), reason="dispensed")
    return True


def _price_at_the_hold(order: Any) -> None:
    """The shopper took more than the visit's hold: the capture can collect the hold and no more.

    The order is charged what can be collected — the hold, spread over the lines in proportion to
    their prices (largest remainder, so the lines add up to it exactly) — so that the capture, the
    revenue entries and any later refund all agree with the money that moved. The rest is
    shrinkage: kept on the order (`uncollected_fen`) and shown to operators as an alert."""
    priced = order.total_fen
    shares = Money(order.hold_fen).allocate([line.line_total_fen for line in order.lines])
    for line, share in zip(order.lines, shares, strict=True):
        line.line_total_fen = share.fen
    order.total_fen = order.hold_fen
    order.uncollected_fen = priced - order.hold_fen
    order.details = {**order.details, "priced_fen": priced, "over_hold_fen": order.uncollected_fen}


def record_door_closed(
    session: Session,
    clock: Clock,
    order: Any,
    *,
    report_id: str,
    taken: list[dict[str, Any]],
    kiosk: Cabinet,
    actor: str,
) -> bool:
    """Sell what left the cabinet and price it; the capture follows after commit.

    Returns False when the same report was already applied (nothing changes)."""
    if _check_report(order, report_id, {"taken": taken}, "authorized"):
        return False
    merged = merge_lines((item["slot"], item["qty"]) for item in taken)
    slots = _slots_by_code(session, kiosk.location_id, set(merged))
    requests = []
    for code, (first, qty) in merged.items():
        slot = slots.get(code)
        if slot is None:
            raise InvalidInput(
                f"no slot {code} in this kiosk",
                code="unknown_slot",
                fields={f"taken.{first}.slot": "unknown slot"},
            )
        if qty > 0:
            inventory.record_taken(
                session,
                clock,
                order_ref=order.id,
                location_id=kiosk.location_id,
                slot_code=code,
                qty=qty,
                actor=actor,
            )
            requests.append(LineRequest(slot.product, qty, code))
    set_lines(order, requests, on_day=inventory.today(clock))
    if order.total_fen > order.hold_fen:
        _price_at_the_hold(order)
    if is_deposit(order):
        keep_taken(session, clock, order, actor=actor)  # and give the rest of the deposit back
    elif order.total_fen == 0:
        transition(order, "completed", actor=actor, at=clock.now(), reason="nothing taken; hold released")
    owe_settlement(session, order.id)  # capture what was taken, or release the hold (or pay a refund)
    return True


def cancel_open_order(
    session: Session, clock: Clock, order: Any, *, actor: str, expired: bool = False
) -> None:
    """Cancel (or expire) an order still waiting for payment or authorization, releasing its stock."""
    if order.status not in OPEN_STATUSES:
        raise Conflict(
            f"the order is {order.status} and can no longer be cancelled",
            code="illegal_state",
            fields={"status": order.status},
        )
    inventory.release_reservations(
        session, clock, order_ref=order.id, reason="expired" if expired else "cancelled"
    )
    transition(
        order,
        "expired" if expired else "cancelled",
        actor=actor,
        at=clock.now(),
        reason="hold lapsed" if expired else "cancelled at the kiosk",
    )
    owe_settlement(session, order.id)  # the provider's payment (or hold) is cancelled after the commit


def uncollected_alerts(session: Session, clock: Clock, *, within_days: int = 7) -> list[Alert]:
    """Open-door visits of the last days that took more than their hold: the shrinkage an operator
    sees beside the stock alerts (and may answer by raising that cabinet's hold)."""
    since = clock.now() - timedelta(days=within_days)
    rows = session.execute(
        select(Order, Location)
        .join(Location, Location.id == Order.location_id)
        .where(Order.uncollected_fen > 0, Order.created_at >= since)
        .order_by(Order.created_at)
    ).all()
    return [
        Alert(
            kind="uncollected",
            severity="warning",
            location=location,
            product=None,
            qty=0,
            message=(
                f"{location.code} 订单 {order.id}：取货超出预授权 {format_fen(order.uncollected_fen)}，"
                f"未能收取 · took {format_fen(order.uncollected_fen)} beyond the hold, not collected"
            ),
        )
        for order, location in rows
    ]
