"""The bulk-order form as a unit's buyer uses it: each product's stock beside it, a filter box that
narrows 40 rows as one types (keeping the quantities typed), a GTIN taken for a product code, an
order beyond the stock refused at the product in Chinese (English with ?lang=en) with nothing
written; then the order's history as people read it, and a bank transfer typed wrong refused in
Chinese at its field. Screenshots at 390 px and 1280 px (test-artifacts/storefront/)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from kiosk_api.demo import demo_password
from kiosk_api.storefront.demo import load_demo_organizations
from sales.org_models import BulkOrder

from .conftest import shoot, sign_in, sign_out, submit, url

RICE, TEA = "YB-RICE-5KG", "QXN-PUAN-RED-250G"
RICE_GTIN = "6975314000111"


def seed(db, clock) -> None:  # type: ignore[no-untyped-def]
    """The demo units; demo-org-buyer and demo-org-approver join the Ningbo office."""
    with db.unit_of_work() as session:
        load_demo_organizations(session, clock)


def _bulk_orders(server) -> int:  # type: ignore[no-untyped-def]
    with server.db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(BulkOrder))


def _row(page, sku: str):  # type: ignore[no-untyped-def]
    return page.locator("#product-rows tbody tr", has=page.locator(f"input[data-sku='{sku}']"))


def _visible_skus(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all(
        "#product-rows tbody tr:not([hidden]) input.qty", "inputs => inputs.map(i => i.dataset.sku)"
    )


def test_buyer_sees_stock_filters_rows_uses_a_gtin_and_is_refused_beyond_the_stock(live_server, page) -> None:
    # A unit's buyer lands on the unit's page after signing in (kiosk_api/pages.py LANDINGS).
    page.goto(url(live_server, "/login"))
    page.fill("input[name=username]", "demo-org-buyer")
    page.fill("input[name=password]", demo_password("org_buyer"))
    submit(page, "form.login button")
    assert page.url == url(live_server, "/org")
    assert "宁波" in page.locator("h1").inner_text()

    submit(page, "text=新建采购订单")
    assert _row(page, RICE).locator("td.avail").inner_text() == "现有 60 件"
    assert _row(page, "QXN-PUAN-WHITE-100G").locator("td.avail").inner_text() == "无货"

    page.fill(f"input[data-sku='{TEA}']", "5")
    page.fill("#product-filter", "dami")  # pinyin of 大米
    assert _visible_skus(page) == [RICE]
    assert "显示 1 / 40 种" in page.locator("#filter-count").inner_text()
    assert "已填数量 1 种" in page.locator("#filter-count").inner_text()
    shoot(page, "20-bulk-form-availability-filter")
    page.fill("#product-filter", "延边")
    assert set(_visible_skus(page)) >= {RICE, "YB-KIMCHI-1KG"} and TEA not in _visible_skus(page)
    page.fill("#product-filter", "")
    assert len(_visible_skus(page)) == 40
    assert page.locator(f"input[data-sku='{TEA}']").input_value() == "5"

    page.fill("input[name=code]", RICE_GTIN)
    page.fill("input[name=code_qty]", "100")
    submit(page, "#add-code")
    assert "已填入：延边大米 × 100" in page.locator(".sf-flash-info").inner_text()
    assert page.locator(f"input[data-sku='{RICE}']").input_value() == "100"
    assert page.locator(f"input[data-sku='{TEA}']").input_value() == "5"
    shoot(page, "21-bulk-gtin-accepted")

    before = _bulk_orders(live_server)
    page.fill("input[name=contact_name]", "王科长")
    page.fill("input[name=phone]", "0574-87000000")
    page.fill("textarea[name=address]", "宁波市鄞州区某路 1 号机关食堂")
    submit(page, "#submit-order")
    row = _row(page, RICE)
    assert row.locator(".field-error").inner_text() == "延边大米：要 100 件，现有 60 件"
    assert "延边大米：要 100 件，现有 60 件" in page.locator("#form-errors").inner_text()
    assert "lines." not in page.content()
    assert page.locator(f"input[data-sku='{RICE}']").input_value() == "100"
    assert page.locator(f"input[data-sku='{TEA}']").input_value() == "5"
    assert page.locator("input[name=contact_name]").input_value() == "王科长"
    assert _bulk_orders(live_server) == before
    row.scroll_into_view_if_needed()
    shoot(page, "22-bulk-over-stock-refused")

    page.fill(f"input[data-sku='{RICE}']", "20")
    submit(page, "#submit-order")
    page.wait_for_url(re.compile(r".*/org/bulk-orders/[0-9a-f-]+$"))
    history = page.locator("#history").inner_text()
    assert "创建订单" in history and "提交审批" in history and "北京时间" in history
    assert "user:" not in history and "created" not in history
    shoot(page, "23-bulk-history-readable")
    sign_out(page)


def test_english_refusal_and_a_bank_transfer_typed_wrong_in_chinese(live_server, page) -> None:
    sign_in(page, live_server, "demo-org-buyer", "org_buyer", "/org/bulk-orders/new?lang=en")
    page.fill(f"input[data-sku='{RICE}']", "100")
    page.fill("input[name=contact_name]", "Wang")
    page.fill("input[name=phone]", "0574-87000000")
    page.fill("textarea[name=address]", "1 Some Road, Yinzhou, Ningbo")
    submit(page, "#submit-order")
    refusal = _row(page, RICE).locator(".field-error").inner_text()
    assert refusal == "Yanbian rice: 100 requested, 60 available"
    page.fill(f"input[data-sku='{RICE}']", "20")
    submit(page, "#submit-order")
    page.wait_for_url(re.compile(r".*/org/bulk-orders/[0-9a-f-]+$"))
    order_path = page.url.removeprefix(live_server.url)
    page.goto(url(live_server, f"{order_path}?lang=zh"))
    sign_out(page)

    sign_in(page, live_server, "demo-org-approver", "org_approver", order_path)
    page.fill("input[name=note]", "同意")
    submit(page, "#approve")
    page.wait_for_selector("h1 .status-badge[data-status=awaiting_payment]")
    sign_out(page)

    sign_in(page, live_server, "demo-operator", "operator", order_path)
    page.fill("#mark-paid input[name=bank_reference]", "ICBC-20261128-0001")
    page.fill("#mark-paid input[name=amount]", "12.345")
    submit(page, "#mark-paid button")
    assert page.locator("#amount-error").inner_text().startswith("请输入金额（元），最多两位小数")
    assert "到账金额：" in page.locator("#form-errors").inner_text()
    assert page.locator("#mark-paid input[name=bank_reference]").input_value() == "ICBC-20261128-0001"
    assert "amount —" not in page.content()
    page.locator("#mark-paid").scroll_into_view_if_needed()
    shoot(page, "24-bulk-transfer-error-chinese")
    history = page.locator("#history").inner_text()
    assert "同意" in history and "user:" not in history  # the approver's note, by the approver's name
