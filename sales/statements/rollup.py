"""The monthly revenue rollup: kept in step as ledger entries are written, rebuilt from the ledger
on demand, and compared with the ledger's own GROUP BY before a month is issued."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import case, delete, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement, Select

from sales.models import RevenueEntry
from sales.statements.models import NO_LOCATION, NO_PARTNER, ROLLUP_KEY, RevenueRollup

KEY_COLUMNS = ROLLUP_KEY
VALUE_COLUMNS = ("sale_fen", "refund_fen", "sale_qty", "refund_qty", "commission_fen", "entry_count")


def _is_reversal(entry: RevenueEntry) -> bool:
    """A 'sale' entry that names a refund puts back the money of a refund that failed: it counts
    with the refunds (netting them), in the month of the line's sale, not as a new sale."""
    return entry.kind == "sale" and entry.refund_id is not None


def _counts_as_sale(entry: RevenueEntry) -> bool:
    return entry.kind == "sale" and entry.refund_id is None


def _sale_periods(session: Session, line_ids: set[int]) -> dict[int, str]:
    if not line_ids:
        return {}
    rows = session.execute(
        select(RevenueEntry.order_line_id, func.min(RevenueEntry.period))
        .where(
            RevenueEntry.order_line_id.in_(line_ids),
            RevenueEntry.kind == "sale",
            RevenueEntry.refund_id.is_(None),
        )
        .group_by(RevenueEntry.order_line_id)
    ).all()
    return dict(rows)


def _key(entry: RevenueEntry, sale_period: str) -> tuple[Any, ...]:
    return (
        entry.period,
        sale_period,
        entry.county_code,
        entry.supplier_id,
        entry.product_id,
        entry.channel,
        entry.buyer_kind,
        bool(entry.certified),
        entry.partner_code or NO_PARTNER,
        entry.location_id or NO_LOCATION,
    )


def add_entries(session: Session, entries: Iterable[RevenueEntry]) -> None:
    """Add freshly written ledger entries to the rollup (same unit of work as the entries)."""
    entries = list(entries)
    if not entries:
        return
    refunds = {e.order_line_id for e in entries if not _counts_as_sale(e)}
    sale_period_of = _sale_periods(session, refunds)
    sums: dict[tuple[Any, ...], list[int]] = {}
    for e in entries:
        is_sale = _counts_as_sale(e)
        sale_period = e.period if is_sale else sale_period_of.get(e.order_line_id, e.period)
        acc = sums.setdefault(_key(e, sale_period), [0] * len(VALUE_COLUMNS))
        for i, value in enumerate(
            (
                e.amount_fen if is_sale else 0,
                0 if is_sale else e.amount_fen,
                e.qty if is_sale else 0,
                0 if is_sale else e.qty,
                e.commission_fen,
                1,
            )
        ):
            acc[i] += value
    # Keys in sorted order: two transactions adding to the same rows lock them in the same order.
    rows = [
        dict(zip(KEY_COLUMNS, key, strict=True)) | dict(zip(VALUE_COLUMNS, sums[key], strict=True))
        for key in sorted(sums)
    ]
    # One statement, its rows as parameters (the keys are distinct, so no row is touched twice): a
    # multi-row VALUES would make a new statement for every number of rows, compiled each time.
    session.execute(_upsert(session.get_bind().dialect.name), rows)


_UPSERTS: dict[str, Any] = {}


def _upsert(dialect: str) -> Any:
    """INSERT a rollup row, or add its values to the row with its key (built once per dialect)."""
    if dialect not in _UPSERTS:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        table = RevenueRollup.__table__
        stmt = insert(table)
        _UPSERTS[dialect] = stmt.on_conflict_do_update(
            index_elements=list(KEY_COLUMNS),
            set_={c: table.c[c] + stmt.excluded[c] for c in VALUE_COLUMNS},
        )
    return _UPSERTS[dialect]


def _ledger_rollup_select(period: str | None) -> Select[Any]:
    """The ledger grouped exactly as the rollup is keyed: what the rollup must equal."""
    e = RevenueEntry
    refund, sale = aliased(RevenueEntry), aliased(RevenueEntry)
    # The sale month of every line refunded in the month, joined once (a hash join over the month's
    # refunds) rather than looked up entry by entry.
    # Refunds, and the entries putting back a failed refund (a 'sale' that names the refund).
    refunded = select(refund.order_line_id).where((refund.kind == "refund") | refund.refund_id.is_not(None))
    if period is not None:
        refunded = refunded.where(refund.period == period)
    sale_periods = (
        select(sale.order_line_id.label("order_line_id"), func.min(sale.period).label("sale_period"))
        .where(sale.kind == "sale", sale.refund_id.is_(None), sale.order_line_id.in_(refunded.distinct()))
        .group_by(sale.order_line_id)
        .subquery()
    )
    is_sale = (e.kind == "sale") & e.refund_id.is_(None)
    sale_period = case((is_sale, e.period), else_=func.coalesce(sale_periods.c.sale_period, e.period))
    keys: list[ColumnElement[Any]] = [
        e.period.label("period"),
        sale_period.label("sale_period"),
        e.county_code.label("county_code"),
        e.supplier_id.label("supplier_id"),
        e.product_id.label("product_id"),
        e.channel.label("channel"),
        e.buyer_kind.label("buyer_kind"),
        e.certified.label("certified"),
        func.coalesce(e.partner_code, literal(NO_PARTNER)).label("partner_code"),
        func.coalesce(e.location_id, literal(NO_LOCATION)).label("location_id"),
    ]
    values = [
        func.sum(case((is_sale, e.amount_fen), else_=0)).label("sale_fen"),
        func.sum(case((is_sale, 0), else_=e.amount_fen)).label("refund_fen"),
        func.sum(case((is_sale, e.qty), else_=0)).label("sale_qty"),
        func.sum(case((is_sale, 0), else_=e.qty)).label("refund_qty"),
        func.sum(e.commission_fen).label("commission_fen"),
        func.count().label("entry_count"),
    ]
    stmt = (
        select(*keys, *values)
        .select_from(e)
        .outerjoin(sale_periods, sale_periods.c.order_line_id == e.order_line_id)
        .group_by(*keys)
    )
    if period is not None:
        stmt = stmt.where(e.period == period)
    return stmt


def ledger_rows(session: Session, period: str | None = None) -> set[tuple[Any, ...]]:
    """The raw ledger's GROUP BY in rollup shape, as comparable tuples."""
    return {_normalise(row) for row in session.execute(_ledger_rollup_select(period))}


def rollup_rows(session: Session, period: str | None = None) -> set[tuple[Any, ...]]:
    """The rollup's rows as comparable tuples."""
    cols = [RevenueRollup.__table__.c[c] for c in KEY_COLUMNS + VALUE_COLUMNS]
    stmt = select(*cols)
    if period is not None:
        stmt = stmt.where(RevenueRollup.period == period)
    return {_normalise(row) for row in session.execute(stmt)}


def _normalise(row: Any) -> tuple[Any, ...]:
    values = list(row)
    values[7] = bool(values[7])  # certified: SQLite answers 0/1
    return tuple(int(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in values)


def rebuild(session: Session, period: str) -> int:
    """Replace a month's rollup with the ledger's GROUP BY (after a bulk load); return its rows."""
    session.execute(delete(RevenueRollup).where(RevenueRollup.period == period))
    table = RevenueRollup.__table__
    session.execute(
        table.insert().from_select(list(KEY_COLUMNS + VALUE_COLUMNS), _ledger_rollup_select(period))
    )
    return session.scalar(select(func.count()).where(RevenueRollup.period == period)) or 0


def totals_by_county_supplier(session: Session, period: str, *, source: str) -> dict[tuple[str, int], tuple]:
    """Per (county, supplier): amount, units, commission, entries — from the ledger or the rollup."""
    if source == "ledger":
        e = RevenueEntry
        stmt = (
            select(
                e.county_code,
                e.supplier_id,
                func.sum(e.amount_fen),
                func.sum(e.qty),
                func.sum(e.commission_fen),
                func.count(),
            )
            .where(e.period == period)
            .group_by(e.county_code, e.supplier_id)
        )
    else:
        r = RevenueRollup
        stmt = (
            select(
                r.county_code,
                r.supplier_id,
                func.sum(r.sale_fen + r.refund_fen),
                func.sum(r.sale_qty + r.refund_qty),
                func.sum(r.commission_fen),
                func.sum(r.entry_count),
            )
            .where(r.period == period)
            .group_by(r.county_code, r.supplier_id)
        )
    return {(c, int(s)): tuple(int(v) for v in rest) for c, s, *rest in session.execute(stmt)}
