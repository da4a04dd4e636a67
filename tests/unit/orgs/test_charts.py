"""The quota charts are well-formed SVG with every month, and escape what they print."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from kiosk_api.storefront.charts import county_chart, quota_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_quota_chart_has_a_bar_per_month_and_the_quota_line() -> None:
    months = [0] * 10 + [120_000, 5_000]
    svg = ET.fromstring(
        str(quota_chart(months, 300_000, month_labels=[str(m) for m in range(1, 13)], title="t"))
    )
    bars = svg.findall(f"{SVG}rect")
    assert len(bars) == 12
    heights = [float(b.get("height")) for b in bars]
    assert heights[:10] == [0.0] * 10 and 0 < heights[10] < heights[11]  # cumulative
    assert "¥3,000.00" in "".join(svg.itertext())


def test_county_chart_escapes_labels_and_is_empty_without_rows() -> None:
    assert str(county_chart([], title="t")) == ""
    svg = str(county_chart([("<普安县>", 1000), ("龙井市", 500)], title="t"))
    assert "&lt;普安县&gt;" in svg and ET.fromstring(svg) is not None
