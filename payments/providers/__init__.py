"""Payment providers behind one interface; `make_provider` picks one from the configuration.

Keys and the webhook secret come only from the configuration, which the app fills from the
environment (PAYMENT_PROVIDER, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_API_BASE; the
WECHATPAY_* settings of payments/providers/wechatpay_config.py; the
ALIPAY_* settings of payments/providers/alipay_config.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from core.clock import Clock
from payments.providers.base import (
    CURRENCY,
    PaymentProvider,
    ProviderEvent,
    ProviderPayment,
    ProviderRefund,
)
from payments.providers.simulated import SimulatedProvider
from payments.providers.simulated_store import SimulatedStore

PROVIDER_NAMES = ("simulated", "stripe", "wechatpay", "alipay")

__all__ = [
    "CURRENCY",
    "PROVIDER_NAMES",
    "PaymentProvider",
    "ProviderEvent",
    "ProviderPayment",
    "ProviderRefund",
    "SimulatedProvider",
    "make_provider",
]


def make_provider(
    config: Mapping[str, Any],
    pay_url_for: Callable[[str], str],
    *,
    clock: Clock | None = None,
    simulated_store: SimulatedStore | None = None,
) -> PaymentProvider:
    """Build the provider PAYMENT_PROVIDER names (default simulated); ValueError on bad configuration."""
    name = str(config.get("PAYMENT_PROVIDER") or "simulated").strip().lower()
    if name == "simulated":
        return SimulatedProvider(pay_url_for, store=simulated_store, clock=clock)
    if name == "stripe":
        missing = [key for key in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET") if not config.get(key)]
        if missing:
            raise ValueError(f"PAYMENT_PROVIDER=stripe needs {' and '.join(missing)} in the environment")
        # Imported here so that only a Stripe configuration loads the stripe library.
        from payments.providers.stripe_provider import StripeProvider

        return StripeProvider(
            secret_key=str(config["STRIPE_SECRET_KEY"]),
            webhook_secret=str(config["STRIPE_WEBHOOK_SECRET"]),
            api_base=config.get("STRIPE_API_BASE") or None,
        )
    if name == "wechatpay":
        # Imported here so that only a WeChat Pay configuration loads the wechatpayv3 library.
        from payments.providers.wechatpay_config import make_wechatpay_provider

        return make_wechatpay_provider(config)
    if name == "alipay":
        # Imported here so that only an Alipay configuration loads the alipay SDK.
        from payments.providers.alipay_config import make_alipay_provider

        return make_alipay_provider(config)
    raise ValueError(f"PAYMENT_PROVIDER must be one of {', '.join(PROVIDER_NAMES)}, not {name!r}")
