"""Operator use cases on stock: receipts, transfers and write-offs (counts: inventory.counts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from core.clock import Clock
from core.errors import InvalidInput
from inventory import ledger
from inventory.allocation import Candidate, FefoPool, take_all_or_nothing
from inventory.errors import InsufficientStock
from inventory.locations import (
    location_for_field,
    lot_for_field,
    product_for_field,
    receive_lot,
    slot_for_field,
    today,
)
from inventory.models import WRITEOFF_REASONS, Location, Lot, Slot, StockBalance, StockMovement


@dataclass(frozen=True)
class Place:
    """A location, and at a kiosk the slot within it."""

    location: Location
    slot: Slot | None

    @property
    def slot_id(self) -> int | None:
        return self.slot.id if self.slot else None

    def scope(self, product_id: int, lot_id: int | None = None) -> ColumnElement[bool]:
        """The balances of a product (or one lot of it) held here."""
        slot = StockBalance.slot_id.is_(None) if self.slot is None else StockBalance.slot_id == self.slot.id
        where = (
            (StockBalance.location_id == self.location.id) & slot & (StockBalance.product_id == product_id)
        )
        return where & (StockBalance.lot_id == lot_id) if lot_id is not None else where

    def holds(self, balance: StockBalance) -> bool:
        """Whether a balance row is stock at this place."""
        return balance.location_id == self.location.id and balance.slot_id == self.slot_id


def place_for_fields(
    session: Session, code: str, slot_code: str | None, field: str, slot_field: str
) -> Place:
    """Resolve a location code and, at a kiosk, its slot; refuse naming the field at fault."""
    location = location_for_field(session, code, field)
    if location.kind == "kiosk":
        if slot_code is None:
            raise InvalidInput("name the kiosk's slot", fields={slot_field: "required at a kiosk"})
        return Place(location, slot_for_field(session, location, slot_code, slot_field))
    if slot_code is not None:
        raise InvalidInput(f"{code} has no slots", fields={slot_field: "only kiosks have slots"})
    return Place(location, None)


def product_of(session: Session, product: int | None, *places: Place) -> int:
    """The product a request means: the one it names, else the one its slots hold."""
    slotted = {p.slot.product_id for p in places if p.slot is not None}
    if product is not None:
        product_for_field(session, product, "product")
        if slotted - {product}:
            raise InvalidInput("the slot holds another product", fields={"product": "not the slot's product"})
        return product
    if not slotted:
        raise InvalidInput("name the product", fields={"product": "required"})
    if len(slotted) > 1:
        raise InvalidInput(
            "the two slots hold different products", fields={"to_slot": "holds another product"}
        )
    return slotted.pop()


def _check_qty(qty: int, field: str = "qty") -> None:
    if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
        raise InvalidInput("a quantity is a whole number of at least 1", fields={field: "at least 1"})


def lock_one(session: Session, place: Place, product_id: int, lot: Lot) -> StockBalance:
    """Lock (creating it if need be) the balance of one lot at a place."""
    ledger.ensure_balances(session, [(place.location.id, place.slot_id, product_id, lot.id)])
    [balance] = ledger.lock_balances(session, place.scope(product_id, lot.id))
    return balance


def _plan_on(
    balances: list[StockBalance], batch: Lot | None, qty: int, day: date
) -> list[tuple[Candidate, int]]:
    """Plan taking qty free units: of the named lot (expired or not), else unexpired lots FEFO."""
    chosen = [b for b in balances if batch is None or b.lot_id == batch.id]
    pool = FefoPool(
        [Candidate(b.id, b.lot_id, b.lot.expires_on, b.available) for b in chosen],
        day,
        only_expired=batch is not None and batch.is_expired(day),
    )
    plan = take_all_or_nothing(pool, qty)
    if plan is None:
        raise InsufficientStock(
            f"only {pool.total_free} units to move",
            fields={"qty": f"only {pool.total_free} units free to move"},
        )
    return plan


def _plan(
    session: Session, place: Place, product_id: int, batch: Lot | None, qty: int, day: date
) -> list[tuple[Candidate, int]]:
    balances = session.scalars(select(StockBalance).where(place.scope(product_id))).all()
    return _plan_on(list(balances), batch, qty, day)


def receive(
    session: Session,
    clock: Clock,
    *,
    location: str,
    product: int,
    lot: str,
    qty: int,
    actor: str,
    expires_on: date | None = None,
    reference: str | None = None,
    note: str = "",
) -> StockMovement:
    """Receive goods of one lot into a warehouse or shop; a new lot is recorded with its expiry."""
    place = Place(location_for_field(session, location, "location", ("warehouse", "shop")), None)
    item = product_for_field(session, product, "product")
    _check_qty(qty)
    batch = receive_lot(session, clock, item, lot, expires_on, "lot")
    if batch.is_expired(today(clock)):
        field = "expires_on" if expires_on is not None else "lot"
        raise InvalidInput(
            f"lot {lot} expired on {batch.expires_on}", code="lot_expired", fields={field: "already expired"}
        )
    balance = lock_one(session, place, item.id, batch)
    return ledger.post(
        session, clock, "receipt", qty=qty, actor=actor, dest=balance, reference=reference, note=note
    )


def transfer(
    session: Session,
    clock: Clock,
    *,
    source: str,
    dest: str,
    qty: int,
    actor: str,
    product: int | None = None,
    lot: str | None = None,
    source_slot: str | None = None,
    dest_slot: str | None = None,
    reference: str | None = None,
    note: str = "",
) -> list[StockMovement]:
    """Move goods between locations (or slots): the named lot, else unexpired lots earliest first."""
    src = place_for_fields(session, source, source_slot, "from", "from_slot")
    dst = place_for_fields(session, dest, dest_slot, "to", "to_slot")
    if (src.location.id, src.slot_id) == (dst.location.id, dst.slot_id):
        raise InvalidInput("source and destination are the same", fields={"to": "same as from"})
    product_id = product_of(session, product, src, dst)
    _check_qty(qty)
    day = today(clock)
    batch = lot_for_field(session, product_id, lot, "lot") if lot is not None else None
    if batch is not None and batch.is_expired(day) and dst.location.kind != "warehouse":
        raise InvalidInput(
            f"lot {lot} expired on {batch.expires_on}",
            code="lot_expired",
            fields={"lot": f"expired; it may not go to a {dst.location.kind}"},
        )
    # Plan on a plain read to learn which lots will move, create their rows at the destination,
    # then lock source and destination in one id-ordered pass and plan again on what is locked.
    lot_ids = [batch.id] if batch else [c.lot_id for c, _ in _plan(session, src, product_id, None, qty, day)]
    ledger.ensure_balances(
        session, [(dst.location.id, dst.slot_id, product_id, lot_id) for lot_id in lot_ids]
    )
    locked = ledger.lock_balances(session, src.scope(product_id) | dst.scope(product_id))
    if dst.slot is not None:
        held = sum(b.on_hand for b in locked if dst.holds(b))
        if held + qty > dst.slot.capacity:
            raise InvalidInput(
                "the slot would overflow",
                code="over_capacity",
                fields={"qty": f"slot {dst.slot.code} holds {held} of {dst.slot.capacity}"},
            )
    sources = [b for b in locked if src.holds(b)]
    plan = _plan_on(sources, batch, qty, day)
    by_id = {b.id: b for b in locked}
    movements = []
    for candidate, take in plan:
        origin = by_id[candidate.key]
        target = next((b for b in locked if dst.holds(b) and b.lot_id == origin.lot_id), None)
        if target is None:  # a lot received at the source after the first read
            target = lock_one(session, dst, product_id, origin.lot)
        movements.append(
            ledger.post(
                session,
                clock,
                "transfer",
                qty=take,
                actor=actor,
                source=origin,
                dest=target,
                reference=reference,
                note=note,
            )
        )
    return movements


def write_off(
    session: Session,
    clock: Clock,
    *,
    location: str,
    qty: int,
    reason: str,
    actor: str,
    product: int | None = None,
    lot: str | None = None,
    slot: str | None = None,
    reference: str | None = None,
    note: str = "",
) -> list[StockMovement]:
    """Take goods out of stock (expired, damaged, lost…): the named lot, else earliest expiry first."""
    place = place_for_fields(session, location, slot, "location", "slot")
    product_id = product_of(session, product, place)
    _check_qty(qty)
    if reason not in WRITEOFF_REASONS:
        raise InvalidInput(
            f"unknown reason {reason}", fields={"reason": f"one of {', '.join(WRITEOFF_REASONS)}"}
        )
    day = today(clock)
    batch = lot_for_field(session, product_id, lot, "lot") if lot is not None else None
    if reason == "expired" and batch is not None and not batch.is_expired(day):
        raise InvalidInput(f"lot {lot} expires on {batch.expires_on}", fields={"lot": "not expired"})
    balances = ledger.lock_balances(session, place.scope(product_id, batch.id if batch else None))
    candidates = [Candidate(b.id, b.lot_id, b.lot.expires_on, b.available) for b in balances]
    if reason == "expired":
        expired = FefoPool(candidates, day, only_expired=True)
        plan = take_all_or_nothing(expired, qty)
        free = expired.total_free
    else:
        # Damaged or lost goods may be of any lot: expired ones go first, then earliest expiry.
        expired, fresh = FefoPool(candidates, day, only_expired=True), FefoPool(candidates, day)
        free = expired.total_free + fresh.total_free
        from_expired = min(qty, expired.total_free)
        plan = expired.take(from_expired) + fresh.take(qty - from_expired) if free >= qty else None
    if plan is None:
        what = "expired units" if reason == "expired" else "units"
        raise InsufficientStock(
            f"only {free} {what} free here", fields={"qty": f"only {free} {what} free here"}
        )
    by_id = {b.id: b for b in balances}
    return [
        ledger.post(
            session,
            clock,
            "writeoff",
            qty=take,
            actor=actor,
            source=by_id[candidate.key],
            reason=reason,
            reference=reference,
            note=note,
        )
        for candidate, take in plan
    ]
