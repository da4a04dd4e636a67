"""What a kiosk slot can sell now: the one rule the catalogue, the holds and the alerts share.

A slot sells the free units of its unexpired lots. A vending cabinet's slot that holds any unit of
an expired lot sells nothing at all: its spiral drops the front unit, and the front one is the
oldest, so the shopper would get the expired one. The slot stays blocked until a restocker pulls
the expired units (a restock visit's write-off, reason expired). An open-door cabinet cannot stop
a shopper taking a unit by hand; there the slot sells its unexpired units and the alert asks for
the expired ones to be pulled at once. Pure, no database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

# Why a slot sells nothing although it holds stock (the catalogue's additive `blocked` field).
EXPIRED_STOCK = "expired_stock"


@dataclass(frozen=True)
class LotStock:
    """What one lot of the slot's product holds there: units on hand, and of them those not held."""

    expires_on: date
    on_hand: int
    free: int


@dataclass(frozen=True)
class SlotStock:
    """Units a slot can sell now, and why it sells none when it is blocked."""

    available: int
    blocked: str | None = None


def blocks_vending(mode: str | None) -> bool:
    """Whether expired units in a slot stop the whole slot selling (vend cabinets; not open-door)."""
    return mode == "vend"


def holds_expired(lots: Iterable[LotStock], day: date) -> bool:
    """Whether any unit on hand is of a lot past its expiry date (China's calendar day)."""
    return any(lot.on_hand > 0 and lot.expires_on < day for lot in lots)


def slot_stock(lots: Iterable[LotStock], day: date, *, mode: str | None) -> SlotStock:
    """What a slot of a kiosk in `mode` can sell on `day`, from what its lots hold."""
    rows = list(lots)
    if blocks_vending(mode) and holds_expired(rows, day):
        return SlotStock(0, EXPIRED_STOCK)
    return SlotStock(sum(lot.free for lot in rows if lot.expires_on >= day))
