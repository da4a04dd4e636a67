"""Finding the order behind a pay-page token."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound
from payments.errors import PaymentNotFound
from payments.models import Payment
from payments.providers.base import PaymentProvider
from sales.models import Order


def order_for_pay_token(session: Session, provider: PaymentProvider, token: str) -> Order:
    """Return the order a pay link names: the order's own token, or the simulated provider's."""
    order = session.scalar(select(Order).where(Order.pay_token == token))
    if order is None and hasattr(provider, "ref_for_token"):
        try:
            ref = provider.ref_for_token(token)
        except PaymentNotFound:
            ref = None
        if ref is not None:
            payment = session.scalar(
                select(Payment).where(Payment.provider == provider.name, Payment.provider_ref == ref)
            )
            order = session.get(Order, payment.order_id) if payment else None
    if order is None:
        raise NotFound("this payment link is not valid", code="pay_link_not_found")
    return order
