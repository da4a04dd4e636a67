"""Open-door visits with PAYMENT_PROVIDER=alipay, against the fake gateway: precreate holds no money, so
the shopper pays the hold as a deposit, the door opens, and at its close what was not taken goes
back as one refund (tests/integration/deposit_visits.py)."""

from __future__ import annotations

from functools import partial

import pytest
from flask.testing import FlaskClient

from core.clock import FixedClock
from core.db import Database
from tests.fakes.alipay_fake import AlipayFake
from tests.integration import deposit_visits

NOTIFY = "/api/v1/payments/alipay/notify"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def alipay_side(client: FlaskClient, alipay_fake: AlipayFake) -> deposit_visits.Provider:
    def deliver_twice(body: bytes) -> None:
        for _ in range(2):  # Alipay sends again until it reads `success`
            answer = client.post(NOTIFY, data=body, headers=FORM)
            assert (answer.status_code, answer.get_data(as_text=True)) == (200, "success")

    def settle_refunds() -> None:
        # Alipay refunds synchronously (fund_change Y); the notifications it sends after change nothing.
        for body in list(alipay_fake.sent):
            deliver_twice(body)

    return deposit_visits.Provider(
        name="alipay",
        qr_prefix="https://qr.alipay.com/",
        pay_unheard=lambda ref: partial(deliver_twice, alipay_fake.pay(ref)),
        settle_refunds=settle_refunds,
        refunded=lambda ref: [amount for amount, _at in alipay_fake.trades[ref].refunds.values()],
    )


def test_a_visit_keeps_what_was_taken_of_the_deposit_and_refunds_the_rest(
    provision, db: Database, clock: FixedClock, alipay_side: deposit_visits.Provider
) -> None:
    deposit_visits.visit_taking_three_units(provision("FZ-0002"), db, clock, alipay_side)


def test_a_visit_taking_nothing_refunds_the_whole_deposit(
    provision, db: Database, clock: FixedClock, alipay_side: deposit_visits.Provider
) -> None:
    deposit_visits.visit_taking_nothing(provision("FZ-0002"), db, clock, alipay_side)


def test_a_deposit_paid_as_the_kiosk_cancelled_goes_back_whole(
    provision, db: Database, clock: FixedClock, alipay_side: deposit_visits.Provider
) -> None:
    deposit_visits.deposit_paid_as_the_kiosk_cancelled(provision("FZ-0002"), db, clock, alipay_side)
