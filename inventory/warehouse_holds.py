"""Holding an order's stock at one warehouse: the preferred cities' warehouses first, then the others.

The storefront (15 minutes) and approved bulk orders (7 days) ship from a single warehouse, so all
of an order's lines are held at the first warehouse that has every one of them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import Clock
from inventory.errors import OutOfStock
from inventory.models import Location
from inventory.reservations import reserve


def _warehouses(session: Session, prefer_partners: Collection[str]) -> list[Location]:
    """Active warehouses, those of the preferred partner cities first, each group in id order."""
    found = session.scalars(
        select(Location).where(Location.kind == "warehouse", Location.active).order_by(Location.id)
    )
    return sorted(found, key=lambda w: w.partner_code not in prefer_partners)


def reserve_at_first_warehouse(
    session: Session,
    clock: Clock,
    *,
    order_ref: str,
    lines: list[tuple[int, int]],
    expires_at: datetime,
    prefer_partners: Collection[str] = (),
) -> Location:
    """Hold all of an order's (product id, qty) lines at the first warehouse that has every one
    of them, the preferred partner cities' first; return that warehouse, or raise OutOfStock."""
    shortage: OutOfStock | None = None
    for warehouse in _warehouses(session, prefer_partners):
        try:
            with session.begin_nested():  # a warehouse that lacks something holds nothing
                reserve(
                    session,
                    clock,
                    order_ref=order_ref,
                    location_id=warehouse.id,
                    lines=lines,
                    expires_at=expires_at,
                )
        except OutOfStock as exc:
            shortage = exc
            continue
        return warehouse
    raise shortage or OutOfStock("no warehouse holds this order", fields={"lines": "out of stock"})
