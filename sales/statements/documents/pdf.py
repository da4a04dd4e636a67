"""The statement as a PDF: an embedded Chinese font, charts of sales by product and by channel,
and a QR code that opens /verify/<hash>. The embedded font is sales/pdf_fonts.py's."""

from __future__ import annotations

import io
from typing import Any

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from core.money import format_fen, format_fen_short
from sales.pdf_fonts import register_font
from sales.pdf_text import heading_with, safe_paragraph
from sales.statements import labels
from sales.statements.documents.tables import header, verify_url
from sales.statements.models import Statement

RED = colors.HexColor("#b3261e")
MUTED = colors.HexColor("#5f6368")
BAR_COLOURS = [colors.HexColor(c) for c in ("#b3261e", "#e07a2f", "#4f7b4a", "#7a5c3e", "#d9a21b", "#8b3a62")]
CHART_TOP = 10


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12)
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=16, leading=20, textColor=RED),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10, leading=13, textColor=MUTED),
        "h2": ParagraphStyle("h2", parent=base, fontSize=11, leading=15, spaceBefore=8, spaceAfter=4),
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=9, textColor=MUTED),
        # A name in a table cell: the table's 8 pt, wrapped within the cell (CJK breaks between characters).
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10, wordWrap="CJK"),
    }


def _qr(url: str, size: float) -> Drawing:
    widget = QrCodeWidget(url, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    return drawing


def bar_chart(title: str, lines: list[dict[str, Any]], font: str, width: float) -> Drawing:
    """A horizontal bar chart of net sales (yuan) of the top lines, labelled in Chinese."""
    top = lines[:CHART_TOP]
    bar_h = 14
    height = 28 + bar_h * max(len(top), 1) + 18
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 12, title, fontName=font, fontSize=10, fillColor=colors.black))
    if not top:
        drawing.add(String(0, height - 30, "无销售 · no sales", fontName=font, fontSize=9, fillColor=MUTED))
        return drawing
    chart = HorizontalBarChart()
    chart.x, chart.y = 150, 18
    chart.width, chart.height = width - 220, bar_h * len(top)
    # Bars from the top: reportlab draws the first category at the bottom.
    ordered = list(reversed(top))
    chart.data = [[max(line["net_fen"], 0) for line in ordered]]  # fen, labelled as yuan
    chart.categoryAxis.categoryNames = [line["zh"][:16] for line in ordered]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = lambda v: format_fen_short(round(v))
    chart.bars[0].fillColor = RED
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = lambda v: format_fen(round(v))
    chart.barLabels.fontName = font
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    return drawing


def _money_table(rows: list[list[str]], font: str, widths: list[float], bold_first: bool = True) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f6f1e8")]),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if bold_first:
        style.append(("TEXTCOLOR", (0, 0), (-1, 0), MUTED))
    table.setStyle(TableStyle(style))
    return table


def _name(text: str, styles: dict[str, ParagraphStyle]) -> Any:
    """A name as a paragraph that wraps in its cell, never into the amounts beside it."""
    return safe_paragraph("{name}", styles["cell"], name=text)


def _breakdown(lines: list[dict[str, Any]], styles: dict[str, ParagraphStyle], width: float) -> Table:
    head = ["名称 Name", "总额 Gross", "退款 Refunds", "净额 Net", "件数 Units", "佣金 Comm.", "应付 Payable"]
    body = [
        [
            _name(line["zh"], styles),
            format_fen(line["gross_fen"]),
            format_fen(line["refunds_fen"]),
            format_fen(line["net_fen"]),
            str(line["units"]),
            format_fen(line["commission_fen"]),
            format_fen(line["net_payable_fen"]),
        ]
        for line in lines
    ]
    first = width - 6 * 62
    return _money_table([head, *body], styles["base"].fontName, [first] + [62] * 6)


def render_pdf(statement: Statement, base_url: str) -> bytes:
    """Render the statement (issued: with its hash and verification QR) as A4 PDF bytes."""
    font = register_font()
    styles = _styles(font)
    figures = statement.figures
    totals = figures["totals"]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=f"{statement.period} {figures['subject']['zh']} 对账单",
        author="dongxi 东西",
    )
    width = doc.width
    zh, en = labels.SCOPES[statement.scope]
    heading = [
        safe_paragraph("{zh}", styles["title"], zh=zh),
        safe_paragraph("{en} · {period}", styles["subtitle"], en=en, period=statement.period),
        Spacer(1, 4),
        safe_paragraph(
            "<b>{zh}</b> · {en}", styles["base"], zh=figures["subject"]["zh"], en=figures["subject"]["en"]
        ),
    ]
    for label, value in header(statement, base_url)[2:]:
        if label.startswith(("内容哈希", "核验")):
            continue
        heading.append(safe_paragraph("{label}：{value}", styles["base"], label=label, value=value))
    if statement.content_hash:
        qr_block: Any = [_qr(verify_url(base_url, statement), 30 * mm)]
    else:
        qr_block = [safe_paragraph("草稿 DRAFT<br/>未签发，不可核验", styles["title"])]
    top = Table([[heading, qr_block]], colWidths=[width - 34 * mm, 34 * mm])
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "RIGHT")]))

    total_rows = [["项目 Item", "金额 Amount"]]
    for key, (tzh, ten) in labels.TOTALS.items():
        value = str(totals[key]) if key == "units" else format_fen(totals[key])
        total_rows.append([f"{tzh} {ten}", value])
    story: list[Any] = [top, Spacer(1, 6)]
    totals_table = _money_table(total_rows, font, [width - 60 * mm, 60 * mm])
    story += heading_with(safe_paragraph("合计 Totals", styles["h2"]), totals_table, width)
    breakdowns = figures["breakdowns"]
    if "product" in breakdowns:
        first_chart = bar_chart("按商品净销售额 Net sales by product (¥)", breakdowns["product"], font, width)
    else:
        first_chart = bar_chart("按原产县净销售额 Net sales by county (¥)", breakdowns["county"], font, width)
    story += heading_with(safe_paragraph("图表 Charts", styles["h2"]), first_chart, width)
    story.append(Spacer(1, 4))
    story.append(bar_chart("按渠道净销售额 Net sales by channel (¥)", breakdowns["channel"], font, width))
    for dimension, lines in breakdowns.items():
        dzh, den = labels.DIMENSIONS[dimension]
        heading = safe_paragraph("按{zh} By {en}", styles["h2"], zh=dzh, en=den.lower())
        story += heading_with(heading, _breakdown(lines, styles, width), width)
    adjustments_heading = safe_paragraph("以前期间调整 Previous-period adjustments", styles["h2"])
    if figures["adjustments"]:
        head = [
            "原销售期间 Sale period",
            "商品 Product",
            "净额 Net",
            "件数 Units",
            "佣金 Comm.",
            "应付 Payable",
        ]
        body = [
            [
                a["sale_period"],
                _name(a["zh"], styles),
                format_fen(a["net_fen"]),
                str(a["units"]),
                format_fen(a["commission_fen"]),
                format_fen(a["net_payable_fen"]),
            ]
            for a in figures["adjustments"]
        ]
        adjustments: Any = _money_table([head, *body], font, [70, width - 70 - 4 * 62] + [62] * 4)
    else:
        adjustments = safe_paragraph("无 None", styles["base"])
    story += heading_with(adjustments_heading, adjustments, width)
    if statement.content_hash:
        story.append(Spacer(1, 8))
        story.append(
            safe_paragraph(
                "扫描二维码或访问以下地址核验本对账单 · Scan the QR code or open this address to verify:"
                "<br/>{url}<br/>SHA-256 {digest}",
                styles["small"],
                url=verify_url(base_url, statement),
                digest=statement.content_hash,
            )
        )

    def footer(canvas: Any, doc_: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 7)
        canvas.setFillColor(MUTED)
        subject = figures["subject"]["zh"]
        subject = subject if len(subject) <= 24 else subject[:23] + "…"  # clear of the hash on the right
        text = f"东西 dongxi · {statement.period} · {subject} · 第 {doc_.page} 页 page"
        canvas.drawString(16 * mm, 9 * mm, text)
        if statement.content_hash:
            canvas.drawRightString(A4[0] - 16 * mm, 9 * mm, f"SHA-256 {statement.content_hash[:16]}…")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
