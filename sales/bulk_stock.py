"""Stock for bulk orders: what a unit may order of each product, and the refusal naming products.

An approved bulk order is held at the first warehouse that has every one of its lines (the unit's
own city's first, inventory.reserve_at_first_warehouse) for BULK_HOLD, from lots still good when
the hold ends. The order form shows, per product, the most one warehouse could hold; a submitted
order is checked the same way, and an approval that finds the stock gone refuses the same way:
each short product by name, with what was asked and what there is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from catalogue.models import Product
from core.clock import Clock, local_date
from inventory import service as inventory
from inventory.errors import OutOfStock
from inventory.models import Location
from sales.models import OrderLine
from sales.org_models import Organization

BULK_HOLD = timedelta(days=7)


@dataclass(frozen=True)
class Shortage:
    """One product of a bulk order that the stock cannot supply."""

    product_id: int
    sku: str
    name_zh: str
    name_en: str
    requested: int
    available: int  # the most one warehouse could hold of it
    # True when enough of it is at some warehouse, but not at one that has the order's other lines.
    elsewhere: bool = False

    @property
    def field(self) -> str:
        """The error's field: the product, by its code (never the line's index)."""
        return f"products.{self.sku}"

    def text_zh(self) -> str:
        if self.elsewhere:
            return f"{self.name_zh}：与其他商品不在同一仓库，请分开下单（现有 {self.available} 件）"
        return f"{self.name_zh}：要 {self.requested} 件，现有 {self.available} 件"

    def text_en(self) -> str:
        name = self.name_en or self.name_zh
        if self.elsewhere:
            return (
                f"{name}: not at the warehouse of the other products, order it separately"
                f" ({self.available} available)"
            )
        return f"{name}: {self.requested} requested, {self.available} available"


@dataclass(frozen=True)
class Wanted:
    """A product and quantity a bulk order asks for, with the names a refusal shows."""

    product_id: int
    sku: str
    name_zh: str
    name_en: str
    qty: int

    @classmethod
    def of(cls, product: Product | OrderLine, qty: int) -> Wanted:
        """From a catalogue product, or from an order line (its names as the order was priced)."""
        product_id = product.product_id if isinstance(product, OrderLine) else product.id
        return cls(product_id, product.sku, product.name_zh, product.name_en or "", qty)


class BulkOutOfStock(OutOfStock):
    """A bulk order asks for more than one warehouse can hold (fields name products by code)."""

    def __init__(self, shortages: list[Shortage]) -> None:
        self.shortages = shortages
        super().__init__(
            "not enough stock: " + "; ".join(s.text_en() for s in shortages),
            fields={s.field: s.text_en() for s in shortages},
        )


def _partners(org: Organization) -> set[str]:
    city = org.city_code
    return {city, city[:4] + "00"}  # the unit's own city's warehouses, or its parent city's


def _stock(
    session: Session, clock: Clock, org: Organization, product_ids: Iterable[int]
) -> list[tuple[Location, dict[int, int]]]:
    return inventory.free_at_warehouses(
        session,
        clock,
        product_ids=set(product_ids),
        good_through=local_date(clock.now() + BULK_HOLD),
        prefer_partners=_partners(org),
    )


def available_for_bulk(
    session: Session, clock: Clock, org: Organization, product_ids: Iterable[int]
) -> dict[int, int]:
    """Per product, the most one warehouse could hold for this unit's order now (0 when none)."""
    ids = set(product_ids)
    best = dict.fromkeys(ids, 0)
    for _warehouse, free in _stock(session, clock, org, ids):
        for product_id, qty in free.items():
            best[product_id] = max(best[product_id], qty)
    return best


def check_bulk_stock(session: Session, clock: Clock, org: Organization, lines: list[Wanted]) -> None:
    """Refuse an order no single warehouse can supply, naming each short product (BulkOutOfStock)."""
    if not lines:
        return
    stock = _stock(session, clock, org, [w.product_id for w in lines])
    short_at = [[w for w in lines if free.get(w.product_id, 0) < w.qty] for _warehouse, free in stock]
    if any(not short for short in short_at):
        return
    best = {w.product_id: max((free.get(w.product_id, 0) for _wh, free in stock), default=0) for w in lines}
    # Name what is short at the warehouse the buyer could best use: the fewest short products (the
    # unit's own city's first, as the hold tries them).
    fewest = min(short_at, key=len) if short_at else list(lines)
    raise BulkOutOfStock(
        [
            Shortage(
                product_id=w.product_id,
                sku=w.sku,
                name_zh=w.name_zh,
                name_en=w.name_en,
                requested=w.qty,
                available=best[w.product_id],
                elsewhere=best[w.product_id] >= w.qty,
            )
            for w in fewest
        ]
    )
