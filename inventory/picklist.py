"""Restock pick lists for a kiosk or a route, and recording what a restock visit did."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalogue.models import Product
from core.clock import Clock, local_date
from core.errors import DomainError, InvalidInput, NotFound
from inventory.allocation import Candidate, FefoPool
from inventory.counts import count
from inventory.locations import get_location, today
from inventory.models import Location, Lot, Slot, StockBalance, StockMovement
from inventory.reservations import expire_reservations
from inventory.sellable import LotStock, slot_stock
from inventory.stock import transfer, write_off


@dataclass(frozen=True)
class LotQty:
    lot: Lot
    qty: int


@dataclass
class PickLine:
    """One slot: what is sellable there, what to bring from the warehouse and what to take out."""

    slot: Slot
    product: Product
    sellable: int
    bring: int
    lots: list[LotQty] = field(default_factory=list)
    short: int = 0
    take_out: list[LotQty] = field(default_factory=list)
    blocked: str | None = None  # why the slot sells nothing now (inventory.sellable): expired_stock


@dataclass
class PickList:
    kiosk: Location
    warehouse: Location | None
    lines: list[PickLine]
    generated_at: datetime


@dataclass
class RoutePickList:
    route: str
    kiosks: list[PickList]
    load: list[tuple[Location, Product, LotQty]]
    generated_at: datetime


class _WarehouseStock:
    """Free unexpired stock per (warehouse, product), drawn down as kiosks of a route take from it."""

    def __init__(self, session: Session, day: date) -> None:
        self.session, self.day = session, day
        self.pools: dict[tuple[int, int], FefoPool] = {}
        self.lots: dict[int, Lot] = {}

    def pool(self, warehouse_id: int, product_id: int) -> FefoPool:
        """The free stock of a product at a warehouse, read once per pick list."""
        key = (warehouse_id, product_id)
        if key not in self.pools:
            balances = self.session.scalars(
                select(StockBalance)
                .options(selectinload(StockBalance.lot))
                .where(StockBalance.location_id == warehouse_id, StockBalance.product_id == product_id)
            ).all()
            self.lots.update({b.lot_id: b.lot for b in balances})
            candidates = [Candidate(b.id, b.lot_id, b.lot.expires_on, b.available) for b in balances]
            self.pools[key] = FefoPool(candidates, self.day)
        return self.pools[key]


def _kiosk_list(session: Session, kiosk: Location, stock: _WarehouseStock, now: datetime) -> PickList:
    day = stock.day
    balances = session.scalars(
        select(StockBalance)
        .options(selectinload(StockBalance.lot))
        .where(StockBalance.location_id == kiosk.id, StockBalance.on_hand > 0)
    ).all()
    in_slot: dict[int, list[StockBalance]] = defaultdict(list)
    for balance in balances:
        in_slot[balance.slot_id or 0].append(balance)
    lines: list[PickLine] = []
    slots = session.scalars(
        select(Slot)
        .options(selectinload(Slot.product))
        .where(Slot.location_id == kiosk.id)
        .order_by(Slot.code)
    )
    for slot in slots:
        held = in_slot.get(slot.id, [])
        expired = sorted(
            (b for b in held if b.lot.is_expired(day)), key=lambda b: (b.lot.expires_on, b.lot_id)
        )
        sellable = sum(
            b.on_hand for b in held if not b.lot.is_expired(day) and b.product_id == slot.product_id
        )
        bring = max(0, slot.par_level - sellable) if slot.active else 0
        own = [
            LotStock(b.lot.expires_on, b.on_hand, b.available)
            for b in held
            if b.product_id == slot.product_id
        ]
        line = PickLine(
            slot,
            slot.product,
            sellable,
            bring,
            take_out=[LotQty(b.lot, b.on_hand) for b in expired],
            # Judged today, not on the next visit's day the pulls are planned by.
            blocked=slot_stock(own, local_date(now), mode=kiosk.mode).blocked,
        )
        if bring and kiosk.warehouse_id is not None:
            taken = stock.pool(kiosk.warehouse_id, slot.product_id).take(bring)
            line.lots = [LotQty(stock.lots[c.lot_id], qty) for c, qty in taken]
        line.short = bring - sum(lq.qty for lq in line.lots)
        lines.append(line)
    return PickList(kiosk=kiosk, warehouse=kiosk.warehouse, lines=lines, generated_at=now)


def _sellable_until(clock: Clock, next_visit: date | None) -> date:
    # Goods that would be expired by the next visit are pulled now, and none such are brought:
    # the day the list judges expiry by is the next visit's (today's when none is planned).
    return max(today(clock), next_visit) if next_visit else today(clock)


def kiosk_pick_list(session: Session, clock: Clock, code: str, *, next_visit: date | None = None) -> PickList:
    """What a restocker brings to one kiosk (to par, earliest expiry first) and takes out (expired,
    or expired by `next_visit` when given)."""
    kiosk = get_location(session, code)
    if kiosk.kind != "kiosk":
        raise NotFound(f"no kiosk {code}", code="kiosk_not_found")
    if kiosk.warehouse_id is not None:
        expire_reservations(session, clock, location_id=kiosk.warehouse_id)
    stock = _WarehouseStock(session, _sellable_until(clock, next_visit))
    return _kiosk_list(session, kiosk, stock, clock.now())


def route_pick_list(
    session: Session, clock: Clock, route: str, *, next_visit: date | None = None
) -> RoutePickList:
    """The pick lists of a route's kiosks, and the lots to load, no unit promised to two kiosks."""
    kiosks = session.scalars(
        select(Location)
        .where(Location.kind == "kiosk", Location.route == route, Location.active.is_(True))
        .order_by(Location.code)
    ).all()
    if not kiosks:
        raise NotFound(f"no kiosks on route {route}", code="route_not_found")
    for warehouse_id in sorted({k.warehouse_id for k in kiosks if k.warehouse_id is not None}):
        expire_reservations(session, clock, location_id=warehouse_id)
    stock = _WarehouseStock(session, _sellable_until(clock, next_visit))
    lists = [_kiosk_list(session, kiosk, stock, clock.now()) for kiosk in kiosks]
    load: dict[tuple[int, int], list[Any]] = {}
    for pick in lists:
        for line in pick.lines:
            for lq in line.lots:
                assert pick.warehouse is not None
                entry = load.setdefault(
                    (pick.warehouse.id, lq.lot.id), [pick.warehouse, line.product, lq.lot, 0]
                )
                entry[3] += lq.qty
    rows = [(w, p, LotQty(lot, qty)) for w, p, lot, qty in load.values()]
    rows.sort(key=lambda r: (r[0].code, r[1].id, r[2].lot.expires_on))
    return RoutePickList(route=route, kiosks=lists, load=rows, generated_at=clock.now())


def _renamed(error: DomainError, prefix: str, renames: dict[str, str]) -> DomainError:
    fields = {f"{prefix}.{renames.get(k, k)}": v for k, v in error.fields.items()}
    return type(error)(error.message, code=error.code, fields=fields)


MAX_REFERENCE = StockMovement.__table__.c.reference.type.length


def visit_reference(kiosk: str, idempotency_key: str) -> str:
    """The reference every movement of the visit a key names carries (the key is scoped to the kiosk)."""
    reference = f"restock:{kiosk}:{idempotency_key}"
    if not idempotency_key or len(reference) > MAX_REFERENCE:
        raise InvalidInput(
            "the Idempotency-Key is empty or too long",
            code="idempotency_key_too_long",
            fields={"Idempotency-Key": f"1 to {MAX_REFERENCE - len(kiosk) - 9} characters"},
        )
    return reference


def _recorded(session: Session, place: Location, reference: str) -> list[StockMovement]:
    # The kiosk's row is locked first, so that of two submits of one key the second waits for the
    # first to commit and then finds its movements (SQLite writes one transaction at a time anyway).
    session.scalar(select(Location.id).where(Location.id == place.id).with_for_update())
    return list(
        session.scalars(
            select(StockMovement).where(StockMovement.reference == reference).order_by(StockMovement.id)
        )
    )


def record_restock_visit(
    session: Session,
    clock: Clock,
    *,
    kiosk: str,
    put: list[dict[str, Any]],
    removed: list[dict[str, Any]],
    actor: str,
    note: str = "",
    returned: list[dict[str, Any]] | None = None,
    counted: list[dict[str, Any]] | None = None,
    idempotency_key: str | None = None,
) -> tuple[str, list[StockMovement]]:
    """Record a visit in one unit of work: expired or damaged goods written off, goods near expiry
    taken back to the warehouse, lots from the warehouse put in, then the slots' counts squared.
    A visit already recorded under the same idempotency key is returned as it was, nothing written."""
    place = get_location(session, kiosk)
    if place.kind != "kiosk":
        raise NotFound(f"no kiosk {kiosk}", code="kiosk_not_found")
    if idempotency_key is not None:
        reference = visit_reference(place.code, idempotency_key)
        if done := _recorded(session, place, reference):
            return reference, done
    else:
        reference = f"restock:{place.code}:{clock.now():%Y%m%dT%H%M%S}"
    if (put or returned) and place.warehouse is None:
        raise InvalidInput(
            f"{kiosk} has no warehouse", fields={"put": "the kiosk has no warehouse to restock from"}
        )
    warehouse = place.warehouse.code if place.warehouse else ""
    common = {"actor": actor, "reference": reference, "note": note}
    steps: list[tuple[str, list[dict[str, Any]], Any, dict[str, str]]] = [
        (
            "removed",
            removed,
            lambda e: write_off(
                session,
                clock,
                location=place.code,
                slot=e["slot"],
                lot=e.get("lot"),
                qty=e["qty"],
                reason=e.get("reason", "expired"),
                **common,
            ),
            {},
        ),
        (
            "returned",
            returned or [],
            lambda e: transfer(
                session,
                clock,
                source=place.code,
                source_slot=e["slot"],
                dest=warehouse,
                lot=e["lot"],
                qty=e["qty"],
                **common,
            ),
            {"from_slot": "slot", "from": "slot"},
        ),
        (
            "put",
            put,
            lambda e: transfer(
                session,
                clock,
                source=warehouse,
                dest=place.code,
                dest_slot=e["slot"],
                lot=e["lot"],
                qty=e["qty"],
                **common,
            ),
            {"to_slot": "slot", "from": "lot"},
        ),
        (
            "counted",
            counted or [],
            lambda e: (
                count(
                    session, clock, location=place.code, slot=e["slot"], counted=e["counted"], **common
                ).movements
            ),
            {},
        ),
    ]
    movements: list[StockMovement] = []
    for name, entries, record, renames in steps:
        for i, entry in enumerate(entries):
            try:
                movements += record(entry)
            except DomainError as error:
                raise _renamed(error, f"{name}.{i}", renames) from error
    return reference, movements
