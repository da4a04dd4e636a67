"""The pro-forma invoice (形式发票) of a bulk order: what is owed, in figures and in Chinese capitals,
to whom, with which reference, and by when (the order's expiry, in Beijing time)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from core.clock import local_minute
from core.money import fen_in_capitals, format_fen
from sales.org_pdf import _build, _local, _styles, _table
from sales.pdf_text import safe_paragraph


def _payment_deadline(summary: dict[str, Any], style: ParagraphStyle) -> Flowable:
    """When the money is due: the order's expiry, the end of the stock held for it on approval
    (sales.bulk.BULK_HOLD, 7 days), in Beijing time; a paid order owes nothing."""
    due = summary["expires_at"]
    if summary["outstanding_fen"] == 0:
        return safe_paragraph("付款期限 Payment due：已付清 Paid in full", style)
    if summary["status"] == "cancelled":
        return safe_paragraph("订单已取消，请勿汇款 The order is cancelled: please do not transfer", style)
    if due is None:  # not approved, so nothing held and no deadline (the invoice is refused then)
        return Spacer(1, 0)
    text = (
        "付款期限 Pay by：<font color='#b3261e'><b>{at} 北京时间</b></font> Beijing time"
        "（逾期未到账，订单失效、预留库存释放 unpaid by then, the order lapses and its stock is released）"
    )
    if summary["status"] == "expired":
        text = (
            "付款期限 Pay by：{at} 北京时间 Beijing time，<b>已逾期 passed</b>："
            "预留库存已释放，此后到账如库存仍在照常发货，否则退款 "
            "paid later, it ships if the stock is still there, else the money is returned"
        )
    return safe_paragraph(text, style, at=local_minute(due))


def render_invoice(
    summary: dict[str, Any],
    *,
    organization: dict[str, Any],
    buyer: dict[str, str],
    lines: list[dict[str, Any]],
    payee: dict[str, str],
    issued_at: datetime,
) -> bytes:
    """The pro-forma invoice (形式发票) of a bulk order: what is owed, to whom, with which reference."""
    s = _styles()
    story: list[Flowable] = [
        safe_paragraph("形式发票", s["title"]),
        safe_paragraph("Pro-forma invoice · 以购代捐 Buy instead of donate", s["subtitle"]),
        Spacer(1, 5 * mm),
        safe_paragraph(
            "单号 Number：{number}　日期 Date：{at}",
            s["base"],
            number=summary["number"],
            at=_local(issued_at),
        ),
        safe_paragraph("购买单位 Organization：{name}", s["base"], name=organization["name_zh"]),
        safe_paragraph(
            "发票抬头 Invoice title：{title}　税号 Tax id：{tax_id}",
            s["base"],
            title=buyer["invoice_title"],
            tax_id=buyer["tax_id"],
        ),
        safe_paragraph(
            "收货 Delivery：{name}　{phone}　{address}",
            s["base"],
            name=buyer["contact_name"],
            phone=buyer["phone"],
            address=buyer["address"],
        ),
        Spacer(1, 4 * mm),
        _table(
            [["#", "品名 Product", "原产县 County", "数量 Qty", "单价 Price", "金额 Amount"]]
            + [
                [
                    str(i),
                    safe_paragraph(
                        "{name}<br/><font size=7>{sku}</font>",
                        s["base"],
                        name=line["name_zh"],
                        sku=line["sku"],
                    ),
                    line["county_zh"],
                    str(line["qty"]),
                    format_fen(line["unit_price_fen"]),
                    format_fen(line["line_total_fen"]),
                ]
                for i, line in enumerate(lines, 1)
            ]
            + [["", "合计 Total", "", "", "", format_fen(summary["total_fen"])]],
            [8 * mm, 62 * mm, 30 * mm, 18 * mm, 24 * mm, 28 * mm],
            right=(3, 4, 5),
        ),
        Spacer(1, 2 * mm),
        safe_paragraph(
            "合计金额（大写）Total in capitals：<b>人民币{capitals}</b>",
            s["base"],
            capitals=fen_in_capitals(summary["total_fen"]),
        ),
        Spacer(1, 4 * mm),
        safe_paragraph(
            "已到账 Received：{amount}",
            s["base"],
            amount=format_fen(summary["transferred_fen"] or summary["captured_fen"]),
        ),
        safe_paragraph(
            "待付 Outstanding：<b>{amount}</b>　大写：人民币{capitals}",
            s["big"],
            amount=format_fen(summary["outstanding_fen"]),
            capitals=fen_in_capitals(summary["outstanding_fen"]),
        ),
        _payment_deadline(summary, s["base"]),
        safe_paragraph("汇款信息 Bank transfer", s["h2"]),
        safe_paragraph("收款单位 Payee：{name}", s["base"], name=payee["name"]),
        safe_paragraph(
            "开户行 Bank：{bank}　账号 Account：{account}",
            s["base"],
            bank=payee["bank"],
            account=payee["account"],
        ),
        safe_paragraph(
            "汇款附言请注明 Reference：<b>{number}</b>（可分次汇款 partial transfers add up）",
            s["base"],
            number=summary["number"],
        ),
        Spacer(1, 5 * mm),
        safe_paragraph(
            "本形式发票仅供付款，不作为报销凭证；正式发票于收款后开具。"
            "This pro-forma invoice is for payment only, not a tax invoice (fapiao).",
            s["small"],
        ),
    ]
    return _build(story, f"形式发票 {summary['number']}")
