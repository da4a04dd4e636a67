"""PDFs for organizations: the certificate of consumption assistance (and, in sales.invoice_pdf with
the helpers here, the pro-forma invoice).

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
from sales.pdf_text import heading_with, safe_paragraph

RED = colors.HexColor("#b3261e")
WIDTH = A4[0] - 36 * mm  # the frame's width between the 18 mm margins


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
        leftMargin=18 * mm,  # WIDTH
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
    """The certificate of consumption assistance as a PDF, with a QR code to its verification page.

    It certifies what the ledger shows: the amount, and the counties and suppliers it went to. It
    does not say how many households the unit helped, because no data says so: a supplier's
    `households_linked` is the count of farming households it registers as linked to it (利益联结),
    whatever anyone buys. So the certificate prints their sum as exactly that, "涉及供应商带动农户 N 户
    （供应商登记数，非本单位帮扶户数）", never as households "helped" (带动/帮扶) by the unit. (A household
    linked to two suppliers is in both their counts; the figures cannot tell.)"""
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
            "合计金额 <b>{total}</b>，涉及 {counties} 个原产县、{suppliers} 家供应商。",
            s["big"],
            **counts,
        ),
        safe_paragraph(
            "This certifies purchases of {total} in {year} from {counties} paired counties and {suppliers} "
            "suppliers.",
            s["small"],
            **counts,
        ),
        safe_paragraph(
            "涉及供应商带动农户 {households} 户（供应商登记数，非本单位帮扶户数）。"
            "The suppliers bought from register {households} linked farming households (利益联结) in "
            "all: their own figure, not households this unit helped.",
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
                ["供应商登记带动农户 Households the suppliers register", str(figures["households_linked"])],
            ],
            [100 * mm, 70 * mm],
            right=(1,),
        ),
        *heading_with(
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
            WIDTH,
        ),
        *heading_with(
            safe_paragraph("采购涉及供应商 Suppliers bought from", s["h2"]),
            _table(
                [["供应商 Supplier", "县 County", "登记带动农户 Registered", "金额 Amount"]]
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
            WIDTH,
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
