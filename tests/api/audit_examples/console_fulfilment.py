"""Examples of the console's fulfilment form: each step of a paid web-shop order, shipping confirmed."""

from __future__ import annotations

from sales import shipping
from tests.api.audit_examples import Ctx, example
from tests.api.audit_examples.setups import paid_storefront_order
from tests.audit_watch import Seen

STEP = "POST /console/orders/<string:order_id>/fulfilment"
STEPS = ("picked", "packed", "shipped", "delivered")
SHIPPED = {"carrier": "sf", "tracking_no": "SF1234567890123"}


def _step(ctx: Ctx, step: str, **form: str) -> Seen:
    """A paid storefront order taken through the steps before `step`, then `step` by the form."""
    order_id = paid_storefront_order(ctx)["order_id"]
    for earlier in STEPS[: STEPS.index(step)]:
        extra = SHIPPED if earlier == "shipped" else {}
        shipping.record_step(ctx.session, ctx.clock, order_id, earlier, actor="demo-operator", **extra)
    ctx.session.flush()
    return ctx.page("operator", f"/console/orders/{order_id}/fulfilment", {"step": step, **form})


@example(STEP, "picked")
def mark_picked(ctx: Ctx) -> Seen:
    return _step(ctx, "picked")


@example(STEP, "packed")
def mark_packed(ctx: Ctx) -> Seen:
    return _step(ctx, "packed")


@example(STEP, "shipped")
def ship_confirmed(ctx: Ctx) -> Seen:
    return _step(ctx, "shipped", **SHIPPED, confirm="1")


@example(STEP, "delivered")
def mark_delivered(ctx: Ctx) -> Seen:
    return _step(ctx, "delivered")
