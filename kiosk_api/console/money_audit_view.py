"""The money audit for people: each check's rows as labelled cells (¥ yuan, 北京时间, names, order
links) for the console page, and as CSV for the auditor's evidence. Only presentation: the checks
themselves are sales.money_audit's, run once per request."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import labels
from core.cells import safe_cell
from core.clock import SHANGHAI
from core.money import format_fen
from inventory.models import Location
from kiosk_api.template_filters import beijing_time
from sales.models import RevenueEntry
from sales.money_audit import MAX_ROWS, Check, MoneyAudit
from sales.statements.models import StatementPeriod

# The checks that read one month (or every month); the others always cover every order.
MONTHLY = frozenset({"statements_match_ledger", "rollup_matches_ledger"})

SOURCES = {"bank_transfers": ("银行转账到账", "Bank transfers"), "payments": ("支付记录", "Payments")}
SCOPES = {
    "county": ("原产县", "County"),
    "supplier": ("供应商", "Supplier"),
    "partner": ("东部协作城市", "Eastern partner"),
    "month": ("月合计", "Month total"),
}
CODES: dict[str, dict[str, tuple[str, str]]] = {
    "status": labels.ORDER_STATUSES,
    "provider": labels.PROVIDERS,
    "source": SOURCES,
    "scope": SCOPES,
    "kind": labels.REFUND_KINDS,
    "channel": labels.CHANNELS,
    "reason": labels.STOCK_REASONS,  # a refund's reason is free text, or a reason code (damaged, lost…)
}

# Row fields: (中文, English) header. Amounts end in _fen; fields not listed show under their own
# name, so a check added to sales.money_audit still renders (and downloads) in full.
COLUMNS: dict[str, tuple[str, str]] = {
    "order_id": ("订单", "Order"),
    "refund_id": ("退款编号", "Refund no."),
    "period": ("期间", "Period"),
    "sale_period": ("销售期间", "Sale period"),
    "scope": ("对象", "Scope"),
    "name": ("名称", "Name"),
    "county": ("原产县", "County"),
    "supplier": ("供应商", "Supplier"),
    "product": ("商品", "Product"),
    "channel": ("渠道", "Channel"),
    "partner": ("东部协作城市", "Eastern partner"),
    "location_id": ("销售网点", "Place"),
    "place": ("销售网点", "Place"),
    "products": ("商品", "Products"),
    "status": ("订单状态", "Order status"),
    "provider": ("支付渠道", "Provider"),
    "source": ("来源", "Source"),
    "reason": ("原因", "Reason"),
    "created_at": ("申请时间", "Requested"),
    "issued": ("已出账", "Issued"),
    "total_fen": ("订单金额", "Order total"),
    "captured_fen": ("实收", "Captured"),
    "refunded_fen": ("已退", "Refunded"),
    "payments_captured_fen": ("支付记录实收", "Captured by payments"),
    "refund_records_fen": ("退款记录合计", "Refund records"),
    "received_fen": ("已收", "Received"),
    "overpaid_fen": ("多付", "Overpaid"),
    "amount_fen": ("金额", "Amount"),
    "sales_fen": ("销售分录", "Sale entries"),
    "ledger_fen": ("收入分录", "Revenue entries"),
    "statements_fen": ("对账单", "Statements"),
    "county_fen": ("县对账单合计", "County statements"),
    "supplier_fen": ("供应商对账单合计", "Supplier statements"),
    "partner_fen": ("合作方汇总合计", "Partner summaries"),
    "partner_ledger_fen": ("有合作方的分录", "Entries with a partner"),
    "ledger_sale_fen": ("台账销售", "Ledger sales"),
    "rollup_sale_fen": ("汇总表销售", "Rollup sales"),
    "ledger_refund_fen": ("台账退款", "Ledger refunds"),
    "rollup_refund_fen": ("汇总表退款", "Rollup refunds"),
    "ledger_entry_count": ("台账分录数", "Ledger entries"),
    "rollup_entry_count": ("汇总表分录数", "Rollup entries"),
    "difference_fen": ("差额", "Difference"),
    "returned_fen": ("已退还", "Returned"),
    "owed_fen": ("应退", "Owed"),
    "unrecorded_fen": ("未登记退还", "No return recorded"),
    "kind": ("类型", "Kind"),
    "hold_fen": ("预授权 / 押金", "Hold or deposit"),
    "authorized_at": ("开门时间", "Door opened"),
}
# On the page a name stands for its id (the CSV keeps both).
HIDDEN_ON_PAGE = frozenset({"key"})


@dataclass
class Cell:
    text: str
    href: str | None = None
    title: str | None = None
    numeric: bool = False
    negative: bool = False


@dataclass
class Table:
    """Rows of one shape: a check's rows are grouped by the fields they carry (the statements check
    lists statements that differ, and month totals that do not add up, in two tables)."""

    columns: list[tuple[str, str, str]]  # (field, 中文, English)
    rows: list[list[Cell]] = field(default_factory=list)


@dataclass
class CheckView:
    """One check as the page shows it."""

    check: Check
    number: int
    scope: tuple[str, str]
    tables: list[Table] = field(default_factory=list)
    figures: list[tuple[str, str, str]] = field(default_factory=list)  # (中文, English, value)
    months: list[dict[str, Any]] = field(default_factory=list)

    @property
    def more(self) -> int:
        """Offending rows not listed (beyond MAX_ROWS)."""
        return max(self.check.count - len(self.check.rows), 0)


def _fields(rows: list[dict[str, Any]]) -> list[str]:
    """The fields of a check's rows: the known ones in COLUMNS order, then any others as they come."""
    seen: list[str] = []
    for row in rows:
        seen += [k for k in row if k not in seen]
    order = list(COLUMNS)
    return sorted((k for k in seen if k in COLUMNS), key=order.index) + [k for k in seen if k not in COLUMNS]


def _places(session: Session, rows: list[dict[str, Any]]) -> dict[int, str]:
    ids = {r["location_id"] for r in rows if isinstance(r.get("location_id"), int)}
    if not ids:
        return {}
    found = session.execute(select(Location.id, Location.code, Location.name_zh).where(Location.id.in_(ids)))
    return {i: f"{code} {name}" for i, code, name in found}


def _whole(value: Any) -> int | None:
    """An amount or count as an int: PostgreSQL returns SUM() of integer columns as Decimal."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return None


def _cell(name: str, value: Any, places: dict[int, str], order_url: Callable[[str], str]) -> Cell:
    if value is None:
        return Cell("—")
    if name == "order_id":
        return Cell(str(value)[:8], href=order_url(str(value)), title=str(value))
    whole = _whole(value)
    if name.endswith("_fen") and whole is not None:
        return Cell(format_fen(whole), numeric=True, negative=whole < 0)
    if name.endswith("_count") and whole is not None:
        return Cell(f"{whole:,}", numeric=True)
    if isinstance(value, datetime):
        return Cell(beijing_time(value))
    if isinstance(value, bool):
        return Cell("是 yes" if value else "否 no")
    if name == "location_id":
        return Cell(places.get(value, str(value)))
    if name in CODES:
        zh, en = CODES[name].get(str(value), (str(value), ""))
        return Cell(f"{zh} {en}".strip() if en and en != zh else zh)
    return Cell(str(value))


def _figures(check: Check) -> list[tuple[str, str, str]]:
    info = check.info
    if "orders" not in info:
        return []
    return [
        ("已收款订单", "Orders with money captured", f"{info['orders']:,}"),
        ("实收合计", "Captured", format_fen(info["captured_fen"])),
        ("退款合计", "Refunded", format_fen(info["refunded_fen"])),
        ("收入分录合计", "Revenue entries", format_fen(info["ledger_fen"])),
    ]


def present(session: Session, result: MoneyAudit, order_url: Callable[[str], str]) -> list[CheckView]:
    """Every check of one run, its rows as labelled cells."""
    views = []
    for number, check in enumerate(result.checks, start=1):
        monthly = check.code in MONTHLY
        if not monthly:
            scope = ("全部订单", "all orders")
        elif result.period:
            scope = (result.period, result.period)
        else:
            scope = ("全部月份", "all months")
        view = CheckView(check, number, scope, figures=_figures(check), months=check.info.get("months", []))
        places = _places(session, check.rows)
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in check.rows:
            shapes.setdefault(tuple(row), []).append(row)
        for rows in shapes.values():
            names = [f for f in _fields(rows) if f not in HIDDEN_ON_PAGE]
            table = Table([(f, *COLUMNS.get(f, (f, ""))) for f in names])
            table.rows = [[_cell(f, row.get(f), places, order_url) for f in names] for row in rows]
            view.tables.append(table)
        views.append(view)
    return views


def _csv_value(name: str, value: Any) -> str:
    if value is None:
        return ""
    whole = _whole(value)
    if name.endswith("_fen") and whole is not None:
        return format_fen(whole, symbol=False, grouping=False)
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).isoformat(timespec="seconds")
    if isinstance(value, bool):
        return "1" if value else "0"
    # Only text can be a name someone typed; an int or Decimal written as "-3" stays a number.
    return safe_cell(value) if isinstance(value, str) else str(value)


def render_csv(session: Session, result: MoneyAudit) -> bytes:
    """The failing rows of every check (UTF-8 with BOM): header lines, a blank line, then one row
    per offending row with its check, amounts in yuan, times in Asia/Shanghai (+08:00)."""
    failing = [c for c in result.checks if not c.passed]
    rows = [(c, r) for c in failing for r in c.rows]
    names = _fields([r for _c, r in rows])
    if "location_id" in names:
        names.insert(names.index("location_id") + 1, "location_name")
    places = _places(session, [r for _c, r in rows])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    verdict = "全部通过 PASS" if result.passed else f"未通过 FAIL: {len(failing)} / {len(result.checks)}"
    writer.writerow(["资金核查 Money audit", "dongxi audit money"])
    writer.writerow(["期间 Period", result.period or "全部月份 all months"])
    run_at = result.at.astimezone(SHANGHAI).isoformat(timespec="seconds")
    writer.writerow(["核查时间 Run at (Asia/Shanghai)", run_at])
    writer.writerow(["结果 Result", verdict])
    writer.writerow(["每项最多列出 Rows listed per check at most", MAX_ROWS])
    for c in failing:
        writer.writerow([f"{c.label_zh} {c.label_en}", f"不符 {c.count} rows"])
    writer.writerow([])
    header = ["check", "check_label", *names]
    zh = {"check": "检查", "check_label": "检查项", "location_name": "销售网点名称"}
    writer.writerow([zh.get(n) or COLUMNS.get(n, (n, ""))[0] for n in header])
    writer.writerow(header)
    for check, row in rows:
        cells = []
        for n in names:
            if n == "location_name":
                place = places.get(row.get("location_id"), "") if row.get("location_id") else ""
                cells.append(safe_cell(place))
            else:
                cells.append(_csv_value(n, row.get(n)))
        writer.writerow([check.code, check.label_zh, *cells])
    return ("\ufeff" + out.getvalue()).encode()


def months_with_sales(session: Session) -> list[str]:
    """The months the ledger has entries in (or statements were issued for), newest first."""
    found = set(session.scalars(select(RevenueEntry.period).distinct()))
    found |= set(session.scalars(select(StatementPeriod.period)))
    return sorted(found, reverse=True)
