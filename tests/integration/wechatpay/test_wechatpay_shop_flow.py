"""A web-shop order with PAYMENT_PROVIDER=wechatpay, against the fake WeChat Pay: the pay page shows
WeChat's Native code_url as a QR code on a desktop and, on a phone, a link that opens an H5 payment
with the shopper's address; the notification (delivered twice) pays the order; an operator's refund
of a line goes to WeChat and is settled by WeChat's refund notification (delivered twice)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.db import Database
from sales.storefront import phone_payment_key
from tests.fakes.wechatpay_fake import FakeWeChatPay
from tests.integration.shop_wallet import (
    IPHONE,
    decode_qr,
    line_id,
    pay_page,
    payments_of,
    refund_line,
    shop_order,
)
from tests.integration.stripe_orders.harness import order_state
from tests.integration.wechatpay.test_wechatpay_vend_flow import deliver, wechat_events


@pytest.fixture
def app_config(wechatpay_config: dict[str, Any]) -> dict[str, Any]:
    return wechatpay_config


def test_a_shop_order_is_paid_by_scanning_wechats_code_and_a_line_refunded_through_wechat(
    app: Flask, client: FlaskClient, db: Database, wechatpay_fake: FakeWeChatPay
) -> None:
    order = shop_order(client, db)
    order_id, total = order["order_id"], order["total_fen"]
    [(_key, number, code_url)] = payments_of(db, order_id)
    assert code_url and code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    assert wechatpay_fake.orders[number]["trade_type"] == "NATIVE"
    assert wechatpay_fake.orders[number]["amount"]["total"] == total

    shop_pay = client.get(f"/shop/orders/{order_id}/pay?token={order['token']}")  # the order's link
    assert shop_pay.status_code == 302 and shop_pay.headers["Location"].endswith(f"/pay/{order['token']}")
    html = pay_page(client, order["token"])
    amount = f"¥{total // 100:,}.{total % 100:02d}"
    assert f"请用微信扫码支付 {amount}" in html
    assert decode_qr(html) == code_url, "the QR code a phone reads is WeChat's code_url"
    assert "pay_state.js" in html, "the page polls its state while the shopper scans"
    assert f"Scan with WeChat to pay {amount}" in pay_page(client, order["token"], lang="en")

    paid = wechatpay_fake.pay(number)
    assert deliver(client, paid).status_code == 200
    assert deliver(client, paid.resigned()).status_code == 200  # WeChat's retry changes nothing
    assert wechat_events(db) == 1
    polled = client.get(f"/pay/{order['token']}/state").get_json()
    assert (polled["status"], polled["tone"]) == ("paid", "ok")
    assert "请用微信扫码支付" not in pay_page(client, order["token"]), "no QR code once paid"
    state = order_state(db, order_id)
    assert state["order"] == ("paid", total, total, 0)
    assert sum(e.amount_fen for e in state["revenue"]) == total

    potatoes = line_id(db, order_id, order["potato"])
    refund_line(app, order_id, potatoes, 1)
    (refund_no,) = list(wechatpay_fake.refunds)
    asked = wechatpay_fake.refunds[refund_no]
    assert asked["out_trade_no"] == number
    unit = asked["amount"]["refund"]
    assert order_state(db, order_id)["refunds"][0][:2] == (unit, "pending"), "WeChat answered PROCESSING"

    settled = wechatpay_fake.settle_refund(refund_no)
    assert deliver(client, settled).status_code == 200
    assert deliver(client, settled.resigned()).status_code == 200
    state = order_state(db, order_id)
    assert [r[:2] for r in state["refunds"]] == [(unit, "succeeded")]
    assert state["order"] == ("partially_refunded", total, total, unit)
    assert sum(e.amount_fen for e in state["revenue"]) == total - unit
    assert len(wechatpay_fake.refunds) == 1, "the repeated notification asked for no second refund"


def test_on_a_phone_the_page_opens_one_h5_payment_with_the_shoppers_address(
    client: FlaskClient, db: Database, wechatpay_fake: FakeWeChatPay
) -> None:
    order = shop_order(client, db)
    order_id, total, token = order["order_id"], order["total_fen"], order["token"]
    html = pay_page(client, token, user_agent=IPHONE)
    assert '<svg class="qr-code"' not in html, "a phone cannot scan its own screen"
    assert f"打开微信支付 ¥{total // 100:,}.{total % 100:02d}" in html
    assert f'href="/pay/{token}/phone?lang=zh"' in html

    phone = {"User-Agent": IPHONE}
    answers = [
        client.get(f"/pay/{token}/phone", headers=phone, environ_base={"REMOTE_ADDR": "203.0.113.7"})
        for _tap in range(2)
    ]
    assert [a.status_code for a in answers] == [302, 302]
    target = urlsplit(answers[0].headers["Location"])
    assert (target.netloc, target.path) == ("wx.tenpay.com", "/cgi-bin/mmpayweb-bin/checkmweb")
    back = parse_qs(target.query)["redirect_url"][0]
    assert back.endswith(f"/pay/{token}?lang=zh"), "WeChat sends the phone back to the pay page"
    native, h5 = payments_of(db, order_id)
    assert h5[0] == phone_payment_key(order_id), "two taps, one phone payment"
    assert wechatpay_fake.orders[h5[1]]["trade_type"] == "MWEB"
    assert wechatpay_fake.orders[h5[1]]["amount"]["total"] == total
    assert [c for c in wechatpay_fake.calls if c[1] == "/v3/pay/transactions/h5"] == [
        ("POST", "/v3/pay/transactions/h5")
    ] * 2, "each tap asks WeChat again with the same out_trade_no (h5_url lasts 5 minutes)"

    # The shopper pays on the phone, and later scans the desktop's code as well: the order is paid
    # once, the second payment is its surplus and goes back to WeChat at once.
    assert deliver(client, wechatpay_fake.pay(h5[1])).status_code == 200
    assert deliver(client, wechatpay_fake.pay(native[1])).status_code == 200
    state = order_state(db, order_id)
    assert state["order"] == ("paid", total, total, 0)
    assert sum(e.amount_fen for e in state["revenue"]) == total
    (refund_no,) = list(wechatpay_fake.refunds)
    assert wechatpay_fake.refunds[refund_no]["out_trade_no"] == native[1]
    assert wechatpay_fake.refunds[refund_no]["amount"]["refund"] == total
    assert client.get(f"/pay/{token}/phone", headers=phone).status_code == 302, "paid: back to the page"
    assert client.get(f"/pay/{token}/phone", headers=phone).headers["Location"] == f"/pay/{token}?lang=zh"
