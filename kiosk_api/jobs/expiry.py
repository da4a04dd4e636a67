"""Jobs that end what lapsed: orders awaiting payment, stock holds, and bulk orders' week-long holds.

Each does what its `dongxi` command does, a bounded number of batches a run: every batch commits
on its own, so a run stopped half-way leaves finished batches finished, and the next run (30 s
later) does the rest."""

from __future__ import annotations

from typing import Any

from core.clock import Clock
from core.db import Database
from inventory.service import expire_reservations, run_in_transaction
from kiosk_api.jobs.batches import batches
from payments.providers.base import PaymentProvider
from sales.checkout import expire_lapsed_orders

# Orders whose hold lasts minutes; a bulk order's week-long hold is bulk-holds-expire's.
SHORT_HOLD_CHANNELS = ("kiosk", "storefront")
BULK_CHANNELS = ("bulk",)


def _expire(
    db: Database, clock: Clock, provider: PaymentProvider, channels: tuple[str, ...], batch: int
) -> int:
    total = 0
    for _ in batches():
        expired = expire_lapsed_orders(db, clock, provider, limit=batch, channels=channels)
        total += expired
        if expired < batch:
            break
    return total


def expire_orders(
    db: Database, clock: Clock, provider: PaymentProvider, *, batch: int = 200
) -> dict[str, Any]:
    """Expire kiosk and web-shop orders still awaiting payment past their expiry, put their stock
    back and cancel their payment at the provider (`dongxi orders expire`)."""
    return {"expired": _expire(db, clock, provider, SHORT_HOLD_CHANNELS, batch)}


def expire_bulk_holds(
    db: Database, clock: Clock, provider: PaymentProvider, *, batch: int = 200
) -> dict[str, Any]:
    """Expire approved bulk orders whose 7-day hold lapsed before the money came: their stock goes
    back on sale (a transfer recorded later still pays the order if the stock is there)."""
    return {"expired": _expire(db, clock, provider, BULK_CHANNELS, batch)}


def release_holds(
    db: Database, clock: Clock, _provider: PaymentProvider, *, batch: int = 500
) -> dict[str, Any]:
    """Put the stock of holds past their expiry back on sale (`dongxi holds release-expired`)."""
    total = 0
    for _ in batches():
        released = run_in_transaction(db, lambda session: expire_reservations(session, clock, limit=batch))
        total += released
        if released == 0:
            break
    return {"released": total}
