"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, readable on a phone and in print."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from core.money import format_fen, format_fen_short

RED = "#b3261e"
GREY = "#9e9e9e"
MUTED = "#5f6368"


def quota_chart(
    months: Sequence[int], quota_fen: int | None, *, month_labels: Sequence[str], title: str
) -> Markup:
    """Purchases so far, month by month (cumulative bars), against the quota spread over the year."""
    width, height, left, bottom, top = 460, 240, 58, 26, 14
    cumulative, running = [], 0
    for amount in months:
        running += amount
        cumulative.append(running)
    scale_top = max([quota_fen or 0, *cumulative, 1])
    plot_w, plot_h = width - left - 12, height - bottom - top
    step = plot_w / 12

    def y(fen: int) -> float:
        return top + plot_h - plot_h * max(fen, 0) / scale_top

    parts = [
        f'<svg class="sf-chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">',
        f"<title>{escape(title)}</title>",
    ]
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        value = int(scale_top * fraction)
        parts.append(
            f'<line x1="{left}" x2="{width - 12}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#e5e5e5"/>'
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" font-size="12" text-anchor="end" fill="{MUTED}">'
            f"{escape(format_fen_short(value))}</text>"
        )
    for i, (total, amount) in enumerate(zip(cumulative, months, strict=True)):
        x = left + i * step + step * 0.15
        bar_h = top + plot_h - y(total)
        parts.append(
            f'<rect x="{x:.1f}" y="{y(total):.1f}" width="{step * 0.7:.1f}" height="{bar_h:.1f}" '
            f'fill="{RED}" opacity="{1 if amount else 0.55}">'
            f"<title>{escape(month_labels[i])}: +{escape(format_fen(amount))}"
            f" → {escape(format_fen(total))}</title>"
            "</rect>"
            f'<text x="{x + step * 0.35:.1f}" y="{height - 8}" font-size="13" text-anchor="middle" '
            f'fill="{MUTED}">{escape(month_labels[i])}</text>'
        )
    if quota_fen:
        parts.append(
            f'<line x1="{left}" y1="{y(0):.1f}" x2="{left + plot_w:.1f}" y2="{y(quota_fen):.1f}" '
            f'stroke="{GREY}" stroke-width="2" stroke-dasharray="6 4"/>'
            f'<line x1="{left}" x2="{left + plot_w:.1f}" y1="{y(quota_fen):.1f}" y2="{y(quota_fen):.1f}" '
            f'stroke="{GREY}" stroke-width="1"/>'
            f'<text x="{left + 4}" y="{y(quota_fen) - 4:.1f}" font-size="12" fill="{MUTED}">'
            f"{escape(format_fen(quota_fen))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def county_chart(rows: Sequence[tuple[str, int]], *, title: str) -> Markup:
    """Horizontal bars of purchases per county, largest first."""
    if not rows:
        return Markup("")
    width, row_h, label_w = 460, 34, 104
    height = row_h * len(rows) + 8
    largest = max(max(amount for _label, amount in rows), 1)
    parts = [
        f'<svg class="sf-chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, amount) in enumerate(rows):
        y = 4 + i * row_h
        bar_w = (width - label_w - 96) * max(amount, 0) / largest
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 22}" font-size="16" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 6}" width="{bar_w:.1f}" height="{row_h - 12}" rx="3" fill="{RED}"/>'
            f'<text x="{label_w + bar_w + 6:.1f}" y="{y + 21}" font-size="14" fill="{MUTED}">'
            f"{escape(format_fen(amount))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
