"""Statement figures for a month, computed from the revenue rollup by aggregate SQL.

One GROUP BY over the month's rollup rows (a few thousand at most, whatever the size of the
ledger) gives every combination of attributes; each statement and each of its breakdowns is a
sum of those groups. Entries are never loaded."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.models import Product, Region, Supplier
from core.clock import SHANGHAI
from core.errors import InvalidInput
from inventory.models import Location
from sales.statements import labels
from sales.statements.models import NO_LOCATION, NO_PARTNER, RevenueRollup, Statement

# A real month: from 2000 (before any of these programmes) to 2099; 0000-01 or 9999-12 is no
# period, and its bounds would not even be datetimes.
PERIOD = re.compile(r"^(20\d\d)-(0[1-9]|1[0-2])$")
SCOPE_DIMENSIONS = {
    "county": (
        "supplier",
        "product",
        "channel",
        "buyer_kind",
        "purchase_type",
        "certified",
        "partner",
        "location",
    ),
    "supplier": ("product", "channel", "buyer_kind", "purchase_type", "certified", "partner", "location"),
    "partner": (
        "prefecture",
        "county",
        "supplier",
        "channel",
        "buyer_kind",
        "purchase_type",
        "certified",
        "location",
    ),
}


def check_period(period: str) -> str:
    """Return the period if it is a real month YYYY-MM (2000-01 … 2099-12), else refuse it."""
    if not isinstance(period, str) or not PERIOD.match(period):
        raise InvalidInput(
            "a period is YYYY-MM, 2000-01 to 2099-12",
            code="invalid_period",
            fields={"period": "YYYY-MM, 2000-01 to 2099-12"},
        )
    return period


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """The first moment of the month and of the next, in Asia/Shanghai."""
    year, month = (int(p) for p in check_period(period).split("-"))
    start = datetime(year, month, 1, tzinfo=SHANGHAI)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=SHANGHAI)
    return start, end


def previous_period(period: str) -> str:
    """The month before YYYY-MM."""
    year, month = (int(p) for p in check_period(period).split("-"))
    return f"{year - 1}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


@dataclass
class _Sums:
    gross: int = 0
    refunds: int = 0
    sold: int = 0
    refunded: int = 0
    commission: int = 0
    entries: int = 0

    def add(self, values: tuple[int, int, int, int, int, int]) -> None:
        gross, refunds, sold, refunded, commission, entries = values
        self.gross += gross
        self.refunds += refunds
        self.sold += sold
        self.refunded += refunded
        self.commission += commission
        self.entries += entries

    def line(self) -> dict[str, int]:
        net = self.gross + self.refunds
        return {
            "gross_fen": self.gross,
            "refunds_fen": self.refunds,
            "net_fen": net,
            "units": self.sold + self.refunded,
            "commission_fen": self.commission,
            "net_payable_fen": net - self.commission,
        }


@dataclass
class _Scope:
    current: _Sums = field(default_factory=_Sums)
    adjustments: _Sums = field(default_factory=_Sums)
    breakdowns: dict[str, dict[str, _Sums]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(_Sums))
    )
    adjustment_lines: dict[tuple[str, str], _Sums] = field(default_factory=lambda: defaultdict(_Sums))


def _rollup_groups(session: Session, period: str, scope: str | None, key: str | None) -> list[Any]:
    r = RevenueRollup
    keys = [r.sale_period, r.county_code, r.supplier_id, r.product_id, r.channel, r.buyer_kind]
    keys += [r.certified, r.partner_code, r.location_id]
    stmt = (
        select(
            *keys,
            func.sum(r.sale_fen).label("sale_fen"),
            func.sum(r.refund_fen).label("refund_fen"),
            func.sum(r.sale_qty).label("sale_qty"),
            func.sum(r.refund_qty).label("refund_qty"),
            func.sum(r.commission_fen).label("commission_fen"),
            func.sum(r.entry_count).label("entry_count"),
        )
        .where(r.period == period)
        .group_by(*keys)
    )
    if scope == "county" and key is not None:
        stmt = stmt.where(r.county_code == key)
    elif scope == "supplier" and key is not None:
        stmt = stmt.where(r.supplier_id == int(key))
    elif scope == "partner" and key is not None:
        stmt = stmt.where(r.partner_code == key)
    return list(session.execute(stmt))


class _Names:
    """Looks up, once per id, what the figures need to show."""

    def __init__(self, session: Session, groups: list[Any]) -> None:
        counties = {g.county_code for g in groups}
        partners = {g.partner_code for g in groups} - {NO_PARTNER}
        regions = {
            r.code: r for r in session.scalars(select(Region).where(Region.code.in_(counties | partners)))
        }
        parents = {r.parent_code for r in regions.values() if r.parent_code}
        regions |= {r.code: r for r in session.scalars(select(Region).where(Region.code.in_(parents)))}
        self.regions = regions
        self.suppliers = {
            s.id: s
            for s in session.scalars(select(Supplier).where(Supplier.id.in_({g.supplier_id for g in groups})))
        }
        self.products = {
            p.id: p
            for p in session.scalars(select(Product).where(Product.id.in_({g.product_id for g in groups})))
        }
        locations = {g.location_id for g in groups} - {NO_LOCATION}
        self.locations = {
            loc.id: loc for loc in session.scalars(select(Location).where(Location.id.in_(locations)))
        }

    def region(self, code: str) -> tuple[str, str]:
        region = self.regions.get(code)
        return (region.name_zh, region.name_en) if region else (code or "—", code or "—")

    def label(self, dimension: str, key: str) -> dict[str, str]:
        zh, en = key, key
        if dimension in ("county", "partner", "prefecture"):
            zh, en = self.region(key) if key != NO_PARTNER else ("无", "none")
        elif dimension == "supplier":
            s = self.suppliers.get(int(key))
            zh, en = (s.name_zh, s.name_en or s.name_zh) if s else (key, key)
        elif dimension == "product":
            p = self.products.get(int(key))
            zh, en = (f"{p.name_zh} {p.spec}", f"{p.name_en or p.name_zh} {p.spec}") if p else (key, key)
        elif dimension == "location":
            loc = self.locations.get(int(key)) if key != str(NO_LOCATION) else None
            zh, en = (
                (f"{loc.code} {loc.name_zh}", f"{loc.code} {loc.name_en or loc.name_zh}")
                if loc
                else ("无", "none")
            )
        elif dimension == "channel":
            zh, en = labels.CHANNELS.get(key, (key, key))
        elif dimension == "buyer_kind":
            zh, en = labels.BUYER_KINDS.get(key, (key, key))
        elif dimension == "purchase_type":
            zh, en = labels.PURCHASE_TYPES[key]
        elif dimension == "certified":
            zh, en = labels.CERTIFIED[key]
        return {"zh": zh, "en": en}


def _dimension_key(dimension: str, group: Any, names: _Names) -> str:
    match dimension:
        case "county":
            return group.county_code
        case "prefecture":
            region = names.regions.get(group.county_code)
            return region.parent_code if region and region.parent_code else group.county_code
        case "supplier":
            return str(group.supplier_id)
        case "product":
            return str(group.product_id)
        case "channel":
            return group.channel
        case "buyer_kind":
            return group.buyer_kind
        case "purchase_type":
            return labels.purchase_type(group.buyer_kind)
        case "certified":
            return "certified" if group.certified else "not_certified"
        case "partner":
            return group.partner_code
        case "location":
            return str(group.location_id)
    raise ValueError(dimension)


def _scope_keys(group: Any) -> dict[str, str | None]:
    return {
        "county": group.county_code,
        "supplier": str(group.supplier_id),
        "partner": group.partner_code if group.partner_code != NO_PARTNER else None,
    }


def compute(
    session: Session, period: str, *, scope: str | None = None, key: str | None = None
) -> list[Statement]:
    """Draft statements of a month (all of them, or of one scope or one scope key); not stored."""
    check_period(period)
    groups = _rollup_groups(session, period, scope, key)
    names = _Names(session, groups)
    scopes: dict[tuple[str, str], _Scope] = defaultdict(_Scope)
    for group in groups:
        values = (
            int(group.sale_fen),
            int(group.refund_fen),
            int(group.sale_qty),
            int(group.refund_qty),
            int(group.commission_fen),
            int(group.entry_count),
        )
        for scope_name, scope_key in _scope_keys(group).items():
            if scope_key is None or (scope is not None and scope_name != scope):
                continue
            acc = scopes[(scope_name, scope_key)]
            if group.sale_period == period:
                acc.current.add(values)
                for dimension in SCOPE_DIMENSIONS[scope_name]:
                    acc.breakdowns[dimension][_dimension_key(dimension, group, names)].add(values)
            else:
                acc.adjustments.add(values)
                acc.adjustment_lines[(group.sale_period, str(group.product_id))].add(values)
    statements = []
    for (scope_name, scope_key), acc in sorted(scopes.items()):
        if key is not None and scope_key != key:
            continue
        statements.append(_statement(period, scope_name, scope_key, acc, names))
    return statements


def _lines(dimension: str, sums: dict[str, _Sums], names: _Names) -> list[dict[str, Any]]:
    lines = [{"key": k, **names.label(dimension, k), **s.line()} for k, s in sums.items()]
    return sorted(lines, key=lambda line: (-line["net_fen"], line["key"]))


def _statement(period: str, scope: str, key: str, acc: _Scope, names: _Names) -> Statement:
    current, adj = acc.current.line(), acc.adjustments.line()
    net = current["net_fen"] + adj["net_fen"]
    commission = current["commission_fen"] + adj["commission_fen"]
    totals = {
        "gross_fen": current["gross_fen"],
        "refunds_fen": current["refunds_fen"],
        "adjustments_fen": adj["net_fen"],
        "net_fen": net,
        "units_sold": acc.current.sold,
        "units_refunded": -acc.current.refunded,
        "units": current["units"] + adj["units"],
        "commission_fen": commission,
        "net_payable_fen": net - commission,
        "entries": acc.current.entries + acc.adjustments.entries,
    }
    county_code, supplier_id, subject = None, None, {}
    if scope == "county":
        county_code = key
        region = names.regions.get(key)
        parent = names.regions.get(region.parent_code) if region and region.parent_code else None
        subject = {"zh": region.name_zh if region else key, "en": region.name_en if region else key}
        if parent is not None:
            subject["prefecture"] = {"code": parent.code, "zh": parent.name_zh, "en": parent.name_en}
    elif scope == "supplier":
        supplier = names.suppliers[int(key)]
        supplier_id, county_code = supplier.id, supplier.county_code
        zh, en = names.region(supplier.county_code)
        subject = {
            "zh": supplier.name_zh,
            "en": supplier.name_en or supplier.name_zh,
            "credit_code": supplier.credit_code,
            "county": {"code": supplier.county_code, "zh": zh, "en": en},
        }
    else:
        zh, en = names.region(key)
        subject = {"zh": zh, "en": en}
    figures = {
        "period": period,
        "scope": scope,
        "key": key,
        "subject": subject,
        "currency": "CNY",
        "totals": totals,
        "breakdowns": {
            dimension: _lines(dimension, acc.breakdowns[dimension], names)
            for dimension in SCOPE_DIMENSIONS[scope]
        },
        "adjustments": [
            {"sale_period": sale_period, "product": product, **names.label("product", product), **s.line()}
            for (sale_period, product), s in sorted(acc.adjustment_lines.items())
        ],
    }
    return Statement(
        period=period,
        scope=scope,
        scope_key=key,
        county_code=county_code,
        supplier_id=supplier_id,
        status="draft",
        figures=figures,
    )
