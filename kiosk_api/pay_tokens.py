"""Finding the order behind a pay-page token."""

from __future__ import annotations

import hmac

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound
from payments.errors import PaymentNotFound
from payments.models import Payment
from payments.providers.base import PaymentProvider
from sales.models import Order


def token_matches(given: str | None, expected: str | None) -> bool:
    """Whether a secret link's token is the order's, in constant time; any text may be given
    (compare_digest refuses non-ASCII str, so both are compared as UTF-8 bytes)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8"))


def provider_ref_for_token(provider: PaymentProvider, token: str) -> str | None:
    """Ask the simulated provider whose pay-page token this is (call it with no session open: its
    store has sessions of its own, and SQLite lets one writer at a time)."""
    if not hasattr(provider, "ref_for_token"):
        return None
    try:
        return provider.ref_for_token(token)
    except PaymentNotFound:
        return None


def order_for_pay_token(session: Session, provider_name: str, token: str, provider_ref: str | None) -> Order:
    """Return the order a pay link names: the order's own token, or the simulated provider's."""
    order = session.scalar(select(Order).where(Order.pay_token == token))
    if order is None and provider_ref is not None:
        payment = session.scalar(
            select(Payment).where(Payment.provider == provider_name, Payment.provider_ref == provider_ref)
        )
        order = session.get(Order, payment.order_id) if payment else None
    if order is None:
        raise NotFound("this payment link is not valid", code="pay_link_not_found")
    return order
