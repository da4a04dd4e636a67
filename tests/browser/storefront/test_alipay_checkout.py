"""The shop with PAYMENT_PROVIDER=alipay against the fake Alipay gateway, in headless Chromium: a
desktop shopper checks out, reads the precreated trade's qr_code from the QR code drawn on the pay
page, Alipay notifies (twice) and the page turns to paid by itself; a phone shopper taps through
to the signed 手机网站支付 page, pays there, and comes back to a paid order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from tests.fakes.alipay_fake import APP_ID, AlipayFake, new_key, private_pem, public_pem, serve

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

NOTIFY = "/api/v1/payments/alipay/notify"


@pytest.fixture(scope="module")
def alipay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AlipayFake, dict[str, Any]]]:
    """The fake gateway on 127.0.0.1, and the settings that point the server at it."""
    app_key, alipay_key = new_key(), new_key()
    folder = tmp_path_factory.mktemp("alipay-keys")
    (folder / "app.pem").write_text(private_pem(app_key))
    (folder / "alipay.pem").write_text(public_pem(alipay_key))
    fake = AlipayFake(app_public_key=app_key.public_key(), alipay_private_key=alipay_key)
    for running in serve(fake):
        yield (
            running,
            {
                "PAYMENT_PROVIDER": "alipay",
                "ALIPAY_APP_ID": APP_ID,
                "ALIPAY_GATEWAY_URL": running.gateway_url,
                "ALIPAY_APP_PRIVATE_KEY_PATH": str(folder / "app.pem"),
                "ALIPAY_PUBLIC_KEY_PATH": str(folder / "alipay.pem"),
            },
        )


@pytest.fixture(scope="module")
def live_server_config(alipay: tuple[AlipayFake, dict[str, Any]]) -> dict[str, Any]:
    return alipay[1]


def deliver(server: Any, body: bytes) -> None:
    """Alipay POSTs its notification form to the server, as it would over the internet."""
    answer = requests.post(
        f"{server.url}{NOTIFY}",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert (answer.status_code, answer.text) == (200, "success")


def test_a_desktop_shopper_scans_alipays_code_and_the_page_turns_paid(
    live_server: Any, browser: Any, alipay: tuple[AlipayFake, dict[str, Any]]
) -> None:
    fake = alipay[0]
    page = desktop_page(browser)
    token, price = buy_honey(page, live_server)
    assert page.locator("#pay-scan").inner_text() == f"请用支付宝扫码支付 {price}"
    [(trade_no, qr_code)] = payments_of(live_server, token)
    assert qr_code == fake.trades[trade_no].qr_code
    assert read_qr(page) == qr_code, "the QR code reads as Alipay's qr_code"
    screenshot(page, "alipay-pay-desktop")

    paid = fake.pay(trade_no)
    deliver(live_server, paid)
    deliver(live_server, paid)  # Alipay's retry
    wait_until_paid(page)
    assert page.locator("#pay-qr").is_hidden(), "no code to scan once paid"
    screenshot(page, "alipay-paid-desktop")
    page.context.close()


def test_a_phone_shopper_goes_to_alipays_wap_page_and_comes_back_paid(
    live_server: Any, browser: Any, alipay: tuple[AlipayFake, dict[str, Any]]
) -> None:
    fake = alipay[0]
    page = phone_page(browser)
    token, price = buy_honey(page, live_server)
    assert page.locator("#pay-qr").count() == 0, "a phone cannot scan its own screen"
    assert page.locator("#pay-phone").inner_text() == f"打开支付宝支付 {price}"
    screenshot(page, "alipay-pay-390")

    target = tap_through(page, live_server, token, "支付宝 手机网站支付")
    assert target.startswith(fake.gateway_url + "?")
    params = dict(parse_qsl(urlsplit(target).query))
    assert params["method"] == "alipay.trade.wap.pay"
    back = urlsplit(params["return_url"])
    assert back.path == f"/pay/{token}"
    trade = fake.open_wap(target)  # the signed request verifies at the gateway: the trade starts
    [_qr, (wap_no, _wap_url)] = payments_of(live_server, token)
    assert trade.out_trade_no == wap_no

    deliver(live_server, fake.pay(wap_no))
    page.goto(f"{live_server.url}{back.path}?{back.query}")  # Alipay's return_url
    assert page.locator("section.pay").get_attribute("data-status") == "paid"
    assert page.locator("#order-link").is_visible()
    screenshot(page, "alipay-paid-390")
    page.context.close()
