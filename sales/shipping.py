"""Fulfilling a web-shop order: pick → pack → ship (carrier, tracking number) → delivered.

Each step records who took it and when, on the order's one `Shipment` row; the steps go in that
order only, and a step taken twice (a double click, two operators) is refused. Delivery moves the
order's status paid → fulfilled (已送达 · Delivered) through the status machine.

Where the stock moves. A storefront order's warehouse hold becomes a `sale` movement at capture
(`sales.payment_flow._captured` → `inventory.fulfil_reservations`), and it stays there: no step
here writes a stock movement. The goods are the shopper's from the moment the money is captured,
so the ledger stops offering them then; moving the sale to the pick or the shipment would mean
holds that outlive their 15-minute expiry by days (the expiry job and the lazy release are built
for minutes, and a lapsed hold at shipping time would have to be taken again or refused after the
money was taken), and a refund before shipping would have to release holds instead of leaving the
stock alone, a second path through `sales.refunds` for the same refund. The price is that between
capture and shipping a counted shelf holds more than the ledger: the goods waiting in the
fulfilment list (to pick, to pack, to ship) are sold and not yet gone, and a stock count at the
warehouse counts them as gone. Revenue stays at capture (DESIGN); a refund of a shipped order that
has not arrived is a refund like any other (money only; the parcel is on its way).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.clock import Clock
from core.errors import Conflict, InvalidInput
from core.labels import CARRIERS, FULFILMENT_STEPS
from sales.models import Order
from sales.orders import get_order
from sales.shipping_models import STEPS, Shipment
from sales.status import transition

# What a carrier's waybill number looks like (after spaces and dashes are dropped, upper case).
TRACKING_SHAPES: dict[str, tuple[re.Pattern[str], str]] = {
    "sf": (re.compile(r"SF\d{12,13}"), "SF 加 12–13 位数字，如 SF1234567890123"),
    "ems": (re.compile(r"[A-Z]{2}\d{9}CN|1\d{12}"), "13 位：如 EA123456789CN 或 1 开头的 13 位数字"),
    "jd": (re.compile(r"JD[A-Z]{0,2}\d{11,13}"), "JD 开头，如 JDVA12345678901"),
    "zto": (re.compile(r"\d{12,15}"), "12–15 位数字"),
    "yto": (re.compile(r"YT\d{13}"), "YT 加 13 位数字，如 YT1234567890123"),
    "yunda": (re.compile(r"\d{13}|\d{15}"), "13 或 15 位数字"),
}
NEXT_STEP: dict[str | None, str] = {
    None: "picked",
    "picked": "packed",
    "packed": "shipped",
    "shipped": "delivered",
}
# Where an order waits in the fulfilment list, by its shipment's last step (None: not picked yet).
QUEUE_OF: dict[str | None, str] = {
    None: "to_pick",
    "picked": "to_pack",
    "packed": "to_ship",
    "shipped": "shipped",
    "delivered": "delivered",
}
STEP_VERBS = {"picked": "拣货", "packed": "打包", "shipped": "发货", "delivered": "确认送达"}
QUEUES = ("to_pick", "to_pack", "to_ship", "shipped", "delivered")
UNSHIPPED_STATUSES = ("paid", "partially_refunded")


class IllegalStep(Conflict):
    """A step out of turn, twice, or on an order that is not a paid web-shop order."""

    code = "illegal_fulfilment_step"


@dataclass(frozen=True)
class Step:
    """A step of an order's way to the shopper: its code, and who took it when (None: not yet)."""

    code: str
    at: datetime | None
    by: str | None


def check_tracking(carrier: str | None, tracking_no: str | None) -> tuple[str, str]:
    """A known carrier and a waybill number of its shape, normalised; InvalidInput naming the field."""
    code = (carrier or "").strip().lower()
    number = re.sub(r"[\s-]+", "", tracking_no or "").upper()
    errors: dict[str, str] = {}
    if code not in CARRIERS:
        errors["carrier"] = "请选择承运商 · choose a carrier from the list"
    if not number:
        errors["tracking_no"] = "必填 · required"
    elif len(number) > 32 or not number.isascii():
        errors["tracking_no"] = "运单号格式不对 · not a waybill number"
    elif code in TRACKING_SHAPES and not TRACKING_SHAPES[code][0].fullmatch(number):
        errors["tracking_no"] = (
            f"{CARRIERS[code][0]}运单号应为{TRACKING_SHAPES[code][1]} · not a {CARRIERS[code][1]} number"
        )
    if errors:
        raise InvalidInput("carrier or tracking number not valid", code="invalid_tracking", fields=errors)
    return code, number


def shipment_of(session: Session, order_id: str) -> Shipment | None:
    """The order's shipment, or None before it is picked."""
    return session.scalar(select(Shipment).where(Shipment.order_id == order_id))


def queue_of(shipment: Shipment | None) -> str:
    """Where an order waits: to_pick, to_pack, to_ship, shipped or delivered."""
    return QUEUE_OF[shipment.step if shipment else None]


def next_step(shipment: Shipment | None) -> str | None:
    """The step an operator takes next (None once delivered)."""
    return NEXT_STEP.get(shipment.step if shipment else None)


def open_step(order: Order, shipment: Shipment | None) -> str | None:
    """The step an operator may take on the order now; None when delivered, unpaid or refunded."""
    step = next_step(shipment)
    if step is None:
        return None
    try:
        _check_fulfillable(order, step)
    except IllegalStep:
        return None
    return step


def record_step(
    session: Session,
    clock: Clock,
    order_id: str,
    step: str,
    *,
    actor: str,
    carrier: str | None = None,
    tracking_no: str | None = None,
) -> Shipment:
    """Take the next step of a paid web-shop order (picked, packed, shipped, delivered); refuse any other."""
    if step not in STEPS:
        raise InvalidInput("unknown step", code="unknown_step", fields={"step": "未知步骤 · unknown step"})
    if step == "shipped":
        carrier, tracking_no = check_tracking(carrier, tracking_no)
    order = get_order(session, order_id, lock=True)  # one step at a time, and never beside a refund
    _check_fulfillable(order, step)
    shipment = shipment_of(session, order_id)
    expected = next_step(shipment)
    if step != expected:
        waiting = FULFILMENT_STEPS[queue_of(shipment)]
        raise IllegalStep(
            f"the next step is {expected or 'none'}, not {step}",
            fields={
                "step": f"此订单{waiting[0]}，不能{STEP_VERBS[step]} · {waiting[1].lower()}: cannot {step}"
            },
        )
    now = clock.now()
    if shipment is None:
        shipment = Shipment(order_id=order.id, step="picked", picked_at=now, picked_by=actor)
        session.add(shipment)
        return shipment
    shipment.step = step
    if step == "packed":
        shipment.packed_at, shipment.packed_by = now, actor
    elif step == "shipped":
        shipment.shipped_at, shipment.shipped_by = now, actor
        shipment.carrier, shipment.tracking_no = carrier, tracking_no
    else:
        shipment.delivered_at, shipment.delivered_by = now, actor
        if order.status == "paid":  # a partly refunded order keeps saying so; its shipment says delivered
            transition(order, "fulfilled", actor=actor, at=now, reason=f"delivered: {carrier_name(shipment)}")
    return shipment


def _check_fulfillable(order: Order, step: str) -> None:
    if order.channel != "storefront":
        raise IllegalStep(
            "only web-shop orders are shipped", fields={"order": "非网上商城订单 · not a web-shop order"}
        )
    if order.captured_fen == 0:
        raise IllegalStep("the order is not paid", fields={"order": "订单未付款 · the order is not paid"})
    allowed = (*UNSHIPPED_STATUSES, "refunded") if step == "delivered" else UNSHIPPED_STATUSES
    if order.status not in allowed:
        raise IllegalStep(
            f"an order that is {order.status} is not shipped",
            fields={"order": "订单已全额退款或已完成，不再发货 · refunded or done: nothing to ship"},
        )


def carrier_name(shipment: Shipment) -> str:
    """The carrier and waybill number as a reader sees them: 顺丰速运 SF1234567890123."""
    if not shipment.carrier:
        return ""
    return f"{CARRIERS.get(shipment.carrier, (shipment.carrier,))[0]} {shipment.tracking_no}"


def steps_of(order: Order, shipment: Shipment | None) -> list[Step]:
    """The order's way so far and still ahead: paid, picked, packed, shipped, delivered."""
    paid = next((e for e in order.events if e.to_status == "paid"), None)
    steps = [Step("paid", paid.at if paid else None, paid.actor if paid else None)]
    for code in STEPS:
        at = getattr(shipment, f"{code}_at", None) if shipment else None
        steps.append(Step(code, at, getattr(shipment, f"{code}_by", None) if shipment else None))
    return steps


def fulfilment_queue(
    session: Session, *, delivered_limit: int = 50
) -> dict[str, list[tuple[Order, Shipment | None]]]:
    """Paid web-shop orders by where they wait (to pick … delivered), oldest first; the latest delivered."""
    queues: dict[str, list[tuple[Order, Shipment | None]]] = {name: [] for name in QUEUES}
    unpicked = session.scalars(
        select(Order)
        .outerjoin(Shipment, Shipment.order_id == Order.id)
        .where(Order.channel == "storefront", Order.status.in_(UNSHIPPED_STATUSES), Shipment.id.is_(None))
        .order_by(Order.created_at, Order.id)
    )
    queues["to_pick"] = [(order, None) for order in unpicked]
    moving = session.execute(
        select(Order, Shipment)
        .join(Shipment, Shipment.order_id == Order.id)
        .where(
            Shipment.step.in_(("picked", "packed", "shipped")),
            # refunded before it left: nothing to ship any more (a parcel on its way still arrives)
            or_(Shipment.step == "shipped", Order.status != "refunded"),
        )
        .order_by(Shipment.picked_at, Order.id)
    )
    for order, shipment in moving:
        queues[queue_of(shipment)].append((order, shipment))
    delivered = session.execute(
        select(Order, Shipment)
        .join(Shipment, Shipment.order_id == Order.id)
        .where(Shipment.step == "delivered")
        .order_by(Shipment.delivered_at.desc(), Order.id)
        .limit(delivered_limit)
    )
    queues["delivered"] = [(order, shipment) for order, shipment in delivered]
    return queues
