"""A shopper finds potatoes by pinyin, buys two bags, pays on the pay page and sees the order —
in headless Chromium against a real server; the revenue ledger then holds the sale."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from sales.models import Order, RevenueEntry

from .conftest import shoot, url


def test_search_add_checkout_pay_and_see_the_order(live_server, page, browser) -> None:
    page.goto(url(live_server, "/"))
    # the home page is the shop's catalogue: its filters hold the eastern partners
    assert page.locator("[data-filter=partner] .chip[data-code]").count() >= 6
    assert page.locator("li.card").count() > 0
    shoot(page, "01-home")

    page.goto(url(live_server, "/shop"))
    page.fill("form.search input[name=q]", "tudou")
    page.click("form.search button")
    page.wait_for_url(re.compile(r".*/shop\?q=tudou"))
    names = page.locator("li.card h3").all_inner_texts()
    assert "西吉马铃薯" in names
    shoot(page, "02-search-tudou")

    page.click("li.card h3:text-is('西吉马铃薯')")
    assert page.locator(".facts").inner_text().count("西吉县") >= 1
    assert "户" in page.locator(".facts").inner_text()  # households linked
    assert "NX-2025-0012" in page.locator(".facts").inner_text()  # certification number
    assert page.locator(".product-pic img").get_attribute("src").endswith("potatoes.svg")
    shoot(page, "03-product")

    page.fill("form.add input[name=qty]", "2")
    page.click("form.add button")
    page.wait_for_url(url(live_server, "/shop/cart"))
    assert page.locator(".cart-count").inner_text() == "2"
    assert "¥59.80" in page.locator(".total").inner_text()
    shoot(page, "04-cart")

    page.click("text=去结算")
    page.fill("input[name=name]", "林女士")
    page.fill("input[name=phone]", "13800138000")
    page.fill("textarea[name=address]", "福建省福州市鼓楼区五一北路 1 号")
    shoot(page, "05-checkout")
    page.click("form.sf-form button.primary")
    page.wait_for_url(re.compile(r".*/pay/[A-Za-z0-9_-]+$"))
    assert "¥59.80" in page.locator(".amount").inner_text()
    assert "网上商城订单" in page.locator(".where").inner_text()
    shoot(page, "06-pay")

    page.click("button.paybtn")
    page.wait_for_selector(".status.ok")
    page.click("#order-link")
    page.wait_for_url(re.compile(r".*/shop/orders/[0-9a-f-]+\?token=.+"))
    assert page.locator("h1 .status-badge").get_attribute("data-status") == "paid"
    order_id = re.search(r"/shop/orders/([0-9a-f-]+)", page.url).group(1)
    assert page.locator(".order-number").inner_text() == order_id[:8]  # its short number
    shoot(page, "07-order")

    with live_server.db.unit_of_work() as session:
        order = session.get(Order, order_id)
        ledger = session.scalar(
            select(func.sum(RevenueEntry.amount_fen)).where(RevenueEntry.order_id == order_id)
        )
        assert (order.status, order.total_fen, ledger) == ("paid", 5980, 5980)

    # Someone else, without the link's token, cannot see the order.
    stranger = browser.new_context()
    try:
        response = stranger.new_page().goto(url(live_server, f"/shop/orders/{order_id}"))
        assert response.status == 404
    finally:
        stranger.close()
