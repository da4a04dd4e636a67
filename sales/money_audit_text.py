"""The money audit as text: each check with PASS/OWED/FAIL, its figures and the rows that break it
(or, for OWED, the money owed back)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from core.clock import local_minute
from core.money import format_fen
from sales.money_audit import Check, MoneyAudit

# Row fields shown first, in this order; the rest follow as they come.
_FIRST = ("order_id", "refund_id", "period", "scope", "name", "place", "products")


def _value(name: str, value: Any) -> str:
    # PostgreSQL returns arithmetic on SUM()s of fen as Decimal: still a whole number of fen.
    if name.endswith("_fen") and isinstance(value, int | Decimal) and value == int(value):
        return format_fen(int(value))
    if isinstance(value, datetime):
        return f"{local_minute(value)} (Asia/Shanghai)"
    return "—" if value is None else str(value)


def row_text(row: dict[str, Any]) -> str:
    """One offending row on one line: `order_id: …, place: …, captured_fen: ¥12.00, …`."""
    names = [n for n in _FIRST if n in row] + [n for n in row if n not in _FIRST]
    return ", ".join(f"{n}: {_value(n, row[n])}" for n in names)


def check_lines(check: Check, *, label: bool = True) -> list[str]:
    """The lines of one check: verdict (and label), figures, then each offending row."""
    verdict = check.verdict
    lines = [f"  {verdict}  {check.label + '  ' if label else ''}({check.seconds:.2f} s)"]
    info = check.info
    if "ledger_fen" in info and "orders" in info:
        lines.append(
            f"        {info['orders']:,} orders captured {format_fen(info['captured_fen'])}"
            f" − refunded {format_fen(info['refunded_fen'])} · ledger {format_fen(info['ledger_fen'])}"
        )
    for month in info.get("months", []):
        state = "已出账 issued" if month["issued"] else "未出账 open (drafts)"
        lines.append(
            f"        {month['period']} {state}: ledger {format_fen(month['ledger_fen'])}"
            f" · county {format_fen(month['county_fen'])} · supplier {format_fen(month['supplier_fen'])}"
            f" · partner {format_fen(month['partner_fen'])}"
            f" (ledger with a partner {format_fen(month['partner_ledger_fen'])})"
        )
    if info.get("owed_fen"):
        lines.append(f"        owed back {format_fen(info['owed_fen'])}")
    mark = "!" if not check.passed else "·"  # an owed row is listed, not an error
    for row in check.rows:
        lines.append(f"    {mark} {row_text(row)}")
    if check.count > len(check.rows):
        lines.append(f"    … and {check.count - len(check.rows):,} more ({check.count:,} in all)")
    return lines


def summary_line(result: MoneyAudit) -> str:
    """The verdict of the whole run."""
    failed = [c for c in result.checks if not c.passed]
    scope = result.period or "all months"
    at = f"{local_minute(result.at)} (Asia/Shanghai)"
    owing = [c.code for c in result.checks if c.verdict == "OWED"]
    if not failed:
        tail = f"; owed back, recorded: {', '.join(owing)}" if owing else ""
        return f"全部通过 all {len(result.checks)} checks PASS ({scope}, {at}){tail}"
    return f"未通过 {len(failed)} of {len(result.checks)} checks FAIL ({scope}, {at}): " + ", ".join(
        c.code for c in failed
    )
