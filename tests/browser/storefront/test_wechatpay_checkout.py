"""The shop with PAYMENT_PROVIDER=wechatpay against the fake WeChat Pay, in headless Chromium: a
desktop shopper checks out, reads WeChat's code_url from the QR code drawn on the pay page, WeChat
notifies (twice) and the page turns to paid by itself; a phone shopper taps through to the H5
page WeChat answered and comes back to a paid order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.fakes.wechatpay_fake import FakeWeChatPay, Notification, generate_keys
from tests.integration.wechatpay.conftest import wechatpay_settings

from .wallet_pay import (
    buy_honey,
    desktop_page,
    payments_of,
    phone_page,
    read_qr,
    screenshot,
    tap_through,
    wait_until_paid,
)

WEBHOOK = "/api/v1/payments/wechatpay/webhook"


@pytest.fixture(scope="module")
def wechat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeWeChatPay, dict[str, Any]]]:
    """The fake WeChat Pay on 127.0.0.1, and the settings that point the server at it."""
    keys = generate_keys()
    folder: Path = tmp_path_factory.mktemp("wechatpay-keys")
    files = {"private": folder / "key.pem", "public": folder / "pub.pem", "apiv3": folder / "apiv3"}
    files["private"].write_text(keys.merchant_private_pem)
    files["public"].write_bytes(keys.platform_public_pem)
    files["apiv3"].write_text(keys.apiv3_key)
    fake = FakeWeChatPay(keys).start()
    try:
        yield fake, wechatpay_settings(keys, files, fake.base_url)
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def live_server_config(wechat: tuple[FakeWeChatPay, dict[str, Any]]) -> dict[str, Any]:
    return wechat[1]


def deliver(server: Any, notification: Notification) -> None:
    """WeChat Pay POSTs a notification to the server, as it would over the internet."""
    answer = requests.post(
        f"{server.url}{WEBHOOK}", data=notification.body, headers=notification.headers, timeout=10
    )
    assert answer.status_code == 200 and answer.json()["code"] == "SUCCESS", answer.text


def test_a_desktop_shopper_scans_wechats_code_and_the_page_turns_paid(
    live_server: Any, browser: Any, wechat: tuple[FakeWeChatPay, dict[str, Any]]
) -> None:
    fake = wechat[0]
    page = desktop_page(browser)
    token, price = buy_honey(page, live_server)
    assert page.locator("#pay-scan").inner_text() == f"请用微信扫码支付 {price}"
    [(number, code_url)] = payments_of(live_server, token)
    assert code_url == fake.orders[number]["answer"]["code_url"]
    assert read_qr(page) == code_url, "the QR code reads as WeChat's code_url"
    screenshot(page, "wechatpay-pay-desktop")

    paid = fake.pay(number)
    deliver(live_server, paid)
    deliver(live_server, paid.resigned())  # WeChat's retry
    wait_until_paid(page)
    assert page.locator("#pay-qr").is_hidden(), "no code to scan once paid"
    assert "支付成功" in page.locator("#pay-title").inner_text()
    screenshot(page, "wechatpay-paid-desktop")
    page.context.close()


def test_a_phone_shopper_goes_to_wechats_h5_page_and_comes_back_paid(
    live_server: Any, browser: Any, wechat: tuple[FakeWeChatPay, dict[str, Any]]
) -> None:
    fake = wechat[0]
    page = phone_page(browser)
    token, price = buy_honey(page, live_server)
    assert page.locator("#pay-qr").count() == 0, "a phone cannot scan its own screen"
    assert page.locator("#pay-phone").inner_text() == f"打开微信支付 {price}"
    screenshot(page, "wechatpay-pay-390")

    target = tap_through(page, live_server, token, "微信支付 H5")
    [_native, (h5_number, _h5_url)] = payments_of(live_server, token)
    assert fake.orders[h5_number]["trade_type"] == "MWEB"
    assert target.startswith(fake.orders[h5_number]["answer"]["h5_url"] + "&redirect_url=")
    back = parse_qs(urlsplit(target).query)["redirect_url"][0]
    assert urlsplit(back).path == f"/pay/{token}"

    deliver(live_server, fake.pay(h5_number))
    page.goto(f"{live_server.url}{urlsplit(back).path}?{urlsplit(back).query}")
    assert page.locator("section.pay").get_attribute("data-status") == "paid"
    assert page.locator("#order-link").is_visible()
    screenshot(page, "wechatpay-paid-390")
    page.context.close()
