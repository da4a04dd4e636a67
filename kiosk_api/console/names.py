"""Names for what the ledgers hold as codes and ids (counties, suppliers, products, places, people),
one query per kind of thing for a whole page of rows, never one per row."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from catalogue.models import Product, Region, Supplier
from inventory.models import Location
from sales.models import Order


def region_names(session: Session, codes: Iterable[str | None]) -> dict[str, str]:
    """GB/T 2260 code → Chinese name of the region."""
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    return dict(session.execute(select(Region.code, Region.name_zh).where(Region.code.in_(wanted))).all())


def _by_id(session: Session, column: object, name: object, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(column, name).where(column.in_(wanted))).all())  # type: ignore[attr-defined, call-overload]


def supplier_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Supplier id → its name."""
    return _by_id(session, Supplier.id, Supplier.name_zh, ids)


def product_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Product id → its Chinese name."""
    return _by_id(session, Product.id, Product.name_zh, ids)


def location_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Location id → its Chinese name (a warehouse, shop or kiosk)."""
    return _by_id(session, Location.id, Location.name_zh, ids)


def actor_names(session: Session, actors: Iterable[str | None]) -> dict[str, str]:
    """Who did it, as people read it: "user:12" or "user:zhang" → the user's display name; a
    username of a person → display name; system actors (kiosk:…, stripe:…, cli) stay as written."""
    wanted = {a for a in actors if a}
    refs = {a: a.removeprefix("user:") for a in wanted}
    ids = {int(r) for r in refs.values() if r.isdigit()}
    names = {r for r in refs.values() if not r.isdigit()}
    found: dict[str, str] = {}
    if ids or names:
        rows = session.execute(
            select(User.id, User.username, User.display_name).where(
                User.id.in_(ids) | User.username.in_(names)
            )
        ).all()
        for user_id, username, display in rows:
            found[str(user_id)] = found[username] = display or username
    return {actor: found.get(ref, actor) for actor, ref in refs.items()}


def order_ids(session: Session, candidates: Iterable[str | None]) -> set[str]:
    """Which of these references are orders (a stock movement's reference may be an order or not)."""
    wanted = {c for c in candidates if c and len(c) == 36}
    if not wanted:
        return set()
    return set(session.scalars(select(Order.id).where(Order.id.in_(wanted))))


@dataclass
class Names:
    """The names a page of ledger rows needs, each kind loaded once."""

    regions: dict[str, str] = field(default_factory=dict)
    suppliers: dict[int, str] = field(default_factory=dict)
    products: dict[int, str] = field(default_factory=dict)
    locations: dict[int, str] = field(default_factory=dict)
    actors: dict[str, str] = field(default_factory=dict)
    orders: set[str] = field(default_factory=set)
