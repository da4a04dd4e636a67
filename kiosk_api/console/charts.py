"""Charts drawn on the server as SVG: no script, no CDN, readable on a phone."""

from __future__ import annotations

from markupsafe import Markup, escape

from core.money import format_fen

COLOURS = ("#b3261e", "#e07a2f", "#4f7b4a", "#7a5c3e", "#d9a21b", "#8b3a62", "#3f6e8c", "#6b8e23")


def bar_chart(title: str, items: list[tuple[str, int]], *, limit: int = 12) -> Markup:
    """A horizontal bar chart of amounts in fen, largest first, as inline SVG."""
    items = sorted(items, key=lambda kv: -kv[1])[:limit]
    row, label_w, value_w, width = 30, 112, 96, 440
    height = 36 + row * max(len(items), 1)
    peak = max([v for _, v in items if v > 0] or [1])
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
    ]
    if not items:
        parts.append('<text x="0" y="46" class="chart-empty">暂无销售 · no sales yet</text>')
    span = width - label_w - value_w
    for i, (label, value) in enumerate(items):
        y = 28 + i * row
        bar = max(int(span * max(value, 0) / peak), 1)
        colour = COLOURS[i % len(COLOURS)]
        short = label if len(label) <= 7 else label[:6] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 18}" text-anchor="end" class="chart-label">'
            f"{escape(short)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{bar}" height="{row - 8}" rx="3" fill="{colour}">'
            f"<title>{escape(label)}: {format_fen(value)}</title></rect>"
            f'<text x="{label_w + bar + 5}" y="{y + 18}" class="chart-value">{format_fen(value)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
