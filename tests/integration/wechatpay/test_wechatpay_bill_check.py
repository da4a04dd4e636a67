"""The daily bill check against WeChat Pay's trade bill (the fake's, downloaded through the SDK): a
day's kiosk purchases paid at WeChat, then a bill with one of ours missing, one amount differing and
one trade we have no record of, reported exactly so."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.clock import SHANGHAI, FixedClock, local_date
from core.db import Database
from payments.bills import check_daily_bill
from payments.providers.wechatpay import WeChatPayProvider
from tests.api.kiosk.conftest import SignedKiosk, provision  # noqa: F401  (fixture)
from tests.fakes.wechatpay_fake import FakeWeChatPay
from tests.integration.wechatpay.test_wechatpay_vend_flow import deliver, out_trade_no, start_vend


@pytest.fixture
def app_config(wechatpay_config: dict[str, Any]) -> dict[str, Any]:
    return wechatpay_config


@pytest.fixture
def vend_kiosk(provision) -> SignedKiosk:  # type: ignore[no-untyped-def]  # noqa: F811
    return provision("FZ-0001")


def test_a_wechat_bill_with_one_missing_and_one_differing_line_is_reported_so(
    app: Flask,
    client: FlaskClient,
    vend_kiosk: SignedKiosk,
    db: Database,
    clock: FixedClock,
    wechatpay_fake: FakeWeChatPay,
    wechatpay: WeChatPayProvider,
) -> None:
    clock.set(datetime.now(SHANGHAI))  # the fake dates its bill by the real day
    numbers = []
    for qty in ((1, 1), (2, 1), (1, 2)):
        started, _slots = start_vend(vend_kiosk, qty)
        number = out_trade_no(db, started["order_id"])
        assert deliver(client, wechatpay_fake.pay(number)).status_code == 200
        numbers.append((number, started["order_id"], started["total_fen"]))
    (kept, _, _), (differs, differs_order, differs_fen), (lost, lost_order, lost_fen) = numbers
    stray = wechatpay.create_payment(
        reference="not-ours-at-all",
        amount_fen=1_234,
        method="wechat_pay",
        capture="automatic",
        idempotency_key="stray-1",
    )
    wechatpay_fake.pay(stray.provider_ref)  # paid at WeChat, never heard of here
    wechatpay_fake.orders[differs]["amount"]["total"] = differs_fen - 10
    del wechatpay_fake.orders[lost]

    check = check_daily_bill(db, clock, wechatpay, local_date(clock.now()))

    assert (check.bill_lines, check.matched) == (3, 1)
    found = {(d["kind"], d["order_id"], d["ours_fen"], d["theirs_fen"]) for d in check.differences}
    assert found == {
        ("amount", differs_order, differs_fen, differs_fen - 10),
        ("missing_theirs", lost_order, lost_fen, None),
        ("missing_ours", None, None, 1_234),
    }
    assert kept not in {d["ref"] for d in check.differences}
