"""The money invariants, checked by the system (issue 11): what an auditor runs to see that every
fen captured is in the ledger once, that nothing is booked for money not received, that refunds
are paid out, that overpayments are returned, and that each month's statements add up to the ledger.
Money owed back and recorded as such (a pending payout of a bank-transfer refund, an overpayment a
pending refund returns) is listed as OWED: an expected state, not a failure.

Every check is a few set-based statements (GROUP BY and joins, never a query per order), so it
runs the same on a million orders; only the offending rows come back, at most MAX_ROWS of each.
Read-only: nothing here writes or commits."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from catalogue.models import Product, Region, Supplier
from core.clock import SHANGHAI, Clock
from inventory.models import Location
from payments.models import Payment, Refund
from payments.providers import bank_transfer
from sales import owed
from sales.models import Order, OrderLine, RevenueEntry
from sales.refunds import RETRY_OF
from sales.statements import rollup
from sales.statements.compute import check_period, compute
from sales.statements.models import NO_LOCATION, NO_PARTNER, RevenueRollup, Statement, StatementPeriod

MAX_ROWS = 200  # offending rows returned per check (the count says how many there are in all)
PENDING_REFUND_GRACE = timedelta(hours=1)
UNSETTLED_VISIT_GRACE = timedelta(hours=1)  # a shopper is long gone: the door should have closed


@dataclass
class Check:
    """One invariant: whether it holds, and the rows that break it."""

    code: str
    label_zh: str
    label_en: str
    passed: bool = True
    rows: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0  # offending rows in all (rows holds at most MAX_ROWS of them)
    info: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    owed: int = 0  # rows listed as owed (money to give back, recorded as such): expected, not a failure

    @property
    def label(self) -> str:
        return f"{self.label_zh} / {self.label_en}"

    @property
    def verdict(self) -> str:
        """FAIL when a row breaks the invariant; OWED when the only rows are money owed back."""
        if not self.passed:
            return "FAIL"
        return "OWED" if self.owed else "PASS"


@dataclass
class MoneyAudit:
    """Every check of one run, in the order they ran."""

    checks: list[Check]
    period: str | None
    at: datetime

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def check(self, code: str) -> Check:
        """The check of this code (LABELS lists them)."""
        return next(c for c in self.checks if c.code == code)


LABELS = {
    "orders_match_ledger": (
        "每笔订单：实收 − 退款 = 收入分录",
        "per order: captured − refunds = revenue entries",
    ),
    "orders_match_payments": (
        "每笔订单：订单金额 = 支付与退款记录",
        "per order: order amounts = payment and refund records",
    ),
    "no_uncaptured_revenue": ("未收款不记收入", "no revenue for uncaptured money"),
    "stale_pending_refunds": ("待退款超过一小时", "refunds pending for more than an hour"),
    "failed_refunds": ("退款失败（待人工处理）", "failed refunds (for an operator)"),
    "overpayments": ("超额付款（应退还）", "overpayments (to be returned)"),
    "unsettled_door_visits": (
        "开门购物超过一小时未结算",
        "open-door visits not settled an hour after the door opened",
    ),
    "payouts_owed": ("待银行退付", "bank-transfer payouts owed"),
    "statements_match_ledger": (
        "每月：收入分录 = 县 = 供应商 = 合作方对账单",
        "per month: revenue = county = supplier = partner statements",
    ),
    "rollup_matches_ledger": ("每月：汇总表 = 收入分录", "per month: revenue rollup = revenue ledger"),
}


def _new(code: str) -> Check:
    zh, en = LABELS[code]
    return Check(code, zh, en)


def _ledger_by_order() -> Any:
    e = RevenueEntry
    return (
        select(
            e.order_id.label("order_id"),
            func.sum(e.amount_fen).label("ledger_fen"),
            # The sales proper: a failed refund's reversal is a 'sale' entry too, naming the refund.
            func.sum(case((and_(e.kind == "sale", e.refund_id.is_(None)), e.amount_fen), else_=0)).label(
                "sales_fen"
            ),
        )
        .group_by(e.order_id)
        .subquery()
    )


def _fail(check: Check, rows: list[dict[str, Any]], count: int | None = None) -> None:
    check.count = len(rows) if count is None else count
    check.rows = rows[:MAX_ROWS]
    check.passed = check.count == 0


def _count_and_rows(session: Session, stmt: Any) -> tuple[int, list[dict[str, Any]]]:
    count = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = [dict(r._mapping) for r in session.execute(stmt.limit(MAX_ROWS))] if count else []
    return int(count), rows


def _name_orders(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add each order's place and products (two queries for all the rows)."""
    ids = sorted({r["order_id"] for r in rows})
    if not ids:
        return
    places = dict(
        session.execute(
            select(Order.id, Location.code + " " + Location.name_zh)
            .join(Location, Location.id == Order.location_id)
            .where(Order.id.in_(ids))
        ).all()
    )
    products: dict[str, list[str]] = {}
    for order_id, zh, en in session.execute(
        select(OrderLine.order_id, OrderLine.name_zh, OrderLine.name_en)
        .where(OrderLine.order_id.in_(ids))
        .order_by(OrderLine.order_id, OrderLine.line_no)
    ):
        products.setdefault(order_id, []).append(f"{zh} {en}".strip())
    for r in rows:
        r["place"] = places.get(r["order_id"], "—")
        r["products"] = "、".join(products.get(r["order_id"], [])) or "—"


def check_orders_match_ledger(session: Session) -> Check:
    """Per order: captured − refunded (the order's own columns) = Σ its revenue entries.

    Refunded here is orders.refunded_fen, which counts pending refunds too, not only the refunds
    whose status is 'succeeded': sales/refunds.py writes a refund's negative ledger entries when
    the refund is requested (pending), before the provider pays it out. Comparing with succeeded
    refunds only would flag every refund in flight; a refund that stays pending or fails is what
    the two refund checks below list."""
    check = _new("orders_match_ledger")
    ledger = _ledger_by_order()
    booked = func.coalesce(ledger.c.ledger_fen, 0)
    net = Order.captured_fen - Order.refunded_fen
    stmt = (
        select(
            Order.id.label("order_id"),
            Order.status.label("status"),
            Order.captured_fen.label("captured_fen"),
            Order.refunded_fen.label("refunded_fen"),
            booked.label("ledger_fen"),
            (booked - net).label("difference_fen"),
        )
        .outerjoin(ledger, ledger.c.order_id == Order.id)
        .where(net != booked)
        .order_by(Order.id)
    )
    count, rows = _count_and_rows(session, stmt)
    _name_orders(session, rows)
    _fail(check, rows, count)
    check.info = _ledger_totals(session)
    return check


def _ledger_totals(session: Session) -> dict[str, int]:
    captured, refunded, orders = session.execute(
        select(func.sum(Order.captured_fen), func.sum(Order.refunded_fen), func.count()).where(
            Order.captured_fen > 0
        )
    ).one()
    ledger = session.scalar(select(func.sum(RevenueEntry.amount_fen)))
    return {
        "orders": int(orders or 0),
        "captured_fen": int(captured or 0),
        "refunded_fen": int(refunded or 0),
        "ledger_fen": int(ledger or 0),
    }


def check_orders_match_payments(session: Session) -> Check:
    """Per order: its captured and refunded columns = Σ what its payments captured for it (less
    their surplus) and Σ its refunds not failed (less those of overpayments)."""
    check = _new("orders_match_payments")
    # A payment's surplus and its refunds are money the order did not need (the overpayments check).
    paid = (
        select(
            Payment.order_id.label("order_id"),
            func.sum(Payment.captured_fen - Payment.surplus_fen).label("paid_fen"),
        )
        .group_by(Payment.order_id)
        .subquery()
    )
    refunds = (
        select(Payment.order_id.label("order_id"), func.sum(Refund.amount_fen).label("refund_records_fen"))
        .join(Refund, Refund.payment_id == Payment.id)
        .where(Refund.kind == "order", Refund.status != "failed")  # a failed refund was booked back
        .group_by(Payment.order_id)
        .subquery()
    )
    paid_fen = func.coalesce(paid.c.paid_fen, 0)
    refunded_fen = func.coalesce(refunds.c.refund_records_fen, 0)
    stmt = (
        select(
            Order.id.label("order_id"),
            Order.captured_fen.label("captured_fen"),
            paid_fen.label("payments_captured_fen"),
            Order.refunded_fen.label("refunded_fen"),
            refunded_fen.label("refund_records_fen"),
        )
        .outerjoin(paid, paid.c.order_id == Order.id)
        .outerjoin(refunds, refunds.c.order_id == Order.id)
        .where(or_(Order.captured_fen != paid_fen, Order.refunded_fen != refunded_fen))
        .order_by(Order.id)
    )
    count, rows = _count_and_rows(session, stmt)
    _name_orders(session, rows)
    _fail(check, rows, count)
    return check


def check_no_revenue_without_capture(session: Session) -> Check:
    """No revenue for money not captured: no entries on an order captured 0, no more sold than captured."""
    check = _new("no_uncaptured_revenue")
    ledger = _ledger_by_order()
    stmt = (
        select(
            Order.id.label("order_id"),
            Order.status.label("status"),
            Order.captured_fen.label("captured_fen"),
            ledger.c.sales_fen.label("sales_fen"),
            ledger.c.ledger_fen.label("ledger_fen"),
        )
        .join(ledger, ledger.c.order_id == Order.id)
        .where(or_(Order.captured_fen == 0, ledger.c.sales_fen > Order.captured_fen))
        .order_by(Order.id)
    )
    count, rows = _count_and_rows(session, stmt)
    _name_orders(session, rows)
    _fail(check, rows, count)
    return check


def _refunds(session: Session, *conditions: Any) -> tuple[int, list[dict[str, Any]]]:
    stmt = (
        select(
            Refund.id.label("refund_id"),
            Payment.order_id.label("order_id"),
            Payment.provider.label("provider"),
            Refund.amount_fen.label("amount_fen"),
            Refund.reason.label("reason"),
            Refund.created_at.label("created_at"),
        )
        .join(Payment, Payment.id == Refund.payment_id)
        .where(*conditions)
        .order_by(Refund.created_at, Refund.id)
    )
    return _refund_rows(session, stmt)


def _refund_rows(session: Session, stmt: Any) -> tuple[int, list[dict[str, Any]]]:
    """A refund listing's count and rows, their request times in Asia/Shanghai, orders named."""
    count, rows = _count_and_rows(session, stmt)
    for r in rows:
        r["created_at"] = r["created_at"].astimezone(SHANGHAI)
    _name_orders(session, rows)
    return count, rows


def check_stale_pending_refunds(session: Session, now: datetime) -> Check:
    """Refunds still pending an hour after they were requested (the pay-out did not happen).

    A refund on a bank transfer is a payout an operator makes by hand: owed, listed by
    check_payouts_owed, not stale."""
    check = _new("stale_pending_refunds")
    count, rows = _refunds(
        session,
        Refund.status == "pending",
        Refund.created_at < now - PENDING_REFUND_GRACE,
        Payment.provider != bank_transfer.PROVIDER_NAME,
    )
    _fail(check, rows, count)
    return check


def check_failed_refunds(session: Session) -> Check:
    """Refunds the provider refused and no operator has retried yet: owed to the shopper."""
    check = _new("failed_refunds")
    retry = aliased(Refund)
    # A retry's reason names the refund it retries (sales.refunds.retry_refund).
    retried = select(retry.id).where(
        retry.reason.like(literal(RETRY_OF) + cast(Refund.id, String) + literal(":%"))
    )
    count, rows = _refunds(session, Refund.status == "failed", ~retried.exists())
    _fail(check, rows, count)
    return check


def check_overpayments(session: Session) -> Check:
    """Money an order did not need, until it is returned (sales.owed.overpayments).

    Each is listed; one a pending refund or payout gives back is owed (expected, listed as OWED);
    one no pending return covers — never recorded, or its return failed — fails the check."""
    check = _new("overpayments")
    stmt = owed.overpayments()
    count, rows = _count_and_rows(session, stmt)
    _name_orders(session, rows)
    unrecorded = select(func.count()).select_from(
        stmt.where(stmt.selected_columns.unrecorded_fen > 0).subquery()
    )
    check.count, check.rows = count, rows
    check.passed = not session.scalar(unrecorded)
    check.owed = count if check.passed else 0
    check.info = {"owed_fen": sum(r["owed_fen"] for r in rows)}
    return check


def check_unsettled_door_visits(session: Session, now: datetime) -> Check:
    """Open-door visits authorized an hour ago and still without a door-closed report: a hold the
    provider will let lapse, or a deposit (WeChat Pay, Alipay) we hold until someone settles it."""
    check = _new("unsettled_door_visits")
    stmt = (
        select(
            Order.id.label("order_id"),
            Order.hold_fen.label("hold_fen"),
            Order.updated_at.label("authorized_at"),
            Order.location_id.label("location_id"),
        )
        .where(Order.status == "authorized", Order.updated_at < now - UNSETTLED_VISIT_GRACE)
        .order_by(Order.updated_at)
    )
    count, rows = _count_and_rows(session, stmt)
    for r in rows:
        r["authorized_at"] = r["authorized_at"].astimezone(SHANGHAI)
    _name_orders(session, rows)
    _fail(check, rows, count)
    return check


def check_payouts_owed(session: Session) -> Check:
    """Refunds on bank transfers not yet paid out by an operator: owed to the buyer, listed until the
    payout is recorded (`dongxi payments payouts`); an expected state, so the check passes."""
    check = _new("payouts_owed")
    count, rows = _refund_rows(session, owed.payouts_owed())
    check.count, check.rows, check.owed = count, rows, count
    return check


def _periods(session: Session, period: str | None) -> list[str]:
    if period is not None:
        return [check_period(period)]
    found = set(session.scalars(select(RevenueEntry.period).distinct()))
    found |= set(session.scalars(select(RevenueRollup.period).distinct()))
    found |= set(session.scalars(select(StatementPeriod.period)))
    return sorted(found)


class _Names:
    """Names of counties, partners, suppliers, products and places, looked up once for all rows."""

    def __init__(self, session: Session, regions: set[str], suppliers: set[int], products: set[int]) -> None:
        self.regions = dict(
            session.execute(select(Region.code, Region.name_zh).where(Region.code.in_(regions))).all()
        )
        self.suppliers = dict(
            session.execute(select(Supplier.id, Supplier.name_zh).where(Supplier.id.in_(suppliers))).all()
        )
        self.products = {
            pid: f"{zh} {spec}"
            for pid, zh, spec in session.execute(
                select(Product.id, Product.name_zh, Product.spec).where(Product.id.in_(products))
            )
        }

    def scope(self, scope: str, key: str) -> str:
        if scope == "supplier":
            return self.suppliers.get(int(key), key)
        return self.regions.get(key, key)


def check_statements_match_ledger(session: Session, period: str | None = None) -> Check:
    """Per month: Σ revenue = Σ county = Σ supplier = Σ partner statements (partners: entries with one).

    An issued month is compared through its stored statements (figures.totals.net_fen, which
    includes the month's refunds of earlier months' sales, the adjustments: they are entries of
    this month too), an open month through the drafts compute() gives now."""
    check = _new("statements_match_ledger")
    periods = _periods(session, period)
    e = RevenueEntry
    ledger: dict[tuple[str, str, str], int] = {}
    by = (("county", e.county_code), ("supplier", e.supplier_id), ("partner", e.partner_code))
    for scope, column in by:
        stmt = select(e.period, column, func.sum(e.amount_fen)).where(e.period.in_(periods))
        if scope == "partner":
            stmt = stmt.where(e.partner_code.is_not(None))
        for p, key, amount in session.execute(stmt.group_by(e.period, column)):
            ledger[(p, scope, str(key))] = int(amount)
    issued = set(session.scalars(select(StatementPeriod.period).where(StatementPeriod.period.in_(periods))))
    stated: dict[tuple[str, str, str], int] = {}
    stored = session.execute(
        select(Statement.period, Statement.scope, Statement.scope_key, Statement.figures).where(
            Statement.period.in_(sorted(issued)), Statement.status == "issued"
        )
    )
    for p, scope, key, figures in stored:
        stated[(p, scope, key)] = int(figures["totals"]["net_fen"])
    for p in periods:
        if p not in issued:
            for s in compute(session, p):
                stated[(p, s.scope, s.scope_key)] = int(s.figures["totals"]["net_fen"])
    keys = sorted(set(ledger) | set(stated))
    names = _Names(
        session,
        {k for _p, s, k in keys if s != "supplier"},
        {int(k) for _p, s, k in keys if s == "supplier"},
        set(),
    )
    rows = [
        {
            "period": p,
            "scope": scope,
            "key": key,
            "name": names.scope(scope, key),
            "ledger_fen": ledger.get((p, scope, key), 0),
            "statements_fen": stated.get((p, scope, key), 0),
            "difference_fen": stated.get((p, scope, key), 0) - ledger.get((p, scope, key), 0),
        }
        for p, scope, key in keys
        if ledger.get((p, scope, key), 0) != stated.get((p, scope, key), 0)
    ]
    months = []
    totals = dict(
        session.execute(
            select(e.period, func.sum(e.amount_fen)).where(e.period.in_(periods)).group_by(e.period)
        ).all()
    )
    for p in periods:
        month = {"period": p, "issued": p in issued, "ledger_fen": int(totals.get(p) or 0)}
        for scope in ("county", "supplier", "partner"):
            month[f"{scope}_fen"] = sum(v for (q, s, _k), v in stated.items() if q == p and s == scope)
        month["partner_ledger_fen"] = sum(v for (q, s, _k), v in ledger.items() if q == p and s == "partner")
        months.append(month)
        if not month["ledger_fen"] == month["county_fen"] == month["supplier_fen"] or (
            month["partner_fen"] != month["partner_ledger_fen"]
        ):
            rows.append({"period": p, "scope": "month", "key": p, "name": "月合计 month total", **month})
    check.info = {"months": months}
    _fail(check, rows)
    return check


def check_rollup_matches_ledger(session: Session, period: str | None = None) -> Check:
    """Per month: the revenue rollup the statements read = the ledger's own GROUP BY, row for row."""
    check = _new("rollup_matches_ledger")
    differing: list[tuple[tuple[Any, ...], tuple[Any, ...] | None, tuple[Any, ...] | None]] = []
    width = len(rollup.KEY_COLUMNS)
    for p in _periods(session, period):
        ledger = {row[:width]: row[width:] for row in rollup.ledger_rows(session, p)}
        summed = {row[:width]: row[width:] for row in rollup.rollup_rows(session, p)}
        for key in sorted(set(ledger) | set(summed), key=repr):
            if ledger.get(key) != summed.get(key):
                differing.append((key, ledger.get(key), summed.get(key)))
    names = _Names(
        session,
        {k[2] for k, _l, _r in differing} | {k[8] for k, _l, _r in differing},
        {k[3] for k, _l, _r in differing},
        {k[4] for k, _l, _r in differing},
    )
    rows = []
    for key, in_ledger, in_rollup in differing:
        keyed = dict(zip(rollup.KEY_COLUMNS, key, strict=True))
        row = {
            "period": keyed["period"],
            "sale_period": keyed["sale_period"],
            "county": f"{keyed['county_code']} {names.regions.get(keyed['county_code'], '')}".strip(),
            "supplier": names.suppliers.get(keyed["supplier_id"], str(keyed["supplier_id"])),
            "product": names.products.get(keyed["product_id"], str(keyed["product_id"])),
            "channel": keyed["channel"],
            "partner": names.regions.get(keyed["partner_code"], "—")
            if keyed["partner_code"] != NO_PARTNER
            else "—",
            "location_id": keyed["location_id"] if keyed["location_id"] != NO_LOCATION else None,
        }
        for column, i in (("sale_fen", 0), ("refund_fen", 1), ("entry_count", 5)):
            row[f"ledger_{column}"] = in_ledger[i] if in_ledger else 0
            row[f"rollup_{column}"] = in_rollup[i] if in_rollup else 0
        rows.append(row)
    _fail(check, rows)
    return check


def audit_money(
    session: Session,
    clock: Clock,
    *,
    period: str | None = None,
    progress: Callable[[str], None] = lambda _m: None,
    on_check: Callable[[Check], None] = lambda _c: None,
) -> MoneyAudit:
    """Run every money invariant (the monthly ones for one period, or every month) and return them."""
    if period is not None:
        check_period(period)
    now = clock.now()
    runs: list[tuple[str, Callable[[], Check]]] = [
        ("orders_match_ledger", lambda: check_orders_match_ledger(session)),
        ("orders_match_payments", lambda: check_orders_match_payments(session)),
        ("no_uncaptured_revenue", lambda: check_no_revenue_without_capture(session)),
        ("stale_pending_refunds", lambda: check_stale_pending_refunds(session, now)),
        ("failed_refunds", lambda: check_failed_refunds(session)),
        ("overpayments", lambda: check_overpayments(session)),
        ("unsettled_door_visits", lambda: check_unsettled_door_visits(session, now)),
        ("statements_match_ledger", lambda: check_statements_match_ledger(session, period)),
        ("rollup_matches_ledger", lambda: check_rollup_matches_ledger(session, period)),
        ("payouts_owed", lambda: check_payouts_owed(session)),
    ]
    checks = []
    for i, (code, run) in enumerate(runs, start=1):
        zh, en = LABELS[code]
        progress(f"[{i}/{len(runs)}] {zh} / {en} …")
        started = time.perf_counter()
        result = run()
        result.seconds = time.perf_counter() - started
        checks.append(result)
        on_check(result)
    return MoneyAudit(checks=checks, period=period, at=now.astimezone(SHANGHAI))
