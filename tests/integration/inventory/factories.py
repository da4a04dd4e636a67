"""Inventory test factories, and the ledger invariants every inventory test may check."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.models import Product
from core.clock import Clock
from inventory import service
from inventory.locations import today
from inventory.models import Location, Lot, Reservation, StockBalance, StockMovement

FUZHOU = "350100"
NOODLES = "GY-INSTANT-VERMICELLI-6"
HONEY = "GY-HONEY-500G"
OATS = "GY-OATS-1KG"


def product_id(session: Session, sku: str) -> int:
    found = session.scalar(select(Product.id).where(Product.sku == sku))
    assert found is not None, sku
    return found


@dataclass
class World:
    """A warehouse and a kiosk of their own, so that tests do not lean on the demo's stock."""

    session: Session
    clock: Clock
    warehouse: Location
    kiosk: Location

    def pid(self, sku: str) -> int:
        return product_id(self.session, sku)

    def receive(self, sku: str, lot: str, qty: int, *, days: int = 100) -> StockMovement:
        """Receive qty units of a lot expiring `days` from today into the warehouse."""
        movement = service.receive(
            self.session,
            self.clock,
            location=self.warehouse.code,
            product=self.pid(sku),
            lot=lot,
            expires_on=today(self.clock) + timedelta(days=days),
            qty=qty,
            actor="test",
        )
        self.session.flush()
        return movement

    def stock_slot(self, slot: str, qty: int, lot: str | None = None) -> list[StockMovement]:
        moved = service.transfer(
            self.session,
            self.clock,
            source=self.warehouse.code,
            dest=self.kiosk.code,
            dest_slot=slot,
            lot=lot,
            qty=qty,
            actor="test",
        )
        self.session.flush()
        return moved

    def balance(self, *, location: Location | None = None, slot: str | None = None, lot: str) -> StockBalance:
        place = location or (self.kiosk if slot else self.warehouse)
        stmt = (
            select(StockBalance)
            .join(Lot, Lot.id == StockBalance.lot_id)
            .where(StockBalance.location_id == place.id, Lot.code == lot)
        )
        if slot is not None:
            stmt = stmt.where(StockBalance.slot_id == self.slot_id(slot))
        found = self.session.scalar(stmt.execution_options(populate_existing=True))
        assert found is not None
        return found

    def slot_id(self, code: str) -> int:
        return next(s.id for s in self.kiosk.slots if s.code == code)


def make_world(
    session: Session,
    clock: Clock,
    *,
    prefix: str = "T",
    slots: tuple[tuple[str, str, int, int], ...] = (
        ("A1", NOODLES, 8, 6),
        ("A2", NOODLES, 8, 6),
        ("B1", HONEY, 6, 4),
    ),
    mode: str = "vend",
    route: str | None = None,
) -> World:
    """A warehouse `{prefix}-WH` and a kiosk `{prefix}-K1` with slots (code, sku, capacity, par)."""
    warehouse = service.create_location(
        session, clock, code=f"{prefix}-WH", kind="warehouse", name_zh="测试仓", partner=FUZHOU
    )
    session.flush()
    kiosk = service.create_location(
        session,
        clock,
        code=f"{prefix}-K1",
        kind="kiosk",
        mode=mode,
        name_zh="测试柜",
        partner=FUZHOU,
        warehouse=warehouse.code,
        route=route,
    )
    session.flush()
    for code, sku, capacity, par in slots:
        service.add_slot(
            session, kiosk.code, code=code, product=product_id(session, sku), capacity=capacity, par_level=par
        )
    session.flush()
    session.refresh(kiosk)
    return World(session, clock, warehouse, kiosk)


def ledger_problems(session: Session) -> list[str]:
    """Every way the balances disagree with the ledger or break a rule; empty when all is well."""
    session.flush()
    net: dict[tuple[int, int | None, int, int], int] = defaultdict(int)
    inflow = select(
        StockMovement.to_location_id,
        StockMovement.to_slot_id,
        StockMovement.product_id,
        StockMovement.lot_id,
        func.sum(StockMovement.qty),
    ).where(StockMovement.to_location_id.is_not(None))
    outflow = select(
        StockMovement.from_location_id,
        StockMovement.from_slot_id,
        StockMovement.product_id,
        StockMovement.lot_id,
        func.sum(StockMovement.qty),
    ).where(StockMovement.from_location_id.is_not(None))
    for sign, stmt in ((1, inflow), (-1, outflow)):
        for loc, slot, product, lot, qty in session.execute(stmt.group_by(*stmt.selected_columns[:4])):
            net[(loc, slot, product, lot)] += sign * qty
    held: dict[int, int] = defaultdict(int)
    for balance_id, qty in session.execute(
        select(Reservation.balance_id, func.sum(Reservation.qty))
        .where(Reservation.status == "active")
        .group_by(Reservation.balance_id)
    ):
        held[balance_id] = qty
    problems = []
    balances = session.scalars(select(StockBalance).execution_options(populate_existing=True)).all()
    seen = set()
    for b in balances:
        key = (b.location_id, b.slot_id, b.product_id, b.lot_id)
        seen.add(key)
        if b.on_hand != net.get(key, 0):
            problems.append(f"balance {key}: on hand {b.on_hand}, movements say {net.get(key, 0)}")
        if b.on_hand < 0 or b.reserved < 0 or b.reserved > b.on_hand:
            problems.append(f"balance {key}: on hand {b.on_hand}, reserved {b.reserved}")
        if b.reserved != held.get(b.id, 0):
            problems.append(f"balance {key}: reserved {b.reserved}, active holds {held.get(b.id, 0)}")
    problems += [
        f"movements {key} net {qty} have no balance" for key, qty in net.items() if key not in seen and qty
    ]
    return problems
