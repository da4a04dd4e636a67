"""Stock counts (盘点): a counted quantity is squared with the ledger by count movements."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.clock import Clock
from core.errors import InvalidInput
from inventory import ledger
from inventory.locations import lot_for_field, lot_for_found_stock, product_for_field, today
from inventory.models import StockMovement
from inventory.reservations import expire_due
from inventory.stock import lock_one, place_for_fields, product_of
from inventory.withdrawal import withdraw


@dataclass(frozen=True)
class CountResult:
    """What a stock count found and the movements that square the ledger with it."""

    previous: int
    counted: int
    movements: list[StockMovement]


def count(
    session: Session,
    clock: Clock,
    *,
    location: str,
    counted: int,
    actor: str,
    slot: str | None = None,
    product: int | None = None,
    lot: str | None = None,
    note: str = "",
    reference: str | None = None,
) -> CountResult:
    """Record a counted quantity; the difference to the ledger is written as count movements."""
    place = place_for_fields(session, location, slot, "location", "slot")
    product_id = product_of(session, product, place)
    if not isinstance(counted, int) or isinstance(counted, bool) or counted < 0:
        raise InvalidInput("a count is a whole number", fields={"counted": "at least 0"})
    item = product_for_field(session, product_id, "product")
    batch = lot_for_field(session, product_id, lot, "lot") if lot is not None else None
    if batch is not None:
        ledger.ensure_balances(session, [(place.location.id, place.slot_id, product_id, batch.id)])
    balances = ledger.lock_balances(session, place.scope(product_id, batch.id if batch else None))
    expire_due(session, clock, balances)
    previous = sum(b.on_hand for b in balances)
    movements: list[StockMovement] = []
    if counted > previous:
        target = batch or lot_for_found_stock(session, clock, item, balances)
        balance = next((b for b in balances if b.lot_id == target.id), None)
        balance = balance or lock_one(session, place, product_id, target)
        movements.append(
            ledger.post(
                session,
                clock,
                "count",
                qty=counted - previous,
                actor=actor,
                dest=balance,
                reason="stocktake",
                reference=reference,
                note=note,
            )
        )
    elif counted < previous:
        movements = withdraw(
            session,
            clock,
            balances,
            previous - counted,
            today=today(clock),
            kind="count",
            actor=actor,
            reason="stocktake",
            reference=reference,
            note=note,
        )
    return CountResult(previous=previous, counted=counted, movements=movements)
