"""Reading stock: balances, the movement trail and holds. Reads release lapsed holds first."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from core.clock import Clock
from inventory.locations import location_for_field
from inventory.models import Location, Lot, Reservation, Slot, StockBalance, StockMovement
from inventory.reservations import expire_reservations


def list_balances(
    session: Session,
    clock: Clock,
    *,
    location: str | None = None,
    product: int | None = None,
    include_empty: bool = False,
) -> list[StockBalance]:
    """List balances per (location, slot, product, lot), optionally of one location or product."""
    place = location_for_field(session, location, "location") if location else None
    expire_reservations(session, clock, location_id=place.id if place else None)
    stmt = (
        select(StockBalance)
        .join(Location, Location.id == StockBalance.location_id)
        .outerjoin(Slot, Slot.id == StockBalance.slot_id)
        .join(Lot, Lot.id == StockBalance.lot_id)
        .options(
            selectinload(StockBalance.location),
            selectinload(StockBalance.slot),
            selectinload(StockBalance.product),
            selectinload(StockBalance.lot),
        )
        .order_by(Location.code, Slot.code, StockBalance.product_id, Lot.expires_on, Lot.id)
    )
    if place is not None:
        stmt = stmt.where(StockBalance.location_id == place.id)
    if product is not None:
        stmt = stmt.where(StockBalance.product_id == product)
    if not include_empty:
        stmt = stmt.where(StockBalance.on_hand > 0)
    return list(session.scalars(stmt))


def list_movements(
    session: Session,
    *,
    location: str | None = None,
    product: int | None = None,
    reference: str | None = None,
    kind: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[StockMovement], int]:
    """Page through the ledger in the order it was written, optionally filtered."""
    stmt = select(StockMovement)
    if location:
        place = location_for_field(session, location, "location")
        stmt = stmt.where(
            or_(StockMovement.from_location_id == place.id, StockMovement.to_location_id == place.id)
        )
    if product is not None:
        stmt = stmt.where(StockMovement.product_id == product)
    if reference:
        stmt = stmt.where(StockMovement.reference == reference)
    if kind:
        stmt = stmt.where(StockMovement.kind == kind)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = (
        stmt.options(
            selectinload(StockMovement.lot),
            selectinload(StockMovement.from_location),
            selectinload(StockMovement.to_location),
            selectinload(StockMovement.from_slot),
            selectinload(StockMovement.to_slot),
        )
        .order_by(StockMovement.id)
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(page)), total


def list_reservations(
    session: Session,
    clock: Clock,
    *,
    order_ref: str | None = None,
    location: str | None = None,
    status: str | None = None,
) -> list[Reservation]:
    """List holds, optionally of one order, location or status (lapsed ones are released first)."""
    place = location_for_field(session, location, "location") if location else None
    expire_reservations(session, clock, location_id=place.id if place else None)
    stmt = (
        select(Reservation)
        .options(
            selectinload(Reservation.location), selectinload(Reservation.slot), selectinload(Reservation.lot)
        )
        .order_by(Reservation.id)
        .limit(500)
    )
    if order_ref:
        stmt = stmt.where(Reservation.order_ref == order_ref)
    if place is not None:
        stmt = stmt.where(Reservation.location_id == place.id)
    if status:
        stmt = stmt.where(Reservation.status == status)
    return list(session.scalars(stmt))
