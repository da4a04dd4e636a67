"""A web-shop order with PAYMENT_PROVIDER=alipay, against the fake gateway: the pay page shows the
precreated trade's qr_code as a QR code on a desktop and, on a phone, a link to a signed
手机网站支付 (alipay.trade.wap.pay) that comes back to the pay page; the notification (delivered
twice) pays the order; an operator's refund of a line is paid out by alipay.trade.refund, which
Alipay answers at once, and its notification (delivered twice) changes nothing more."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from core.db import Database
from sales.storefront import phone_payment_key
from tests.fakes.alipay_fake import AlipayFake
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

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
NOTIFY = "/api/v1/payments/alipay/notify"


def deliver(client: Any, body: bytes) -> None:
    answer = client.post(NOTIFY, data=body, headers=FORM)
    assert (answer.status_code, answer.get_data(as_text=True)) == (200, "success")


def test_a_shop_order_is_paid_by_scanning_alipays_code_and_a_line_refunded_through_alipay(
    app: Flask, client: FlaskClient, db: Database, alipay_fake: AlipayFake
) -> None:
    order = shop_order(client, db)
    order_id, total, token = order["order_id"], order["total_fen"], order["token"]
    [(_key, trade_no, qr_code)] = payments_of(db, order_id)
    assert qr_code and qr_code.startswith("https://qr.alipay.com/")
    assert alipay_fake.trades[trade_no].total_fen == total

    html = pay_page(client, token)
    amount = f"¥{total // 100:,}.{total % 100:02d}"
    assert f"请用支付宝扫码支付 {amount}" in html
    assert decode_qr(html) == qr_code, "the QR code a phone reads is Alipay's qr_code"
    assert f"Scan with Alipay to pay {amount}" in pay_page(client, token, lang="en")

    paid = alipay_fake.pay(trade_no)
    deliver(client, paid)
    deliver(client, paid)  # Alipay retries until it reads `success`; the second changes nothing
    assert client.get(f"/pay/{token}/state").get_json()["status"] == "paid"
    state = order_state(db, order_id)
    assert state["order"] == ("paid", total, total, 0)
    assert sum(e.amount_fen for e in state["revenue"]) == total

    honey = line_id(db, order_id, order["honey"])
    refund_line(app, order_id, honey, 1)
    trade = alipay_fake.trades[trade_no]
    [(request_no, (unit, _at))] = list(trade.refunds.items())
    state = order_state(db, order_id)
    assert [r[:2] for r in state["refunds"]] == [(unit, "succeeded")], "Alipay answered fund_change=Y"
    assert state["order"] == ("partially_refunded", total, total, unit)
    assert sum(e.amount_fen for e in state["revenue"]) == total - unit

    refunded = alipay_fake.notification(trade_no, refund_request_no=request_no)
    deliver(client, refunded)
    deliver(client, refunded)
    assert order_state(db, order_id) == state, "the refund's notifications change nothing more"
    assert [m for m, _biz in alipay_fake.calls].count("alipay.trade.refund") == 1


def test_on_a_phone_the_page_opens_one_wap_payment_that_returns_to_the_pay_page(
    client: FlaskClient, db: Database, alipay_fake: AlipayFake
) -> None:
    order = shop_order(client, db)
    order_id, total, token = order["order_id"], order["total_fen"], order["token"]
    html = pay_page(client, token, user_agent=IPHONE)
    assert '<svg class="qr-code"' not in html
    assert f"打开支付宝支付 ¥{total // 100:,}.{total % 100:02d}" in html

    taps = [client.get(f"/pay/{token}/phone", headers={"User-Agent": IPHONE}) for _tap in range(2)]
    assert [t.status_code for t in taps] == [302, 302]
    target = urlsplit(taps[0].headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == alipay_fake.gateway_url
    params = dict(parse_qsl(target.query))
    assert params["method"] == "alipay.trade.wap.pay"
    assert params["return_url"].endswith(f"/pay/{token}?lang=zh"), "Alipay sends the phone back here"
    biz = json.loads(params["biz_content"])
    (_native, wap) = payments_of(db, order_id)
    assert wap[0] == phone_payment_key(order_id), "two taps, one phone payment"
    assert biz["out_trade_no"] == wap[1] and biz["total_amount"] == f"{total // 100}.{total % 100:02d}"
    again = dict(parse_qsl(urlsplit(taps[1].headers["Location"]).query))
    assert json.loads(again["biz_content"])["out_trade_no"] == wap[1], "the same trade on every tap"
