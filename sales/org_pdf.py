"""PDFs for organizations: the certificate of consumption assistance and the pro-forma invoice.

Chinese text is set in WenQuanYi Micro Hei (Debian package fonts-wqy-microhei), embedded as a
subset, so the PDFs read the same on any machine and their text can be extracted.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, SimpleDocTemplate, Spacer, Table, TableStyle

from core.clock import SHANGHAI
from core.money import format_fen
from sales.org_models import ORG_KINDS
from sales.pdf_fonts import register_font
from sales.pdf_text import safe_paragraph

RED = colors.HexColor("#b3261e")


def _styles() -> dict[str, ParagraphStyle]:
    font = register_font()
    base = ParagraphStyle("base", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    return {
        "base": base,
        "small": ParagraphStyle(
            "small", parent=base, fontSize=8, leading=11, textColor=colors.HexColor("#555555")
        ),
        "title": ParagraphStyle("title", parent=base, fontSize=20, leading=26, alignment=1, textColor=RED),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=11, leading=15, alignment=1),
        "h2": ParagraphStyle("h2", parent=base, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4),
        "big": ParagraphStyle("big", parent=base, fontSize=13, leading=20),
    }


def _table(rows: Sequence[Sequence[Any]], widths: Sequence[float], *, right: Sequence[int] = ()) -> Table:
    table = Table(rows, colWidths=list(widths), repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, -1), register_font(), 9),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3ece2")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#999999")),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#dddddd")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    style += [("ALIGN", (c, 0), (c, -1), "RIGHT") for c in right]
    table.setStyle(TableStyle(style))
    return table


def _qr(payload: str, size: float = 32 * mm) -> Flowable:
    widget = QrCodeWidget(payload, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def _local(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d")


def _build(story: list[Flowable], title: str) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
        author="dongxi 东西 · 消费帮扶",
    )
    doc.build(story)
    return buffer.getvalue()


def render_certificate(
    figures: dict[str, Any], *, verify_url: str, content_hash: str, issued_at: datetime
) -> bytes:
    """The certificate of consumption assistance as a PDF, with a QR code to its verification page."""
    s = _styles()
    org, year = figures["organization"], figures["year"]
    kind_zh, kind_en = ORG_KINDS[org["kind"]][1:]
    total = format_fen(figures["total_fen"])
    counts = {
        "year": year,
        "total": total,
        "counties": len(figures["counties"]),
        "suppliers": len(figures["suppliers"]),
        "households": figures["households_linked"],
    }
    story: list[Flowable] = [
        safe_paragraph("消费帮扶证明", s["title"]),
        safe_paragraph("Certificate of Consumption Assistance · East–West Cooperation", s["subtitle"]),
        Spacer(1, 6 * mm),
        safe_paragraph("单位 Organization：{zh}　{en}", s["base"], zh=org["name_zh"], en=org["name_en"]),
        safe_paragraph(
            "类型 Kind：{kind_zh} {kind_en}　统一社会信用代码：{code}",
            s["base"],
            kind_zh=kind_zh,
            kind_en=kind_en,
            code=org["credit_code"],
        ),
        safe_paragraph("年度 Year：{year}　截至 As of：{at}", s["base"], year=year, at=_local(issued_at)),
        Spacer(1, 4 * mm),
        safe_paragraph(
            "兹证明该单位于 {year} 年度通过东西部协作消费帮扶渠道购买结对地区产品，"
            "合计金额 <b>{total}</b>，带动 {counties} 个原产县、"
            "{suppliers} 家供应商（联农带农 {households} 户）。",
            s["big"],
            **counts,
        ),
        safe_paragraph(
            "This certifies purchases of {total} in {year} from {counties} paired "
            "counties and {suppliers} suppliers linked with {households} households.",
            s["small"],
            **counts,
        ),
        Spacer(1, 3 * mm),
        _table(
            [
                ["项目 Item", "金额 / 数量 Amount"],
                ["合计 Total", total],
                ["单位采购 Bulk purchases (采购)", format_fen(figures["bulk_fen"])],
                ["职工帮销 Members' own purchases (帮销)", format_fen(figures["members_fen"])],
                ["其中认定产品 Certified products", format_fen(figures["certified_fen"])],
                ["订单数 Orders", str(figures["orders"])],
                ["联农带农户数 Households linked", str(figures["households_linked"])],
            ],
            [100 * mm, 70 * mm],
            right=(1,),
        ),
        safe_paragraph("帮扶原产县 Counties helped", s["h2"]),
        _table(
            [["原产县 County", "市/州 Prefecture", "金额 Amount"]]
            + [
                [f"{c['name_zh']} {c['name_en']}", c["prefecture_zh"], format_fen(c["amount_fen"])]
                for c in figures["counties"]
            ],
            [80 * mm, 50 * mm, 40 * mm],
            right=(2,),
        ),
        safe_paragraph("帮扶供应商 Suppliers helped", s["h2"]),
        _table(
            [["供应商 Supplier", "县 County", "带动农户 Households", "金额 Amount"]]
            + [
                [
                    safe_paragraph("{name}", s["base"], name=s_["name_zh"]),
                    s_["county_zh"],
                    str(s_["households_linked"]),
                    format_fen(s_["amount_fen"]),
                ]
                for s_ in figures["suppliers"]
            ],
            [80 * mm, 30 * mm, 30 * mm, 30 * mm],
            right=(2, 3),
        ),
        Spacer(1, 6 * mm),
        Table(
            [
                [
                    _qr(verify_url),
                    [
                        safe_paragraph("扫码核验 Scan to verify", s["h2"]),
                        safe_paragraph("{url}", s["small"], url=verify_url),
                        safe_paragraph("核验码 Hash: {digest}", s["small"], digest=content_hash),
                        safe_paragraph(
                            "金额取自收入台账（已扣除退款）。"
                            "Figures are from the revenue ledger, net of refunds.",
                            s["small"],
                        ),
                    ],
                ]
            ],
            colWidths=[36 * mm, 134 * mm],
            style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]),
        ),
    ]
    return _build(story, f"消费帮扶证明 {org['name_zh']} {year}")


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
        Spacer(1, 4 * mm),
        safe_paragraph(
            "已到账 Received：{amount}",
            s["base"],
            amount=format_fen(summary["transferred_fen"] or summary["captured_fen"]),
        ),
        safe_paragraph("待付 Outstanding：{amount}", s["big"], amount=format_fen(summary["outstanding_fen"])),
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
