"""Console pages for shipping web-shop orders: the fulfilment list, and each order's next step
(pick, pack, ship with carrier and waybill number after a confirmation, mark delivered)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from accounts.roles import STAFF_READERS
from core.errors import DomainError, InvalidInput
from core.labels import CARRIERS, FULFILMENT_STEPS
from kiosk_api.console.access import can_edit, console, page_roles, signed_in_user
from kiosk_api.database import get_clock, get_session
from kiosk_api.template_filters import masked_phone
from sales import shipping
from sales.models import Order
from sales.orders import get_order

# What each form field is called where an error names it.
FIELD_NAMES = {
    "carrier": "承运商 Carrier",
    "tracking_no": "运单号 Tracking number",
    "step": "步骤 Step",
    "order": "订单 Order",
}
ACTIONS = {
    "picked": ("拣货完成", "Mark picked"),
    "packed": ("打包完成", "Mark packed"),
    "shipped": ("发货", "Ship"),
    "delivered": ("确认送达", "Mark delivered"),
}


@console.app_template_global()
def fulfilment_of(order: Order) -> dict[str, Any] | None:
    """What an order page shows of a web-shop order's delivery and steps (None for other channels)."""
    if order.channel != "storefront":
        return None
    shipment = shipping.shipment_of(get_session(), order.id)
    contact = (order.details or {}).get("contact", {})
    step = shipping.open_step(order, shipment)
    return {
        "shipment": shipment,
        # where it waits; none for an order not paid, or refunded before it was shipped
        "queue": shipping.queue_of(shipment) if shipment or step else None,
        "next": step,
        "steps": shipping.steps_of(order, shipment),
        "recipient": contact.get("name", ""),
        "phone": masked_phone(contact.get("phone", "")),
        "address": contact.get("address", ""),
        "carriers": CARRIERS,
        "actions": ACTIONS,
        "field_names": FIELD_NAMES,
    }


@console.get("/fulfilment")
@page_roles(*STAFF_READERS)
def fulfilment() -> str:
    """Paid web-shop orders by where they wait: to pick, to pack, to ship, shipped, delivered."""
    queues = shipping.fulfilment_queue(get_session())
    return render_template(
        "console/fulfilment.html",
        queues=queues,
        steps=FULFILMENT_STEPS,
        carrier_name=shipping.carrier_name,
    )


def _step_page(order: Order, errors: dict[str, str], values: dict[str, str], status: int) -> tuple[str, int]:
    return render_template(
        "console/fulfilment_step.html",
        order=order,
        editable=can_edit(),
        fulfilment_errors=errors,
        fulfilment_values=values,
    ), status


@console.post("/orders/<string:order_id>/fulfilment")
@page_roles(*STAFF_READERS)
def fulfilment_step(order_id: str) -> Any:
    """Take an order's next step; shipping asks for carrier and waybill number, then a confirmation."""
    user = signed_in_user()
    assert user is not None
    session, clock = get_session(), get_clock()
    try:
        order = get_order(session, order_id)
    except DomainError:
        abort(404)
    form = request.form
    step = form.get("step", "")
    values = {"carrier": form.get("carrier", "").strip(), "tracking_no": form.get("tracking_no", "").strip()}
    if step == "shipped":
        try:
            values["carrier"], values["tracking_no"] = shipping.check_tracking(
                values["carrier"], values["tracking_no"]
            )
        except InvalidInput as error:
            return _step_page(order, error.fields, values, 422)
        if form.get("confirm") != "1":
            return render_template(
                "console/fulfilment_confirm.html",
                order=order,
                fulfilment=fulfilment_of(order),
                values=values,
                carrier=CARRIERS[values["carrier"]],
            )
    try:
        shipping.record_step(session, clock, order_id, step, actor=user.username, **values)
    except DomainError as error:
        session.rollback()
        status = 422 if isinstance(error, InvalidInput) else 409
        return _step_page(
            get_order(session, order_id), error.fields or {"order": error.message}, values, status
        )
    zh, en = FULFILMENT_STEPS[step]
    flash(f"{zh} · {en}")
    return redirect(url_for("console.order_detail", order_id=order_id) + "#fulfilment")
