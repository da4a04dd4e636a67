"""The daily bill check (payments.bills.check_daily_bill) against Alipay's trade bill, downloaded
from the fake gateway: kiosk purchases paid with Alipay, then a bill with one of ours missing, one
amount differing and one trade we have no record of, reported exactly so."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from core.clock import SHANGHAI, FixedClock, local_date
from core.db import Database
from payments.bills import check_daily_bill
from payments.models import Payment
from tests.api.kiosk.conftest import stocked_slots
from tests.fakes.alipay_fake import AlipayFake

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_an_alipay_bill_with_one_missing_and_one_differing_line_is_reported_so(
    app, client, provision, db: Database, session, clock: FixedClock, alipay_fake: AlipayFake
) -> None:
    clock.set(datetime.now(SHANGHAI))  # the fake dates its bill by the real day
    provider = app.extensions["dongxi.payments"]
    kiosk = provision("FZ-0001")
    (slot,) = stocked_slots(kiosk, at_least=3)[:1]
    bought = []
    for _ in range(3):
        started = kiosk.post("/sessions", {"lines": [{"slot": slot["slot"], "qty": 1}]}).get_json()
        ref = session.scalar(select(Payment.provider_ref).where(Payment.order_id == started["order_id"]))
        answer = client.post("/api/v1/payments/alipay/notify", data=alipay_fake.pay(ref), headers=FORM)
        assert answer.get_data(as_text=True) == "success"
        bought.append((ref, started["order_id"], started["total_fen"]))
    (kept, _, _), (differs, differs_order, differs_fen), (lost, lost_order, lost_fen) = bought
    stray = provider.create_payment(
        reference="not-ours", amount_fen=1_234, method="alipay", capture="automatic", idempotency_key="stray"
    )
    alipay_fake.pay(stray.provider_ref)  # paid at Alipay, never heard of here
    alipay_fake.trades[differs].total_fen = differs_fen - 10
    del alipay_fake.trades[lost]

    check = check_daily_bill(db, clock, provider, local_date(clock.now()))

    assert (check.bill_lines, check.matched) == (3, 1)
    found = {(d["kind"], d["order_id"], d["ours_fen"], d["theirs_fen"]) for d in check.differences}
    assert found == {
        ("amount", differs_order, differs_fen, differs_fen - 10),
        ("missing_theirs", lost_order, lost_fen, None),
        ("missing_ours", None, None, 1_234),
    }
    assert kept not in {d["ref"] for d in check.differences}
