"""Errors of the payments package; every provider raises these, never its own library's exceptions."""

from __future__ import annotations

from core.errors import Conflict, DomainError, NotFound


class WebhookSignatureError(DomainError):
    """A webhook's signature is missing, wrong, or older than the tolerance: nothing may be recorded."""

    code = "webhook_signature_invalid"


class PaymentProviderError(DomainError):
    """The provider refused a request for a reason that is neither the shopper's nor a state conflict."""

    code = "payment_provider_error"


class ProviderUnavailable(PaymentProviderError):
    """The provider could not be reached or failed on its side; retry later with the same idempotency key."""

    code = "payment_provider_unavailable"


class PaymentDeclined(DomainError):
    """The shopper's payment method was declined."""

    code = "payment_declined"


class PaymentNotFound(NotFound):
    """The provider knows no payment with that reference."""

    code = "payment_not_found"


class PaymentStateConflict(Conflict):
    """The payment's state forbids this (capture of an unauthorized payment, refund too large)."""

    code = "payment_state_conflict"


class IdempotencyKeyReused(Conflict):
    """An idempotency key was sent again with different parameters."""

    code = "idempotency_key_reused"
