"""Shared steps of the shop's WeChat Pay and Alipay browser tests (test_wechatpay_checkout.py,
test_alipay_checkout.py): buy a jar of honey through the shop's pages, read the pay page's QR code
from its pixels, and open desktop and phone browsers."""

from __future__ import annotations

import io
import re
from typing import Any

import zxingcpp
from PIL import Image
from sqlalchemy import select

from catalogue.models import Product
from core.money import format_fen
from payments.models import Payment

from .conftest import ARTIFACTS, DESKTOP, PHONE, url

HONEY_SKU = "GY-HONEY-500G"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


def desktop_page(browser: Any) -> Any:
    """A desktop browser's page (Chromium's own User-Agent), Chinese first."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(20_000)
    return context.new_page()


def phone_page(browser: Any) -> Any:
    """An iPhone's browser at 390 px (its User-Agent, touch), Chinese first."""
    context = browser.new_context(
        viewport=PHONE, user_agent=IPHONE, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    context.set_default_timeout(20_000)
    return context.new_page()


def buy_honey(page: Any, server: Any) -> tuple[str, str]:
    """Put a jar of honey in the cart, check out with a delivery address, and arrive at the pay
    page; return its token and the amount as the page writes it."""
    with server.db.unit_of_work() as session:
        honey = session.scalar(select(Product).where(Product.sku == HONEY_SKU))
        product_id, price = honey.id, format_fen(honey.price_fen)
    page.goto(url(server, f"/shop/products/{product_id}"))
    page.click("form.add button")
    page.wait_for_url(url(server, "/shop/cart"))
    page.click("text=去结算")
    page.fill("input[name=name]", "林女士")
    page.fill("input[name=phone]", "13800138000")
    page.fill("textarea[name=address]", "福建省福州市鼓楼区五一北路 1 号")
    page.click("form.sf-form button.primary")
    page.wait_for_url(re.compile(r".*/pay/[A-Za-z0-9_-]+$"))
    return page.url.rsplit("/", 1)[1], price


def payments_of(server: Any, token: str) -> list[tuple[str | None, str | None]]:
    """(provider_ref, qr_payload) of the payments of the order behind a pay link, first first."""
    from sales.models import Order

    with server.db.unit_of_work() as session:
        order_id = session.scalar(select(Order.id).where(Order.pay_token == token))
        rows = session.execute(
            select(Payment.provider_ref, Payment.qr_payload)
            .where(Payment.order_id == order_id)
            .order_by(Payment.id)
        ).all()
    return [(ref, payload) for ref, payload in rows]


def tap_through(page: Any, server: Any, token: str, cashier: str) -> str:
    """Tap the pay page's button on a phone: the server opens the phone payment and redirects to the
    provider's page. That page is on the internet, and Playwright routes only a redirect chain's
    first request, so that request is made here and its redirect answered with a stand-in of the
    provider's cashier page; return where the server sent the phone."""
    sent: list[str] = []

    def provider_page(route: Any) -> None:
        answer = route.fetch(max_redirects=0)
        assert answer.status == 302, answer.status
        sent.append(answer.headers["location"])
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=f"<h1>{cashier}</h1>")

    page.route(f"{server.url}/pay/{token}/phone*", provider_page)
    with page.expect_navigation():
        page.click("#pay-phone")
    page.unroute(f"{server.url}/pay/{token}/phone*")
    assert page.locator("h1").inner_text() == cashier
    (target,) = sent
    return target


def read_qr(page: Any) -> str:
    """The text a camera reads from the pay page's QR code, as Chromium draws it."""
    png = page.locator("#pay-qr svg").screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1, "the QR code on the page does not decode"
    return found[0].text


def screenshot(page: Any, name: str) -> str:
    """A full-page screenshot at the page's own size; return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return str(path)


def wait_until_paid(page: Any) -> None:
    """The page's polling (every 5 s) shows the order paid: status, sentence, and the order link."""
    page.wait_for_selector("section.pay[data-status=paid]")
    page.wait_for_selector("#order-link", state="visible")
    assert page.locator("#pay-status.ok").count() == 1
