"""The three providers side by side: Stripe (the real library against localstripe), WeChat Pay and
Alipay (their real SDKs against the local fakes), each behind an app of its own on the test's one
database. The fixtures of each provider's own folder are registered here too."""

from __future__ import annotations

from pathlib import Path

import pytest
import stripe
from sqlalchemy.orm import Session

from core.clock import FixedClock
from core.db import Database
from kiosk_api.kiosks import service as kiosks
from tests.api.kiosk.conftest import SECRET_KEY
from tests.fakes.alipay_fake import AlipayFake
from tests.fakes.wechatpay_fake import FakeKeys, FakeWeChatPay
from tests.integration.agreement.rails import (
    Rail,
    alipay_notices,
    app_for,
    stripe_notices,
    wechatpay_notices,
)
from tests.integration.alipay.conftest import (  # noqa: F401  (fixtures, registered for this folder too)
    alipay_fake,
    alipay_key_files,
    alipay_keys,
    alipay_settings,
)
from tests.integration.payments.conftest import (  # noqa: F401  (fixtures, registered for this folder too)
    localstripe_url,
    localstripe_webhooks,
)
from tests.integration.payments.harness import WebhookReceiver
from tests.integration.stripe_orders.conftest import stripe_api, stripe_config  # noqa: F401  (fixture)
from tests.integration.wechatpay.conftest import (  # noqa: F401  (fixtures, registered for this folder too)
    wechatpay_fake,
    wechatpay_key_files,
    wechatpay_keys,
    wechatpay_server,
    wechatpay_settings,
)

# The demo cabinets the scenarios use: a vending one and an open-door one.
KIOSKS = ("FZ-0001", "FZ-0002")


@pytest.fixture
def rails(
    db: Database,
    session: Session,
    clock: FixedClock,
    localstripe_url: str,  # noqa: F811
    localstripe_webhooks: WebhookReceiver,  # noqa: F811
    stripe_api: stripe.StripeClient,  # noqa: F811
    wechatpay_keys: FakeKeys,  # noqa: F811
    wechatpay_key_files: dict[str, Path],  # noqa: F811
    wechatpay_fake: FakeWeChatPay,  # noqa: F811
    alipay_fake: AlipayFake,  # noqa: F811
    alipay_key_files: dict[str, str],  # noqa: F811
) -> dict[str, Rail]:
    """Stripe (the baseline, first), WeChat Pay and Alipay, by name; the demo cabinets provisioned
    before any of them runs, so that each starts from the same database."""
    keys = {code: kiosks.provision(session, clock, code, secret_key=SECRET_KEY) for code in KIOSKS}
    session.commit()  # into the test's transaction, under every scenario's savepoint
    settings = {
        "stripe": stripe_config(localstripe_url),
        "wechatpay": wechatpay_settings(wechatpay_keys, wechatpay_key_files, wechatpay_fake.base_url),
        "alipay": alipay_settings(alipay_fake, alipay_key_files),
    }
    notices = {
        "stripe": stripe_notices(stripe_api, localstripe_webhooks),
        "wechatpay": wechatpay_notices(wechatpay_fake),
        "alipay": alipay_notices(alipay_fake),
    }
    return {
        name: Rail(name, app_for(db, clock, settings[name]), db, clock, keys, *notices[name])
        for name in settings
    }
