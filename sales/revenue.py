"""The revenue ledger: entries on capture and refund, with commission and attribution snapshots."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from catalogue.models import Product, certification_status
from core.clock import SHANGHAI, local_date
from core.money import Money
from sales.models import CommissionRate, Order, OrderLine, RevenueEntry
from sales.statements import rollup

date_range = tuple[str | None, date | None, date | None]  # certification_no, from, until


def period_of(at: datetime) -> str:
    """Return the YYYY-MM period (Asia/Shanghai) a moment belongs to."""
    return at.astimezone(SHANGHAI).strftime("%Y-%m")


def _entry(
    session: Session,
    order: Order,
    line: OrderLine,
    *,
    kind: str,
    qty: int,
    amount_fen: int,
    at: datetime,
    commission_fen: int,
    refund_id: int | None = None,
) -> RevenueEntry:
    entry = RevenueEntry(
        kind=kind,
        order_id=order.id,
        order_line_id=line.id,
        refund_id=refund_id,
        product_id=line.product_id,
        county_code=line.county_code,
        supplier_id=line.supplier_id,
        channel=order.channel,
        buyer_kind=order.buyer_kind,
        organization_id=order.organization_id,
        partner_code=order.partner_code,
        location_id=order.location_id,
        certified=line.certified,
        qty=qty,
        amount_fen=amount_fen,
        commission_fen=commission_fen,
        period=period_of(at),
        at=at,
    )
    session.add(entry)
    return entry


def _sale_terms(session: Session, order: Order) -> tuple[dict[int, int], dict[int, date_range]]:
    """The commission rate of each line's supplier on the order's channel, and each product's
    certification dates, in one statement (the capture is on the kiosk's hot path)."""
    supplier_ids = sorted({line.supplier_id for line in order.lines})
    rows = session.execute(
        select(
            Product.id,
            Product.certification_no,
            Product.certified_from,
            Product.certified_until,
            CommissionRate.supplier_id,
            CommissionRate.basis_points,
        )
        .select_from(Product)
        .outerjoin(
            CommissionRate,
            (CommissionRate.channel == order.channel)
            & (CommissionRate.supplier_id.in_(supplier_ids) | CommissionRate.supplier_id.is_(None)),
        )
        .where(Product.id.in_(sorted({line.product_id for line in order.lines})))
    ).all()
    by_supplier = {s: bp for *_, s, bp in rows if bp is not None}
    rates = {s: by_supplier.get(s, by_supplier.get(None, 0)) for s in supplier_ids}
    certification = {pid: (no, start, end) for pid, no, start, end, _s, _bp in rows}
    return rates, certification


def _certified(certification: date_range, day: date) -> bool:
    return certification_status(*certification, day) == "certified"


def record_sale(session: Session, order: Order, at: datetime) -> list[RevenueEntry]:
    """Write one sale entry per order line (at capture). Certification is judged on the day of the
    sale, not the day the order was drafted: a certificate that lapsed in between no longer counts."""
    rates, certification = _sale_terms(session, order)
    day = local_date(at)
    for line in order.lines:
        line.certified = _certified(certification[line.product_id], day)
    entries = [
        _entry(
            session,
            order,
            line,
            kind="sale",
            qty=line.qty,
            amount_fen=line.line_total_fen,
            at=at,
            commission_fen=Money(line.line_total_fen).apply_rate(rates[line.supplier_id]).fen,
        )
        for line in order.lines
    ]
    rollup.add_entries(session, entries)  # the monthly rollup statements read, kept in step
    return entries


def _booked(session: Session, line_ids: set[int]) -> dict[int, dict[str, list[int]]]:
    """Per line and kind, the [amount, commission] the ledger holds (one query for all lines).

    What put back a failed refund counts with the refunds, netting them, not as another sale."""
    kind = case(
        ((RevenueEntry.kind == "sale") & RevenueEntry.refund_id.is_(None), literal("sale")),
        else_=literal("refund"),
    )
    rows = session.execute(
        select(
            RevenueEntry.order_line_id,
            kind,
            func.sum(RevenueEntry.amount_fen),
            func.sum(RevenueEntry.commission_fen),
        )
        .where(RevenueEntry.order_line_id.in_(sorted(line_ids)))
        .group_by(RevenueEntry.order_line_id, kind)
    )
    booked: dict[int, dict[str, list[int]]] = {}
    for line_id, kind, amount, commission in rows:
        booked.setdefault(line_id, {})[kind] = [int(amount), int(commission)]
    return booked


def commission_to_reverse(booked: dict[str, list[int]], amount: int) -> int:
    """The commission a refund of `amount` gives back: its share of the sale's own commission.

    The share is of the running total refunded, less what earlier refunds gave back, so the
    reversals never pass the sale's commission and a full refund nets it to exactly 0."""
    sale_amount, sale_commission = booked.get("sale", [0, 0])
    refund = booked.setdefault("refund", [0, 0])
    if sale_amount <= 0:
        return 0
    refunded_after = min(-refund[0] + amount, sale_amount)
    owed = Money(sale_commission).share(refunded_after, sale_amount).fen
    reversed_now = max(owed - -refund[1], 0)
    refund[0], refund[1] = refund[0] - amount, refund[1] - reversed_now
    return reversed_now


def record_refund(
    session: Session,
    order: Order,
    parts: list[tuple[OrderLine, int, int]],
    at: datetime,
    refund_id: int | None,
) -> list[RevenueEntry]:
    """Write one negative entry per refunded (line, qty, amount_fen), reversing its share of the
    sale's commission (the rate of the sale, not today's)."""
    refunded = [(line, qty, amount) for line, qty, amount in parts if amount > 0]
    if not refunded:
        return []
    booked = _booked(session, {line.id for line, _, _ in refunded})
    entries = [
        _entry(
            session,
            order,
            line,
            kind="refund",
            qty=-qty,
            amount_fen=-amount,
            at=at,
            commission_fen=-commission_to_reverse(booked.setdefault(line.id, {}), amount),
            refund_id=refund_id,
        )
        for line, qty, amount in refunded
    ]
    rollup.add_entries(session, entries)  # the monthly rollup statements read, kept in step
    return entries


def record_refund_reversal(session: Session, refund_id: int, at: datetime) -> list[RevenueEntry]:
    """Put back the money of a refund that failed: one entry per entry of the refund, cancelling it
    exactly (amount, units, commission, attribution), kind 'sale' naming the refund, dated `at`.

    The refund's own entries are never edited (the ledger is append-only); the reversal is dated
    now, so a refund of an issued month is put back in the current one."""
    originals = session.scalars(
        select(RevenueEntry)
        .where(RevenueEntry.refund_id == refund_id, RevenueEntry.kind == "refund")
        .order_by(RevenueEntry.id)
    ).all()
    entries = [
        RevenueEntry(
            kind="sale",
            order_id=e.order_id,
            order_line_id=e.order_line_id,
            refund_id=refund_id,
            product_id=e.product_id,
            county_code=e.county_code,
            supplier_id=e.supplier_id,
            channel=e.channel,
            buyer_kind=e.buyer_kind,
            organization_id=e.organization_id,
            partner_code=e.partner_code,
            location_id=e.location_id,
            certified=e.certified,
            qty=-e.qty,
            amount_fen=-e.amount_fen,
            commission_fen=-e.commission_fen,
            period=period_of(at),
            at=at,
        )
        for e in originals
    ]
    session.add_all(entries)
    rollup.add_entries(session, entries)  # the monthly rollup statements read, kept in step
    return entries
