"""Open-door visits with PAYMENT_PROVIDER=wechatpay, against the fake WeChat Pay: WeChat Native holds no
money, so the shopper pays the hold as a deposit, the door opens, and at its close what was not
taken goes back as one refund (tests/integration/deposit_visits.py)."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from flask.testing import FlaskClient

from core.clock import FixedClock
from core.db import Database
from sales.money_audit import audit_money
from sales.order_search import short_id
from tests.api.test_login import sign_in
from tests.fakes.wechatpay_fake import FakeWeChatPay, Notification
from tests.integration import deposit_visits

WEBHOOK = "/api/v1/payments/wechatpay/webhook"


@pytest.fixture
def app_config(wechatpay_config: dict[str, Any]) -> dict[str, Any]:
    return wechatpay_config


@pytest.fixture
def wechat(client: FlaskClient, wechatpay_fake: FakeWeChatPay) -> deposit_visits.Provider:
    def deliver_twice(notification: Notification) -> None:
        for sent in (notification, notification.resigned()):  # WeChat retries an answer it missed
            answer = client.post(WEBHOOK, data=sent.body, headers=sent.headers)
            assert answer.status_code == 200, answer.get_json()

    def settle_refunds() -> None:
        for number, refund in list(wechatpay_fake.refunds.items()):
            if refund["status"] == "PROCESSING":
                deliver_twice(wechatpay_fake.settle_refund(number))

    return deposit_visits.Provider(
        name="wechatpay",
        qr_prefix="weixin://wxpay/bizpayurl?pr=",
        pay_unheard=lambda ref: partial(deliver_twice, wechatpay_fake.pay(ref)),
        settle_refunds=settle_refunds,
        refunded=lambda ref: [
            r["amount"]["refund"] for r in wechatpay_fake.refunds.values() if r["out_trade_no"] == ref
        ],
    )


def test_a_visit_keeps_what_was_taken_of_the_deposit_and_refunds_the_rest(
    provision,
    db: Database,
    clock: FixedClock,
    wechat: deposit_visits.Provider,
) -> None:
    deposit_visits.visit_taking_three_units(provision("FZ-0002"), db, clock, wechat)


def test_a_visit_taking_nothing_refunds_the_whole_deposit(
    provision,
    db: Database,
    clock: FixedClock,
    wechat: deposit_visits.Provider,
) -> None:
    deposit_visits.visit_taking_nothing(provision("FZ-0002"), db, clock, wechat)


def test_a_deposit_visit_never_reported_closed_is_found_by_the_money_audit_and_shown_to_the_auditor(
    client: FlaskClient, provision, db: Database, clock: FixedClock, wechat: deposit_visits.Provider
) -> None:
    order_id, _ref = deposit_visits.open_with_deposit(provision("FZ-0002"), db, clock, wechat)
    clock.advance(minutes=61)  # the kiosk went dark with the door open: no report comes
    with db.unit_of_work() as session:
        audit = audit_money(session, clock)
    assert {c.code for c in audit.checks if not c.passed} == {"unsettled_door_visits"}
    [row] = audit.check("unsettled_door_visits").rows
    assert (row["order_id"], row["hold_fen"]) == (order_id, 20000)
    sign_in(client, "auditor")
    html = client.get("/console/audit/money").get_data(as_text=True)
    assert "开门购物超过一小时未结算" in html and "开门时间" in html and "¥200.00" in html
    assert short_id(order_id) in html, "the visit is named by its short number"


def test_a_deposit_paid_as_the_kiosk_cancelled_goes_back_whole(
    provision, db: Database, clock: FixedClock, wechat: deposit_visits.Provider
) -> None:
    deposit_visits.deposit_paid_as_the_kiosk_cancelled(provision("FZ-0002"), db, clock, wechat)
