"""Creating orders: server-side pricing, snapshot lines, idempotency keys and expiry."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from catalogue.models import Product
from core.clock import local_date
from core.errors import InvalidInput
from core.ids import new_token
from core.money import MAX_AMOUNT_FEN, format_fen
from sales.errors import IdempotencyMismatch, OrderNotFound
from sales.models import Order, OrderLine
from sales.status import transition

MAX_IDEMPOTENCY_KEY = Order.__table__.c.idempotency_key.type.length


@dataclass(frozen=True)
class LineRequest:
    """A product and quantity asked for; the price is never the client's."""

    product: Product
    qty: int
    slot_code: str | None = None


@dataclass(frozen=True)
class Idempotency:
    """An Idempotency-Key header within a scope (a kiosk, a user), with the hash of the request body."""

    scope: str
    key: str
    request_hash: str

    def __post_init__(self) -> None:
        # Refused here, before anything is written: the column would refuse it later with a DataError.
        if len(self.key) > MAX_IDEMPOTENCY_KEY:
            raise InvalidInput(
                f"the Idempotency-Key is longer than {MAX_IDEMPOTENCY_KEY} characters",
                code="idempotency_key_too_long",
                fields={"Idempotency-Key": f"at most {MAX_IDEMPOTENCY_KEY} characters"},
            )


def request_hash(body: Any) -> str:
    """Hash a request body canonically, so the same key with another body is detected."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def find_by_idempotency(session: Session, idem: Idempotency) -> Order | None:
    """Return the order an idempotency key already created; refuse the key reused for another body."""
    order = (
        session.scalars(
            select(Order)
            .where(Order.idempotency_scope == idem.scope, Order.idempotency_key == idem.key)
            .options(joinedload(Order.lines))
        )
        .unique()
        .one_or_none()
    )
    if order is not None and order.request_hash != idem.request_hash:
        raise IdempotencyMismatch(
            "this Idempotency-Key was used for a different request", fields={"Idempotency-Key": "reused"}
        )
    return order


def get_order(session: Session, order_id: str, *, lock: bool = False) -> Order:
    """Return an order with its lines; optionally lock its row for the rest of the transaction."""
    # One statement: the lines joined in, the lock on the order's row only.
    stmt = select(Order).where(Order.id == order_id).options(joinedload(Order.lines))
    if lock:
        stmt = stmt.with_for_update(of=Order)
    order = session.scalars(stmt).unique().one_or_none()
    if order is None:
        raise OrderNotFound(f"no order {order_id}")
    return order


def new_order(
    session: Session,
    *,
    at: datetime,
    channel: str,
    status: str,
    actor: str,
    mode: str = "standard",
    location_id: int | None = None,
    partner_code: str | None = None,
    buyer_kind: str = "individual",
    user_id: int | None = None,
    organization_id: int | None = None,
    expires_at: datetime | None = None,
    idempotency: Idempotency | None = None,
    lines: tuple[LineRequest, ...] | list[LineRequest] = (),
    hold_fen: int = 0,
    details: dict[str, Any] | None = None,
) -> Order:
    """Create an order priced from the catalogue; lines snapshot county, supplier and certification."""
    order = Order(
        id=str(uuid.uuid4()),
        channel=channel,
        mode=mode,
        status=None,
        buyer_kind=buyer_kind,
        user_id=user_id,
        organization_id=organization_id,
        location_id=location_id,
        partner_code=partner_code,
        pay_token=new_token(24),
        expires_at=expires_at,
        created_at=at,
        updated_at=at,
        hold_fen=hold_fen,
        details=dict(details or {}),
    )
    if idempotency is not None:
        order.idempotency_scope = idempotency.scope
        order.idempotency_key = idempotency.key
        order.request_hash = idempotency.request_hash
    set_lines(order, lines, on_day=local_date(at))
    transition(order, status, actor=actor, at=at, reason="created")
    session.add(order)
    return order


def set_lines(order: Order, lines: list[LineRequest], *, on_day: Any) -> None:
    """Replace the order's lines with priced snapshots and recompute its total."""
    order.lines = [
        OrderLine(
            line_no=i,
            product_id=req.product.id,
            sku=req.product.sku,
            name_zh=req.product.name_zh,
            name_en=req.product.name_en,
            county_code=req.product.county_code,
            supplier_id=req.product.supplier_id,
            certified=req.product.is_certified(on_day),
            slot_code=req.slot_code,
            qty=req.qty,
            unit_price_fen=req.product.price_fen,
            line_total_fen=req.product.price_fen * req.qty,
        )
        for i, req in enumerate(lines, 1)
    ]
    total = sum(line.line_total_fen for line in order.lines)
    if total > MAX_AMOUNT_FEN:
        raise InvalidInput(
            f"the order comes to more than {format_fen(MAX_AMOUNT_FEN)}",
            code="order_too_large",
            fields={"lines": f"at most {format_fen(MAX_AMOUNT_FEN)} in one order"},
        )
    order.total_fen = total
