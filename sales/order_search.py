"""Finding orders for the operator console: by id (or the short id the lists show), the buyer's
phone, the unit, Beijing dates, channel and status; a page at a time, newest first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from accounts.models import User
from core.clock import SHANGHAI
from inventory.models import Location
from sales.models import Order
from sales.org_models import BulkOrder, Organization

SHORT_ID = 8  # the lists show an order as the first 8 characters of its id
_ID_TEXT = re.compile(r"^[0-9a-f-]{4,36}$")


def short_id(order_id: str) -> str:
    """The short id the console's lists show for an order (and search by)."""
    return order_id[:SHORT_ID]


@dataclass(frozen=True)
class OrderFilters:
    """What an operator searches by; empty fields do not filter."""

    text: str = ""  # an order id or its first characters, a bulk order's number, or a phone number
    unit: str = ""  # part of a unit's name
    date_from: date | None = None  # Beijing dates, both included
    date_to: date | None = None
    channel: str | None = None
    status: str | None = None


@dataclass
class OrderRow:
    """An order with the names a list shows beside it."""

    order: Order
    unit: str = ""
    location: str = ""
    buyer: str = ""
    phone: str = ""
    bulk_number: str = ""


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _bj_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def _filtered(stmt: Select, filters: OrderFilters) -> Select:
    text = filters.text.strip()
    if text:
        phone = Order.details[("contact", "phone")].as_string()
        wanted = [
            phone.like(f"%{_like(text)}%", escape="\\"),
            BulkOrder.phone.like(f"%{_like(text)}%", escape="\\"),
            BulkOrder.number == text.upper(),
        ]
        if _ID_TEXT.match(text.lower()):
            wanted.append(Order.id.like(f"{_like(text.lower())}%", escape="\\"))
        stmt = stmt.where(or_(*wanted))
    if filters.unit.strip():
        name = f"%{_like(filters.unit.strip())}%"
        stmt = stmt.where(
            or_(Organization.name_zh.like(name, escape="\\"), Organization.name_en.ilike(name, escape="\\"))
        )
    if filters.date_from is not None:
        stmt = stmt.where(Order.created_at >= _bj_start(filters.date_from))
    if filters.date_to is not None:
        stmt = stmt.where(Order.created_at < _bj_start(filters.date_to + timedelta(days=1)))
    if filters.channel:
        stmt = stmt.where(Order.channel == filters.channel)
    if filters.status:
        stmt = stmt.where(Order.status == filters.status)
    return stmt


def _joined(stmt: Select) -> Select:
    return stmt.outerjoin(BulkOrder, BulkOrder.order_id == Order.id).outerjoin(
        Organization, Organization.id == Order.organization_id
    )


def search_orders(
    session: Session, filters: OrderFilters, *, limit: int, offset: int = 0
) -> tuple[list[OrderRow], int]:
    """A page of the orders that match, newest first, with their names; and how many match."""
    total = session.scalar(_filtered(_joined(select(func.count(Order.id))), filters)) or 0
    found = session.execute(
        _filtered(_joined(select(Order, Organization, BulkOrder)), filters)
        .order_by(Order.created_at.desc(), Order.id)
        .limit(limit)
        .offset(offset)
    ).all()
    location_ids = {order.location_id for order, _org, _bulk in found if order.location_id}
    user_ids = {order.user_id for order, _org, _bulk in found if order.user_id}
    locations = dict(
        session.execute(select(Location.id, Location.name_zh).where(Location.id.in_(location_ids))).all()
    )
    users = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))).all())
    rows = []
    for order, org, bulk in found:
        contact = (order.details or {}).get("contact") or {}
        rows.append(
            OrderRow(
                order=order,
                unit=org.name_zh if org else "",
                location=locations.get(order.location_id, ""),
                buyer=users.get(order.user_id)
                or contact.get("name", "")
                or (bulk.contact_name if bulk else ""),
                phone=contact.get("phone", "") or (bulk.phone if bulk else ""),
                bulk_number=bulk.number if bulk else "",
            )
        )
    return rows, int(total)
