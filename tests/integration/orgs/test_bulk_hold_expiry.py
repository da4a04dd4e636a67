"""A bulk order's 7-day hold takes only lots that outlast it, and its fulfilment never ships a lot
that has expired: it takes another lot of the same warehouse, or the sale is refused as out of stock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.clock import local_date
from inventory.models import Location, Lot, Reservation, StockBalance, StockMovement
from sales import bulk

from .factories import approved_order, demo_unit, product

OATS = "GY-OATS-1KG"  # at FZ-WH-01: a lot expiring within the week, and one good for months


def oat_lots(session) -> dict[int, Lot]:  # type: ignore[no-untyped-def]
    warehouse = session.scalar(select(Location).where(Location.code == "FZ-WH-01"))
    balances = session.scalars(
        select(StockBalance).where(
            StockBalance.location_id == warehouse.id,
            StockBalance.product_id == product(session, OATS).id,
            StockBalance.on_hand > 0,
        )
    ).all()
    return {b.lot_id: b.lot for b in balances}


def held_lots(session, order_id: str) -> set[int]:  # type: ignore[no-untyped-def]
    holds = session.scalars(select(Reservation).where(Reservation.order_ref == order_id)).all()
    return {h.lot_id for h in holds if h.status == "active"}


def sold_lots(session, order_id: str) -> set[int]:  # type: ignore[no-untyped-def]
    sales = session.scalars(
        select(StockMovement).where(StockMovement.reference == order_id, StockMovement.kind == "sale")
    ).all()
    return {m.lot_id for m in sales}


def test_a_bulk_hold_takes_only_lots_that_outlast_the_seven_days(session, clock) -> None:
    unit = demo_unit(session, clock)
    hold_ends = local_date(clock.now() + bulk.BULK_HOLD)
    lots = oat_lots(session)
    assert any(lot.expires_on < hold_ends for lot in lots.values())  # FEFO's first pick expires in the hold
    order, _ = approved_order(session, clock, unit, [(OATS, 2)])
    held = held_lots(session, order.id)
    assert held and all(lots[lot_id].expires_on >= hold_ends for lot_id in held)


def test_fulfilment_does_not_ship_a_lot_that_expired_during_the_hold(session, clock) -> None:
    unit = demo_unit(session, clock)
    order, _ = approved_order(session, clock, unit, [(OATS, 2)])
    [held] = held_lots(session, order.id)
    clock.advance(days=3)
    session.get(Lot, held).expires_on = local_date(clock.now()) - timedelta(days=1)  # recalled, re-dated
    bulk.record_bank_transfer(
        session, clock, order.id, bank_reference="ICBC-OATS-1", amount_fen=order.total_fen, actor="op"
    )
    session.flush()
    sold = sold_lots(session, order.id)
    assert order.status == "paid" and held not in sold and sold
    today = local_date(clock.now())
    assert all(session.get(Lot, lot_id).expires_on >= today for lot_id in sold)
