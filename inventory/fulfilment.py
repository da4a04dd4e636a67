"""What sales/ calls beside reservations: open-door takes, returns after refunds, slot availability."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import bindparam, literal_column, or_, select
from sqlalchemy.orm import Session, joinedload

from catalogue.models import Product
from core.clock import Clock
from core.errors import Conflict, InvalidInput, NotFound
from inventory import catalogue_version, ledger
from inventory.locations import lot_for_found_stock, slot_for_field, today
from inventory.models import (
    WRITEOFF_REASONS,
    Location,
    Lot,
    Reservation,
    Slot,
    StockBalance,
    StockMovement,
)
from inventory.reservations import expire_due, expire_reservations
from inventory.sellable import LotStock, SlotStock, slot_stock
from inventory.withdrawal import withdraw


def _location(session: Session, location_id: int) -> Location:
    location = session.get(Location, location_id)
    if location is None:
        raise InvalidInput(
            "unknown location", code="unknown_location", fields={"location_id": "unknown location"}
        )
    return location


def record_taken(
    session: Session, clock: Clock, *, order_ref: str, location_id: int, slot_code: str, qty: int, actor: str
) -> list[StockMovement]:
    """Sell what an open-door shopper took from a slot. Never refused: the goods have left, so units
    beyond the records are first added by a count movement (which raises an alert)."""
    if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
        raise InvalidInput("a quantity is a whole number of at least 1", fields={"qty": "at least 1"})
    location = _location(session, location_id)
    slot = slot_for_field(session, location, slot_code, "slot")
    in_slot = (StockBalance.slot_id == slot.id) & (StockBalance.product_id == slot.product_id)
    balances = ledger.lock_balances(session, in_slot)
    expire_due(session, clock, balances)
    on_hand = sum(b.on_hand for b in balances)
    movements: list[StockMovement] = []
    if on_hand < qty:
        product = session.get(Product, slot.product_id)
        assert product is not None
        lot = lot_for_found_stock(session, clock, product, balances)
        ledger.ensure_balances(session, [(location.id, slot.id, slot.product_id, lot.id)])
        balances = ledger.lock_balances(session, in_slot)
        movements.append(
            ledger.post(
                session,
                clock,
                "count",
                qty=qty - on_hand,
                actor=actor,
                dest=next(b for b in balances if b.lot_id == lot.id),
                reason="taken_unrecorded",
                reference=order_ref,
                note=f"{qty} taken from slot {slot.code}, {on_hand} on record",
            )
        )
    movements += withdraw(
        session, clock, balances, qty, today=today(clock), kind="sale", actor=actor, reference=order_ref
    )
    return movements


def return_sold(
    session: Session,
    clock: Clock,
    *,
    order_ref: str,
    location_id: int,
    product_id: int,
    qty: int,
    restock: bool,
    actor: str,
    reason: str,
) -> list[StockMovement]:
    """Bring back units an order sold at a location: into the lot and slot they left (restock), or
    back in and written off when they cannot be sold again."""
    if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
        raise InvalidInput("a quantity is a whole number of at least 1", fields={"qty": "at least 1"})
    location = _location(session, location_id)
    returnable = _returnable(session, order_ref, location.id, product_id)
    if sum(returnable.values()) < qty:
        raise Conflict(
            "more than the order sold here",
            code="not_sold",
            fields={"qty": f"only {sum(returnable.values())} sold here and not yet returned"},
        )
    movements: list[StockMovement] = []
    remaining = qty
    for (lot_id, slot_id), left in returnable.items():
        take = min(remaining, left)
        if take == 0:
            break
        ledger.ensure_balances(session, [(location.id, slot_id, product_id, lot_id)])
        [balance] = ledger.lock_balances(
            session, ledger.balance_key_filter(location.id, slot_id, product_id, lot_id)
        )
        movements.append(
            ledger.post(
                session,
                clock,
                "return",
                qty=take,
                actor=actor,
                dest=balance,
                reference=order_ref,
                note=reason,
            )
        )
        if not restock:
            movements.append(
                ledger.post(
                    session,
                    clock,
                    "writeoff",
                    qty=take,
                    actor=actor,
                    source=balance,
                    reason=reason if reason in WRITEOFF_REASONS else "returned",
                    reference=order_ref,
                    note=reason,
                )
            )
        remaining -= take
    return movements


def _returnable(
    session: Session, order_ref: str, location_id: int, product_id: int
) -> dict[tuple[int, int | None], int]:
    """Units sold and not yet returned per (lot, slot), the most recently sold first."""
    trail = session.scalars(
        select(StockMovement)
        .where(
            StockMovement.reference == order_ref,
            StockMovement.product_id == product_id,
            or_(
                (StockMovement.kind == "sale") & (StockMovement.from_location_id == location_id),
                (StockMovement.kind == "return") & (StockMovement.to_location_id == location_id),
            ),
        )
        .order_by(StockMovement.id.desc())
    )
    net: dict[tuple[int, int | None], int] = defaultdict(int)
    for movement in trail:
        if movement.kind == "sale":
            net[(movement.lot_id, movement.from_slot_id)] += movement.qty
        else:
            net[(movement.lot_id, movement.to_slot_id)] -= movement.qty
    return {key: left for key, left in net.items() if left > 0}


# Built once: a 304 runs this on the request's connection, with no ORM statement to build or load
# (the status written into the SQL at compile time, not at each execution as ACTIVE_HOLD is, so
# that the partial index of active holds still serves it).
_VERSION_AND_LAPSED = select(
    Location.catalogue_version,
    select(Reservation.id)
    .where(
        Reservation.status == literal_column("'active'"),
        Reservation.expires_at <= bindparam("now"),
        Reservation.location_id == bindparam("location_id"),
    )
    .exists(),
).where(Location.id == bindparam("location_id"))


def catalogue_version_now(session: Session, clock: Clock, location_id: int) -> int:
    """A kiosk's catalogue version after its lapsed holds go: one indexed read when none lapsed."""
    session.flush()  # what this transaction changed is noted (changed_here) before the read
    row = (
        session.connection()
        .execute(_VERSION_AND_LAPSED, {"now": clock.now(), "location_id": location_id})
        .one_or_none()
    )
    if row is None:
        raise NotFound("no such location", code="location_not_found")
    if row[1] or catalogue_version.changed_here(session, location_id):
        expire_reservations(session, clock, location_id=location_id)
        return catalogue_version.version(session, location_id)
    return int(row[0] or 0)


def planogram(
    session: Session, clock: Clock, location_id: int, *, holds_expired: bool = False
) -> list[tuple[Slot, SlotStock]]:
    """A kiosk's active slots with their products, counties and suppliers, and what each can sell
    now (inventory.sellable: on hand minus held, unexpired lots, nothing in a vending slot that
    holds expired units), after lapsed holds go: three queries in all, two when the caller has
    just released the lapsed holds (`holds_expired`)."""
    if not holds_expired:
        expire_reservations(session, clock, location_id=location_id)
    slots = session.scalars(
        select(Slot)
        .where(Slot.location_id == location_id, Slot.active.is_(True))
        .order_by(Slot.code)
        .options(
            joinedload(Slot.product, innerjoin=True).options(
                joinedload(Product.county, innerjoin=True), joinedload(Product.supplier, innerjoin=True)
            )
        )
    ).all()
    stock = _stock_by_slot(session, location_id, today(clock))
    return [(slot, stock.get(slot.code, NONE) if slot.product.active else NONE) for slot in slots]


NONE = SlotStock(0)


def _stock_by_slot(session: Session, location_id: int, day: Any) -> dict[str, SlotStock]:
    """What each active slot of a kiosk can sell on `day`, from its lots that hold units (one query)."""
    rows = session.execute(
        select(Slot.code, Location.mode, Lot.expires_on, StockBalance.on_hand, StockBalance.reserved)
        .join(Location, Location.id == Slot.location_id)
        .join(StockBalance, (StockBalance.slot_id == Slot.id) & (StockBalance.product_id == Slot.product_id))
        .join(Lot, Lot.id == StockBalance.lot_id)
        .where(Slot.location_id == location_id, Slot.active.is_(True), StockBalance.on_hand > 0)
    )
    lots: dict[tuple[str, str | None], list[LotStock]] = defaultdict(list)
    for code, mode, expires_on, on_hand, reserved in rows:
        lots[(code, mode)].append(LotStock(expires_on, on_hand, on_hand - reserved))
    return {code: slot_stock(held, day, mode=mode) for (code, mode), held in lots.items()}


def slot_availability(session: Session, clock: Clock, location_id: int) -> dict[str, int]:
    """Units a kiosk can sell per slot (as its catalogue says: inventory.sellable), after lapsed holds go."""
    location = session.get(Location, location_id)
    if location is None:
        raise NotFound(f"no location {location_id}", code="location_not_found")
    expire_reservations(session, clock, location_id=location.id)
    slots = session.scalars(
        select(Slot).where(Slot.location_id == location.id, Slot.active.is_(True)).order_by(Slot.code)
    ).all()
    stock = _stock_by_slot(session, location.id, today(clock))
    return {slot.code: stock.get(slot.code, NONE).available for slot in slots}
