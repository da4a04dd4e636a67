"""The provider boundary: what orders and webhooks may ask of any payment provider, in integer fen of CNY.

Orders code sees only these dataclasses and the errors in `payments.errors`; it never learns which
provider answered. Statuses are normalised:

- payment: `requires_payment` (created, waiting for the shopper), `requires_capture` (authorized,
  a hold), `succeeded` (captured), `canceled` (released or abandoned), `failed` (the last attempt
  was declined; the shopper may try again, so it is not final);
- refund: `succeeded`, `pending`, `failed`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, get_args

from core.errors import InvalidInput

CURRENCY = "CNY"

Method = Literal["card", "wechat_pay", "alipay", "any"]
CaptureMode = Literal["automatic", "manual"]
PaymentStatus = Literal["requires_payment", "requires_capture", "succeeded", "canceled", "failed"]
RefundStatus = Literal["succeeded", "pending", "failed"]
EventType = Literal[
    "payment_succeeded",  # money captured
    "payment_authorized",  # a hold is in place, ready to capture
    "payment_failed",  # an attempt was declined
    "payment_canceled",  # the payment or its hold was released
    "payment_refunded",  # some or all captured money went back to the shopper
    "refund_updated",  # one of our refunds moved at the provider (succeeded, failed): see `refund`
    "ignored",  # verified, but nothing for orders to do (store its id all the same)
]

METHODS: tuple[str, ...] = get_args(Method)
CAPTURE_MODES: tuple[str, ...] = get_args(CaptureMode)
PAYMENT_STATUSES: tuple[str, ...] = get_args(PaymentStatus)
REFUND_STATUSES: tuple[str, ...] = get_args(RefundStatus)
EVENT_TYPES: tuple[str, ...] = get_args(EventType)

# Stripe's limit for an idempotency key; other providers accept at least as long.
MAX_IDEMPOTENCY_KEY_LENGTH = 255


@dataclass(frozen=True)
class ProviderPayment:
    """A provider's view of one payment, as it stood when the provider answered."""

    provider_ref: str
    status: PaymentStatus
    amount_fen: int
    amount_capturable_fen: int
    amount_received_fen: int
    qr_payload: str | None = None  # what the kiosk renders as a QR code, when the method has one
    client_secret: str | None = None  # for a provider's browser library on the pay page
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class ProviderRefund:
    """A provider's view of one refund."""

    provider_ref: str
    payment_ref: str
    status: RefundStatus
    amount_fen: int
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class ProviderEvent:
    """A verified notification about a payment; amounts are None where the event does not tell them."""

    event_id: str
    type: EventType
    provider_type: str  # the provider's own name for the event, for logs
    provider_ref: str | None  # the payment it concerns
    status: PaymentStatus | None
    amount_fen: int | None
    amount_capturable_fen: int | None
    amount_received_fen: int | None
    amount_refunded_fen: int | None
    created: datetime  # timezone-aware
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    refund: ProviderRefund | None = None  # the refund a `refund_updated` event is about
    # True where no running-total event will follow for a refund made at the provider (WeChat Pay
    # sends only the refund's own notification): a `refund_updated` about a refund we did not ask
    # for is then booked from it. Stripe's charge.refunded carries the total, so its events leave it False.
    refund_is_its_own_record: bool = False


class PaymentProvider(Protocol):
    """What the orders and webhook code may ask of a payment provider."""

    name: str
    # Whether it can hold money for a later capture (capture="manual") for an open-door visit; at
    # one that cannot (WeChat Pay, Alipay here) the visit is paid by a deposit instead (docs/DESIGN.md,
    # "Open-door cabinets and mainland providers").
    holds: bool

    def create_payment(
        self,
        *,
        reference: str,
        amount_fen: int,
        method: Method,
        capture: CaptureMode,
        idempotency_key: str,
        description: str = "",
        metadata: Mapping[str, str] | None = None,
        payment_method: str | None = None,
        return_url: str | None = None,
    ) -> ProviderPayment:
        """Create a payment; a QR method, or a payment_method token from the provider's JS, starts it at once.

        return_url is where a redirect method (Alipay) sends the shopper back; metadata travels with
        the payment at the provider, next to `reference`, for reconciliation.
        """
        ...

    def get_payment(self, provider_ref: str) -> ProviderPayment:
        """Fetch the provider's current view of a payment (reconciliation)."""
        ...

    def capture(self, provider_ref: str, *, amount_fen: int, idempotency_key: str) -> ProviderPayment:
        """Capture amount_fen (at most the amount held) of an authorized payment; the rest is released."""
        ...

    def cancel(self, provider_ref: str, *, idempotency_key: str) -> ProviderPayment:
        """Cancel a payment not yet captured, releasing any hold."""
        ...

    def refund(
        self, provider_ref: str, *, amount_fen: int, idempotency_key: str, reason: str
    ) -> ProviderRefund:
        """Refund amount_fen of a captured payment; several partial refunds may follow each other."""
        ...

    def get_refund(self, provider_ref: str) -> ProviderRefund:
        """Fetch the provider's current view of a refund (reconciling one it answered `pending`)."""
        ...

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify a webhook's signature and normalise it; raise WebhookSignatureError if it is not genuine."""
        ...


def check_fen(value: object, name: str = "amount_fen") -> int:
    """Return value if it is a positive integer of fen, else raise InvalidInput naming the field."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InvalidInput(f"{name} must be a positive integer of fen", fields={name: "positive integer"})
    return value


def check_idempotency_key(key: object) -> str:
    """Return key if it is a usable idempotency key, else raise InvalidInput."""
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise InvalidInput(
            "idempotency_key must be a non-empty string of at most 255 characters",
            fields={"idempotency_key": "required"},
        )
    return key


def check_create(
    *, reference: object, amount_fen: object, method: object, capture: object, idempotency_key: object
) -> None:
    """Refuse a create_payment request that no provider could accept."""
    if not isinstance(reference, str) or not reference.strip():
        raise InvalidInput("reference is required", fields={"reference": "required"})
    check_fen(amount_fen)
    if method not in METHODS:
        raise InvalidInput(f"unknown payment method {method!r}", fields={"method": f"one of {METHODS}"})
    if capture not in CAPTURE_MODES:
        raise InvalidInput(f"unknown capture mode {capture!r}", fields={"capture": f"one of {CAPTURE_MODES}"})
    check_idempotency_key(idempotency_key)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Return a header's value whatever the case of its name in a plain mapping."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)
