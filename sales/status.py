"""The order status machine: which transitions are legal, and the record of every one taken."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import inspect
from sqlalchemy.orm import object_session

from sales.errors import IllegalTransition
from sales.models import Order, OrderEvent

TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({"draft", "awaiting_payment", "awaiting_authorization"}),
    "draft": frozenset({"awaiting_approval", "awaiting_payment", "cancelled"}),
    "awaiting_approval": frozenset({"awaiting_payment", "rejected", "cancelled"}),
    "awaiting_payment": frozenset({"paid", "cancelled", "expired"}),
    "awaiting_authorization": frozenset({"authorized", "cancelled", "expired"}),
    "authorized": frozenset({"completed", "cancelled", "expired"}),
    "paid": frozenset({"fulfilled", "completed", "partially_refunded", "refunded"}),
    "fulfilled": frozenset({"completed", "partially_refunded", "refunded"}),
    "completed": frozenset({"partially_refunded", "refunded"}),
    # A refund the provider failed is booked back: the order returns to where it was (see sales.refunds).
    "partially_refunded": frozenset({"partially_refunded", "refunded", "completed", "fulfilled", "paid"}),
    # Money that arrives after a hold lapsed is honoured (or refunded): see sales.payment_flow.
    "expired": frozenset({"paid", "refunded"}),
    "cancelled": frozenset({"paid", "refunded"}),
    "refunded": frozenset({"partially_refunded", "paid", "fulfilled", "completed"}),
    "rejected": frozenset(),
}
OPEN_STATUSES = frozenset({"awaiting_payment", "awaiting_authorization"})


def can_transition(current: str | None, target: str) -> bool:
    """Tell whether the machine allows current → target."""
    return target in TRANSITIONS.get(current, frozenset())


def transition(order: Order, target: str, *, actor: str, at: datetime, reason: str = "") -> None:
    """Move an order to a new status and record who did it and why; refuse illegal moves."""
    current = order.status
    if not can_transition(current, target):
        raise IllegalTransition(
            f"an order cannot go from {current} to {target}",
            fields={"status": f"{current} → {target} not allowed"},
        )
    order.status = target
    order.updated_at = at
    event = OrderEvent(from_status=current, to_status=target, actor=actor, reason=reason, at=at)
    session = object_session(order)
    if session is not None and order not in session.new and "events" in inspect(order).unloaded:
        # Appending would first load every earlier event of the order: add the new one by key.
        event.order_id = order.id
        session.add(event)
    else:
        order.events.append(event)
