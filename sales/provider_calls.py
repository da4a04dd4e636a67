"""Provider calls a unit of work leaves owing, to be made after it commits (STYLE.md rule 7).

A domain function that writes a pending refund, cancels an order whose payment may still hold
money, or records what an open-door shopper took notes the order here; the application service
that owns the unit of work commits and then settles each noted order (`payment_flow.settle_order`).
What a crash loses between the commit and the call is in the database (pending refunds, lapsed
orders with live payments) and is found again by reconciliation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

_OWED = "dongxi.settlements_owed"


def owe_settlement(session: Session, order_id: str) -> None:
    """Note that this unit of work leaves an order owing provider calls (a refund, capture or release)."""
    session.info.setdefault(_OWED, set()).add(order_id)


def settlements_owed(session: Session) -> list[str]:
    """Take the orders this unit of work left owing provider calls (settle each after the commit)."""
    return sorted(session.info.pop(_OWED, ()))


@event.listens_for(Session, "after_soft_rollback")
def _forget_owed(session: Session, previous: Any) -> None:
    if not previous.nested:  # what a rolled-back unit of work noted is owed no more
        session.info.pop(_OWED, None)
