"""Taking out units that are physically gone (a stock count found fewer, an open-door shopper took
them): free units first, then held ones, whose holds are released because the goods are not there."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from core.clock import Clock
from inventory import ledger
from inventory.models import StockBalance, StockMovement
from inventory.reservations import release_holds_on


def withdrawal_order(balances: list[StockBalance], today: date) -> list[StockBalance]:
    """Sellable lots earliest expiry first, then expired lots: the order goods leave a slot in."""
    stocked = [b for b in balances if b.on_hand > 0]
    return sorted(stocked, key=lambda b: (b.lot.is_expired(today), b.lot.expires_on, b.lot_id, b.id))


def withdraw(
    session: Session,
    clock: Clock,
    balances: list[StockBalance],
    qty: int,
    *,
    today: date,
    kind: str,
    actor: str,
    reason: str | None = None,
    reference: str | None = None,
    note: str = "",
) -> list[StockMovement]:
    """Record qty units leaving locked balances as `kind` movements; the caller checked they hold qty."""
    order = withdrawal_order(balances, today)
    if sum(b.on_hand for b in order) < qty:
        raise ValueError(f"cannot withdraw {qty} units from {sum(b.on_hand for b in order)}")
    movements: list[StockMovement] = []
    remaining = qty
    for from_held in (False, True):
        for balance in order:
            if remaining == 0:
                return movements
            take = min(remaining, balance.on_hand if from_held else balance.available)
            if take <= 0:
                continue
            if from_held:
                release_holds_on(session, clock, balance, take, f"goods gone ({kind})")
            movements.append(
                ledger.post(
                    session,
                    clock,
                    kind,
                    qty=take,
                    actor=actor,
                    source=balance,
                    reason=reason,
                    reference=reference,
                    note=note,
                )
            )
            remaining -= take
    return movements
