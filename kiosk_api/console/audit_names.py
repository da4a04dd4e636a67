"""Names for the records an audit log page mentions, looked up once per kind of record: products,
places, lots and people by name, and the rows of an order (its payments, refunds, lines, status
changes, revenue entries, stock holds) by the order's short id, a stock movement by what it moved."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from catalogue.models import Product
from core import labels
from core.db import Base
from inventory.models import Location, Lot, Slot, StockMovement
from kiosk_api.console.names import actor_names, product_names, region_names, supplier_names
from payments.models import Payment, Refund
from sales.models import OrderLine
from sales.order_search import short_id
from sales.org_models import Organization

UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)


def order_name(order_id: str) -> str:
    """An order as the console's lists show it: 订单 and the first eight characters of its id."""
    return f"订单 {short_id(order_id)}"


def shortened(text: str) -> str:
    """Text with every order id in it (a reference, an idempotency key) cut to its short id."""
    return UUID.sub(lambda m: short_id(m.group()), text)


class Names:
    """Names of the records a page of entries mentions, looked up once per kind of record."""

    def __init__(
        self,
        session: Session,
        wanted: dict[str, set[str]],
        actors: Iterable[str] = (),
        kinds: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        self.names: dict[tuple[str, str], str] = {}
        self.kinds = kinds or {}
        for table, keys in wanted.items():
            if keys:
                self.names.update(((table, k), v) for k, v in _lookup(session, table, keys).items())
        self.actors = actor_names(session, actors)

    def of(self, table: str, key: Any) -> str:
        """The record's name, or its kind and key where it has none."""
        if key is None or key == "":
            return "—"
        name = self.names.get((table, str(key)))
        if name:
            return name
        if table == "orders":
            return order_name(str(key))
        return f"{self.kinds.get(table, (table, table))[0]} #{key}"

    def actor(self, actor: str) -> str:
        """Who acted, by display name ("user:demo-operator" → 运营人员（演示）)."""
        return self.actors.get(actor, actor)


def _ints(keys: set[str]) -> list[int]:
    return [int(k) for k in keys if k.isdigit()]


def _by_order(session: Session, table: str, keys: set[str]) -> dict[str, str]:
    """Rows of a table that belong to an order (its order_id, or a stock hold's order_ref), named by
    the order."""
    columns = Base.metadata.tables[table].c
    order = columns.get("order_id", columns.get("order_ref"))
    if order is None or "id" not in columns:
        return {}
    rows = session.execute(select(columns.id, order).where(columns.id.in_(_ints(keys))))
    return {str(i): order_name(o) if UUID.fullmatch(o or "") else shortened(o) for i, o in rows if o}


def _lookup(session: Session, table: str, keys: set[str]) -> dict[str, str]:
    ids = _ints(keys)
    if table == "products":
        return {str(i): n for i, n in product_names(session, ids).items()}
    if table == "suppliers":
        return {str(i): n for i, n in supplier_names(session, ids).items()}
    if table == "regions":
        return region_names(session, keys)
    if table == "locations":
        rows = session.execute(
            select(Location.id, Location.name_zh, Location.code).where(Location.id.in_(ids))
        )
        return {str(i): f"{n}（{c}）" for i, n, c in rows}
    if table == "slots":
        rows = session.execute(
            select(Slot.id, Slot.code, Location.code)
            .join(Location, Location.id == Slot.location_id)
            .where(Slot.id.in_(ids))
        )
        return {str(i): f"{loc} 货道 {code}" for i, code, loc in rows}
    if table == "lots":
        rows = session.execute(
            select(Lot.id, Lot.code, Product.name_zh)
            .join(Product, Product.id == Lot.product_id)
            .where(Lot.id.in_(ids))
        )
        return {str(i): f"{name} 批次 {code}" for i, code, name in rows}
    if table == "users":
        rows = session.execute(select(User.id, User.username, User.display_name).where(User.id.in_(ids)))
        return {str(i): display or n for i, n, display in rows}
    if table == "organizations":
        rows = session.execute(select(Organization.id, Organization.name_zh).where(Organization.id.in_(ids)))
        return {str(i): n for i, n in rows}
    if table == "stock_movements":
        rows = session.execute(
            select(StockMovement.id, StockMovement.kind, StockMovement.qty, Product.name_zh)
            .join(Product, Product.id == StockMovement.product_id)
            .where(StockMovement.id.in_(ids))
        )
        return {str(i): f"{labels.label('movement_kind', k)} {name} × {qty}" for i, k, qty, name in rows}
    if table == "order_lines":
        rows = session.execute(
            select(OrderLine.id, OrderLine.order_id, OrderLine.line_no, OrderLine.name_zh).where(
                OrderLine.id.in_(ids)
            )
        )
        return {str(i): f"{order_name(o)} 第 {no} 行 {name}" for i, o, no, name in rows}
    if table == "refunds":
        rows = session.execute(
            select(Refund.id, Payment.order_id)
            .join(Payment, Payment.id == Refund.payment_id)
            .where(Refund.id.in_(ids))
        )
        return {str(i): order_name(o) for i, o in rows}
    if table in Base.metadata.tables:
        return _by_order(session, table, keys)
    return {}
