"""A statement as rows: the one table the CSV and XLSX downloads (and the PDF's tables) share."""

from __future__ import annotations

from typing import Any

from core.clock import local_minute
from sales.statements import labels
from sales.statements.models import Statement

COLUMNS = (
    ("section", "部分"),
    ("key", "代码"),
    ("name_zh", "名称"),
    ("name_en", "Name"),
    ("sale_period", "原销售期间 Sale period"),
    ("gross", "销售总额 Gross"),
    ("refunds", "退款 Refunds"),
    ("net", "净额 Net"),
    ("units", "净销量 Units"),
    ("commission", "佣金 Commission"),
    ("net_payable", "应付 Net payable"),
)
AMOUNTS = ("gross", "refunds", "net", "commission", "net_payable")


def verify_url(base_url: str, statement: Statement) -> str:
    return f"{base_url.rstrip('/')}/verify/{statement.content_hash}"


def header(statement: Statement, base_url: str) -> list[tuple[str, str]]:
    """(label, value) lines that head every document."""
    figures = statement.figures
    subject = figures["subject"]
    zh, en = labels.SCOPES[statement.scope]
    lines = [
        ("对账单 Statement", f"{zh} · {en}"),
        ("对象 Subject", f"{subject['zh']} · {subject['en']} ({statement.scope_key})"),
        ("期间 Period", statement.period),
        ("状态 Status", "已签发 issued" if statement.status == "issued" else "草稿 draft"),
    ]
    if statement.issued_at is not None:
        lines.append(("签发时间 Issued at", f"{local_minute(statement.issued_at)} 北京时间 Beijing time"))
    if statement.content_hash:
        lines.append(("内容哈希 SHA-256", statement.content_hash))
        lines.append(("核验 Verify", verify_url(base_url, statement)))
    return lines


def _amount_row(
    section: str, key: str, zh: str, en: str, line: dict[str, Any], sale_period: str = ""
) -> dict:
    return {
        "section": section,
        "key": key,
        "name_zh": zh,
        "name_en": en,
        "sale_period": sale_period,
        "gross": line.get("gross_fen", 0),
        "refunds": line.get("refunds_fen", 0),
        "net": line["net_fen"],
        "units": line["units"],
        "commission": line["commission_fen"],
        "net_payable": line["net_payable_fen"],
    }


def rows(statement: Statement) -> list[dict[str, Any]]:
    """The statement's figures as rows, amounts in integer fen: totals, breakdowns, adjustments."""
    figures = statement.figures
    totals = figures["totals"]
    out = [_amount_row("total", "", "合计", "Total", totals)]
    out[0]["refunds"] = totals["refunds_fen"]
    out.append(
        {
            "section": "total_adjustments",
            "key": "",
            "name_zh": "以前期间调整",
            "name_en": "Previous-period adjustments",
            "sale_period": "",
            "gross": 0,
            "refunds": totals["adjustments_fen"],
            "net": totals["adjustments_fen"],
            "units": sum(a["units"] for a in figures["adjustments"]),
            "commission": sum(a["commission_fen"] for a in figures["adjustments"]),
            "net_payable": sum(a["net_payable_fen"] for a in figures["adjustments"]),
        }
    )
    for dimension, lines in figures["breakdowns"].items():
        for line in lines:
            out.append(_amount_row(dimension, line["key"], line["zh"], line["en"], line))
    for line in figures["adjustments"]:
        out.append(
            _amount_row("adjustment", line["product"], line["zh"], line["en"], line, line["sale_period"])
        )
    return out
