"""A statement PDF's layout (issue 15): a long cooperative name wraps in its cell instead of running
into the amounts beside it, and no heading is left alone at the foot of a page."""

from __future__ import annotations

from datetime import datetime

import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth
from sqlalchemy import select

from catalogue.models import Product
from core.clock import SHANGHAI
from sales.pdf_fonts import register_font
from sales.statements import labels
from tests.integration.statements.factories import make_month
from tests.pdf_pages import page_lines, save_pages, text_runs

AFTER_OCTOBER = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
# 60 characters, as long as real cooperatives' registered names run.
LONG_NAME = (
    "宁夏回族自治区固原市原州区六盘山生态马铃薯与小杂粮种植加工销售"
    "农民专业合作社联合社东西部协作消费帮扶示范基地（福州结对）"
)
HEADINGS = {"合计 Totals", "图表 Charts", "以前期间调整 Previous-period adjustments"} | {
    f"按{zh} By {en.lower()}" for zh, en in labels.DIMENSIONS.values()
}


@pytest.fixture
def long_name_month(session, clock, client, auth):  # type: ignore[no-untyped-def]
    """October 2026 sold and issued, one supplier named with 60 characters; returns (the county
    statement that lists that supplier, the supplier's own statement)."""
    assert len(LONG_NAME) == 60
    supplier = session.scalars(select(Product).where(Product.active).order_by(Product.id)).first().supplier
    supplier.name_zh = LONG_NAME
    make_month(session, clock, datetime(2026, 10, 1, tzinfo=SHANGHAI), orders=40, seed=11)
    session.commit()
    clock.set(AFTER_OCTOBER)
    assert client.post("/api/v1/statements/2026-10/issue", headers=auth("admin")).status_code == 200
    statements = client.get("/api/v1/statements?period=2026-10", headers=auth("admin")).get_json()
    own = next(s for s in statements if s["scope"] == "supplier" and s["key"] == str(supplier.id))
    county = next(s for s in statements if s["scope"] == "county" and s["key"] == supplier.county_code)
    return county, own


def _pdf(client, auth, statement: dict) -> bytes:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/statements/{statement['id']}.pdf", headers=auth("admin"))
    assert response.status_code == 200
    return response.data


def test_a_long_supplier_name_wraps_in_its_cell_clear_of_the_amounts(client, auth, long_name_month) -> None:
    county, _own = long_name_month
    body = _pdf(client, auth, county)
    save_pages(body, "statement-long-supplier-name")
    runs = text_runs(body)
    font = register_font()
    gross = next(r for r in runs if r.text.startswith("总额 Gross"))  # the first amount column's header
    # Its cell's left edge: the header is right-aligned in a 62 pt column, less the 6 pt padding.
    column_left = gross.x + stringWidth(gross.text, font, gross.size) + 6 - 62
    name_runs = [r for r in runs if r.text and r.text in LONG_NAME and len(r.text) >= 4]
    rows = [r for r in name_runs if r.page == name_runs[0].page and abs(r.x - name_runs[0].x) < 1]
    first_line = next(i for i, r in enumerate(rows) if LONG_NAME.startswith(r.text))
    lines = []
    for run in rows[first_line:]:
        lines.append(run)
        if len("".join(r.text for r in lines)) >= len(LONG_NAME):
            break
    assert "".join(r.text for r in lines) == LONG_NAME, [r.text for r in rows]
    assert len(lines) >= 2  # wrapped, in full: nothing cut off
    assert len({r.y for r in lines}) == len(lines)  # one line below the other
    for line in lines:
        assert line.x + stringWidth(line.text, font, line.size) < column_left, (line, column_left)


def test_the_suppliers_own_statement_prints_its_long_name_whole(client, auth, long_name_month) -> None:
    _county, own = long_name_month
    body = _pdf(client, auth, own)
    save_pages(body, "statement-long-name-supplier")
    text = "".join("".join(lines) for lines in page_lines(body)).replace(" ", "")
    assert LONG_NAME in text


def test_no_heading_is_left_alone_at_a_page_foot(client, auth, long_name_month) -> None:
    for statement in long_name_month:
        pages = page_lines(_pdf(client, auth, statement))
        assert len(pages) >= 2  # the test means something only across a page break
        for lines in pages:
            # The footer is drawn first on each page; the last line of what flows is the page's foot.
            foot = [line for line in lines if not line.startswith("东西 dongxi")]
            assert foot and foot[-1] not in HEADINGS, foot[-3:]
