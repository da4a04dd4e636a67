"""Inventory's domain errors, each with a stable code."""

from __future__ import annotations

from core.errors import Conflict


class OutOfStock(Conflict):
    """Not enough sellable stock for an order line (fields name `lines.<i>` or `lines.<i>.slot`)."""

    code = "out_of_stock"


class InsufficientStock(Conflict):
    """An operator moved or wrote off more than the location holds unreserved."""

    code = "insufficient_stock"


class StockBusy(Conflict):
    """The database stayed contended after every retry; the caller may try again."""

    code = "busy"
