"""Holding an order's stock at one warehouse: the preferred cities' warehouses first, then the others.

The storefront (15 minutes) and approved bulk orders (7 days) ship from a single warehouse, so all
of an order's lines are held at the first warehouse that has every one of them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import Clock
from inventory.errors import OutOfStock
from inventory.models import ACTIVE_HOLD, Location, Lot, Reservation, StockBalance
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


def free_at_warehouses(
    session: Session,
    clock: Clock,
    *,
    product_ids: Collection[int],
    good_through: date,
    prefer_partners: Collection[str] = (),
) -> list[tuple[Location, dict[int, int]]]:
    """What reserve_at_first_warehouse could hold of each product at each active warehouse (the
    preferred partner cities' first): units on hand, not held, of lots good through `good_through`.

    Read without locks, for a page or a check before the hold; a hold past its expiry counts as free,
    as the hold itself would release it."""
    warehouses = _warehouses(session, prefer_partners)
    wanted = set(product_ids)
    if not warehouses or not wanted:
        return [(w, {}) for w in warehouses]
    scope = (
        StockBalance.location_id.in_([w.id for w in warehouses]),
        StockBalance.slot_id.is_(None),
        StockBalance.product_id.in_(wanted),
        Lot.expires_on >= good_through,
    )
    free: dict[int, dict[int, int]] = {w.id: {} for w in warehouses}
    rows = session.execute(
        select(
            StockBalance.location_id,
            StockBalance.product_id,
            func.sum(StockBalance.on_hand - StockBalance.reserved),
        )
        .join(Lot, Lot.id == StockBalance.lot_id)
        .where(*scope)
        .group_by(StockBalance.location_id, StockBalance.product_id)
    ).all()
    lapsed = session.execute(
        select(StockBalance.location_id, StockBalance.product_id, func.sum(Reservation.qty))
        .join(StockBalance, StockBalance.id == Reservation.balance_id)
        .join(Lot, Lot.id == StockBalance.lot_id)
        .where(*scope, Reservation.status == ACTIVE_HOLD, Reservation.expires_at <= clock.now())
        .group_by(StockBalance.location_id, StockBalance.product_id)
    ).all()
    for location_id, product_id, qty in [*rows, *lapsed]:
        here = free[location_id]
        here[product_id] = here.get(product_id, 0) + int(qty or 0)
    return [(w, free[w.id]) for w in warehouses]
