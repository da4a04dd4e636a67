"""A web-shop order paid with the simulated provider goes from paid to delivered through the
console (1366 px, as an operator: pick, pack, ship with a waybill number after a confirmation,
mark delivered), and the shopper's order page (390 px) shows each step and the tracking number."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from catalogue.models import Product
from core.clock import SHANGHAI, FixedClock
from core.db import Database
from sales.models import Order
from sales.shipping import record_step
from tests.integration.sales.shipping_factories import paid_order, simulated_provider

from .conftest import PHONE, sign_in, submit, url

CONSOLE = {"width": 1366, "height": 900}
# Orders of the day before, each further along, so that the list shows its groups:
# (product, recipient, phone, address, steps taken, carrier and waybill number)
EARLIER = [
    ("六盘山蜂蜜", "王先生", "13905911234", "福建省福州市仓山区金山大道 88 号", 1, None),
    (
        "隆德香菇干",
        "陈女士",
        "13600001111",
        "福建省福州市晋安区福新中路 12 号",
        3,
        ("yto", "YT7512345678901"),
    ),
    (
        "西吉马铃薯",
        "黄先生",
        "18850002222",
        "福建省福州市台江区八一七中路 300 号",
        4,
        ("jd", "JDVA00012345678"),
    ),
]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def seed(db: Database, clock: FixedClock) -> None:
    """Three paid orders of 27 November: one picked, one shipped with 圆通, one delivered by 京东."""
    provider = simulated_provider(db, clock)
    for n, (product, name, phone, address, taken, waybill) in enumerate(EARLIER):
        clock.set(at(27, 10 + n))
        contact = {"name": name, "phone": phone, "address": address}
        order_id = paid_order(db, clock, provider, qty=1, product=product, contact=contact)
        for minutes, step in enumerate(("picked", "packed", "shipped", "delivered")[:taken]):
            clock.set(at(28, 9 + n, 10 * minutes))
            extra = {"carrier": waybill[0], "tracking_no": waybill[1]} if step == "shipped" else {}
            with db.unit_of_work() as session:
                record_step(session, clock, order_id, step, actor="demo-operator", **extra)


def _buy_and_pay(page, server) -> str:  # type: ignore[no-untyped-def]
    """Buy two bags of potatoes and pay on the simulated pay page; return the order page's URL."""
    with server.db.unit_of_work() as session:
        potatoes = session.scalar(select(Product.id).where(Product.name_zh == "西吉马铃薯"))
    page.goto(url(server, f"/shop/products/{potatoes}"))
    page.fill("form.add input[name=qty]", "2")
    submit(page, "form.add button")
    submit(page, "text=去结算")
    page.fill("input[name=name]", "林女士")
    page.fill("input[name=phone]", "13812345678")
    page.fill("textarea[name=address]", "福建省福州市鼓楼区五一北路 1 号")
    page.click("form.sf-form button.primary")
    page.wait_for_url(re.compile(r".*/pay/[A-Za-z0-9_-]+$"))
    page.click("button.paybtn")
    page.wait_for_selector(".status.ok")
    page.click("#order-link")
    page.wait_for_url(re.compile(r".*/shop/orders/[0-9a-f-]+\?token=.+"))
    assert page.locator("h1 .status-badge").get_attribute("data-status") == "paid"
    return page.url


def test_an_operator_ships_a_paid_web_order_and_the_shopper_follows_it(
    live_server, browser, artifacts
) -> None:
    shopper = browser.new_context(viewport=PHONE, locale="zh-CN")
    operator = browser.new_context(viewport=CONSOLE, locale="zh-CN")
    shopper.set_default_timeout(15_000)
    operator.set_default_timeout(15_000)
    try:
        mine = shopper.new_page()
        order_url = _buy_and_pay(mine, live_server)
        order_id = re.search(r"/shop/orders/([0-9a-f-]+)", order_url).group(1)
        assert "仓库正在备货" in mine.locator(".sf-status").inner_text()
        assert mine.locator("ol.shopper-steps li.todo").count() == 4

        live_server.clock.set(at(29, 9, 5))
        console = operator.new_page()
        sign_in(console, live_server, "demo-operator", "operator", "/console/fulfilment")
        to_pick = console.locator("section#to_pick")
        assert order_id[:8] in to_pick.inner_text() and "138****5678" in to_pick.inner_text()
        assert console.locator("nav.console-nav a[aria-current]").inner_text().startswith("发货")
        console.screenshot(path=str(artifacts / "fulfilment_list.png"), full_page=True)

        submit(console, f"section#to_pick a:text-is('{order_id[:8]}')")
        panel = console.locator("section#fulfilment")
        assert "福建省福州市鼓楼区五一北路 1 号" in panel.inner_text() and "138****5678" in panel.inner_text()
        submit(console, "form.fulfilment-form button")  # picked
        assert "待打包" in panel.locator(".step-state").inner_text()
        live_server.clock.set(at(29, 9, 40))
        submit(console, "form.fulfilment-form button")  # packed
        live_server.clock.set(at(29, 10, 15))
        console.select_option("select[name=carrier]", "sf")
        console.fill("input[name=tracking_no]", "SF1234567890123")
        console.screenshot(path=str(artifacts / "fulfilment_order.png"), full_page=True)

        console.fill("input[name=tracking_no]", "SF12345")  # too short: refused, named, kept
        submit(console, "form.fulfilment-form button")
        assert "运单号 Tracking number：" in console.locator(".form-errors").inner_text()
        assert console.input_value("input[name=tracking_no]") == "SF12345"
        console.fill("input[name=tracking_no]", "SF1234567890123")
        submit(console, "form.fulfilment-form button")
        assert "确认发货" in console.locator("h1").inner_text()
        assert "SF1234567890123" in console.locator(".confirm-summary").inner_text()
        console.screenshot(path=str(artifacts / "fulfilment_ship_confirm.png"), full_page=True)
        submit(console, "button:has-text('确认')")
        assert "已发货" in console.locator("section#fulfilment .step-state").inner_text()

        mine.reload()
        assert "SF1234567890123" in mine.locator(".sf-status.shipped").inner_text()
        assert mine.locator("ol.shopper-steps li.done").count() == 4
        assert "北京时间" in mine.locator("ol.shopper-steps li[data-step=shipped]").inner_text()
        mine.screenshot(path=str(artifacts / "shopper_order_shipped.png"), full_page=True)

        live_server.clock.set(at(30, 15, 20))
        submit(console, "form.fulfilment-form button")  # delivered
        assert "已送达" in console.locator("section#fulfilment .step-state").inner_text()
        mine.reload()
        assert mine.locator("h1 .status-badge").get_attribute("data-status") == "fulfilled"
        assert mine.locator("ol.shopper-steps li.done").count() == 5
        with live_server.db.unit_of_work() as session:
            assert session.get(Order, order_id).status == "fulfilled"
    finally:
        shopper.close()
        operator.close()
