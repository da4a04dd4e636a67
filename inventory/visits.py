"""What a restocker's pages read: the routes of the day, a kiosk's visit sheet (its pick list with
what each slot holds and the warehouse lots to choose from), and what a recorded visit moved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.clock import Clock
from inventory.locations import get_location, today
from inventory.models import Location, Lot, StockBalance, StockMovement
from inventory.picklist import (
    LotQty,
    PickLine,
    PickList,
    RoutePickList,
    kiosk_pick_list,
    route_pick_list,
    visit_reference,
)


@dataclass
class SheetSlot:
    """One slot of the visit sheet: its pick line, what it holds now, and the lots one may bring."""

    line: PickLine
    in_slot: list[LotQty]
    choices: list[LotQty]

    @property
    def on_hand(self) -> int:
        """Units of the slot's product in it now, expired ones included (what a count would find)."""
        return sum(lq.qty for lq in self.in_slot if lq.lot.product_id == self.line.slot.product_id)


@dataclass
class VisitSheet:
    """A kiosk's visit form, read: the pick list, its slots, today and the day of the next visit."""

    pick: PickList
    today: date
    next_visit: date
    slots: list[SheetSlot]


def routes_today(session: Session, clock: Clock, *, next_visit: date) -> list[RoutePickList]:
    """Every route with active kiosks, each with its kiosks' pick lists for a visit today."""
    routes = session.scalars(
        select(Location.route)
        .where(Location.kind == "kiosk", Location.active.is_(True), Location.route.is_not(None))
        .distinct()
        .order_by(Location.route)
    ).all()
    return [route_pick_list(session, clock, route, next_visit=next_visit) for route in routes if route]


def visit_sheet(session: Session, clock: Clock, code: str, *, next_visit: date) -> VisitSheet:
    """A kiosk's pick list with each slot's lots on hand and the warehouse's free lots, FEFO."""
    pick = kiosk_pick_list(session, clock, code, next_visit=next_visit)
    day = today(clock)
    held = session.scalars(
        select(StockBalance)
        .options(selectinload(StockBalance.lot))
        .where(StockBalance.location_id == pick.kiosk.id, StockBalance.on_hand > 0)
    ).all()
    free: list[StockBalance] = []
    if pick.warehouse is not None:
        free = [
            b
            for b in session.scalars(
                select(StockBalance)
                .options(selectinload(StockBalance.lot))
                .where(StockBalance.location_id == pick.warehouse.id, StockBalance.on_hand > 0)
            )
            if b.available > 0 and not b.lot.is_expired(day)
        ]
    fefo = sorted(free, key=lambda b: (b.lot.expires_on, b.lot_id))
    slots = [
        SheetSlot(
            line=line,
            in_slot=sorted(
                (LotQty(b.lot, b.on_hand) for b in held if b.slot_id == line.slot.id),
                key=lambda lq: (lq.lot.expires_on, lq.lot.id),
            ),
            choices=[LotQty(b.lot, b.available) for b in fefo if b.product_id == line.slot.product_id],
        )
        for line in pick.lines
    ]
    return VisitSheet(pick=pick, today=day, next_visit=next_visit, slots=slots)


def visit_movements(session: Session, code: str, idempotency_key: str) -> list[StockMovement]:
    """The movements a visit recorded under an idempotency key, in the order they were written."""
    kiosk = get_location(session, code)
    return list(
        session.scalars(
            select(StockMovement)
            .options(
                selectinload(StockMovement.lot).selectinload(Lot.product),
                selectinload(StockMovement.from_slot),
                selectinload(StockMovement.to_slot),
            )
            .where(StockMovement.reference == visit_reference(kiosk.code, idempotency_key))
            .order_by(StockMovement.id)
        )
    )
