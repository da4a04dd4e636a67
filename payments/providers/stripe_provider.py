"""The Stripe provider: PaymentIntents in CNY for card, WeChat Pay and Alipay, through the official library.

Every mutating call carries the caller's idempotency key, so a call repeated after a crash or a
timeout returns the first result instead of charging twice. Stripe's exceptions never leave this
module: they become the errors of `payments.errors`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import stripe

from core.errors import InvalidInput
from payments.errors import (
    IdempotencyKeyReused,
    PaymentDeclined,
    PaymentNotFound,
    PaymentProviderError,
    PaymentStateConflict,
    ProviderUnavailable,
    WebhookSignatureError,
)
from payments.providers.base import (
    CaptureMode,
    Method,
    ProviderEvent,
    ProviderPayment,
    ProviderRefund,
    check_create,
    check_fen,
    check_idempotency_key,
    header,
)
from payments.providers.stripe_objects import (
    STRIPE_CURRENCY,
    event_from_stripe,
    payment_from_intent,
    refund_from_stripe,
)

WEBHOOK_TOLERANCE_SECONDS = 300
# WeChat Pay and Alipay cannot hold money for a later capture at Stripe; only cards can.
MANUAL_CAPTURE_METHODS = ("card", "any")
_TYPES_FOR_METHOD: dict[str, list[str]] = {
    "card": ["card"],
    "wechat_pay": ["wechat_pay"],
    "alipay": ["alipay"],
    "any": ["card", "wechat_pay", "alipay"],
}


@contextmanager
def _translated() -> Iterator[None]:
    """Turn Stripe's exceptions into the payments errors, keeping Stripe's code in the message."""
    try:
        yield
    except stripe.CardError as exc:
        raise PaymentDeclined(exc.user_message or "the payment was declined") from exc
    except stripe.IdempotencyError as exc:
        raise IdempotencyKeyReused(exc.user_message or "idempotency key reused") from exc
    except stripe.InvalidRequestError as exc:
        detail = f"{exc.user_message or exc} (stripe code {exc.code})"
        if exc.http_status == 404:
            raise PaymentNotFound(detail) from exc
        if exc.code in ("payment_intent_unexpected_state", "charge_already_refunded", "amount_too_large"):
            raise PaymentStateConflict(detail) from exc
        raise PaymentProviderError(detail) from exc
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as exc:
        raise ProviderUnavailable(f"Stripe is unavailable: {exc.user_message or exc}") from exc
    except stripe.StripeError as exc:
        raise PaymentProviderError(f"Stripe refused the request: {exc.user_message or exc}") from exc


def _declined_intent(exc: stripe.CardError) -> Mapping[str, Any] | None:
    """Return the PaymentIntent Stripe attaches to a decline at confirmation, if it did."""
    body = exc.json_body if isinstance(exc.json_body, dict) else {}
    intent = (body.get("error") or {}).get("payment_intent")
    return intent if isinstance(intent, dict) else None


class StripeProvider:
    """PaymentProvider backed by Stripe PaymentIntents."""

    name = "stripe"
    holds = True

    def __init__(
        self,
        *,
        secret_key: str,
        webhook_secret: str,
        api_base: str | None = None,
        http_client: stripe.HTTPClient | None = None,
        max_network_retries: int = 2,
    ) -> None:
        if not secret_key or not webhook_secret:
            raise ValueError("the Stripe provider needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET")
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=http_client,
            max_network_retries=max_network_retries,
        )
        self._webhook_secret = webhook_secret

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
        """Create a PaymentIntent; WeChat Pay and Alipay are confirmed at once so the QR data comes back."""
        check_create(
            reference=reference,
            amount_fen=amount_fen,
            method=method,
            capture=capture,
            idempotency_key=idempotency_key,
        )
        params = _create_params(
            reference, amount_fen, method, capture, description, metadata, payment_method, return_url
        )
        with _translated():
            try:
                intent = self._client.v1.payment_intents.create(
                    params=params,  # type: ignore[arg-type]
                    options={"idempotency_key": idempotency_key},
                )
            except stripe.CardError as exc:
                declined = _declined_intent(exc)
                if declined is None:
                    raise
                return payment_from_intent(declined)
        return payment_from_intent(intent.to_dict())

    def get_payment(self, provider_ref: str) -> ProviderPayment:
        """Retrieve a PaymentIntent."""
        with _translated():
            intent = self._client.v1.payment_intents.retrieve(provider_ref)
        return payment_from_intent(intent.to_dict())

    def capture(self, provider_ref: str, *, amount_fen: int, idempotency_key: str) -> ProviderPayment:
        """Capture amount_fen of an authorized PaymentIntent; Stripe releases the uncaptured rest."""
        check_fen(amount_fen)
        check_idempotency_key(idempotency_key)
        with _translated():
            intent = self._client.v1.payment_intents.capture(
                provider_ref,
                params={"amount_to_capture": amount_fen},
                options={"idempotency_key": idempotency_key},
            )
        return payment_from_intent(intent.to_dict())

    def cancel(self, provider_ref: str, *, idempotency_key: str) -> ProviderPayment:
        """Cancel a PaymentIntent that has not been captured, releasing any hold."""
        check_idempotency_key(idempotency_key)
        with _translated():
            intent = self._client.v1.payment_intents.cancel(
                provider_ref, options={"idempotency_key": idempotency_key}
            )
        return payment_from_intent(intent.to_dict())

    def refund(
        self, provider_ref: str, *, amount_fen: int, idempotency_key: str, reason: str
    ) -> ProviderRefund:
        """Refund amount_fen of a captured PaymentIntent; our reason travels in the refund's metadata."""
        check_fen(amount_fen)
        check_idempotency_key(idempotency_key)
        # Stripe's own `reason` is a closed list (duplicate, fraudulent, requested_by_customer);
        # ours is free text such as "vend failed: motor_jam", so it goes in metadata.
        params = {"payment_intent": provider_ref, "amount": amount_fen, "metadata": {"reason": reason[:500]}}
        with _translated():
            refund = self._client.v1.refunds.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        return refund_from_stripe(refund.to_dict())

    def get_refund(self, provider_ref: str) -> ProviderRefund:
        """Retrieve a Refund (one Stripe answered `pending` settles later)."""
        with _translated():
            refund = self._client.v1.refunds.retrieve(provider_ref)
        return refund_from_stripe(refund.to_dict())

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify the Stripe-Signature header with the library (tolerance 300 s) and normalise the event."""
        signature = header(headers, "Stripe-Signature")
        try:
            event = self._client.construct_event(
                payload, signature, self._webhook_secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError as exc:
            raise WebhookSignatureError(f"Stripe webhook refused: {exc.user_message or exc}") from exc
        except UnicodeDecodeError as exc:  # not text, so no signature can match it
            raise WebhookSignatureError("Stripe webhook body is not UTF-8") from exc
        except ValueError as exc:  # signed, but not JSON: nothing to record
            raise InvalidInput(f"Stripe webhook body is not an event: {exc}") from exc
        try:
            return event_from_stripe(event.to_dict())
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"Stripe webhook body is not an event: {exc!r}") from exc


def _create_params(
    reference: str,
    amount_fen: int,
    method: str,
    capture: str,
    description: str,
    metadata: Mapping[str, str] | None,
    payment_method: str | None,
    return_url: str | None,
) -> dict[str, Any]:
    """Build the PaymentIntent create parameters for one of our methods."""
    if capture == "manual" and method not in MANUAL_CAPTURE_METHODS:
        raise InvalidInput(
            f"Stripe cannot hold a {method} payment for later capture; use card",
            code="capture_not_supported",
            fields={"method": "card or any for manual capture"},
        )
    types = ["card"] if capture == "manual" else _TYPES_FOR_METHOD[method]
    params: dict[str, Any] = {
        "amount": amount_fen,
        "currency": STRIPE_CURRENCY,
        "capture_method": capture,
        "payment_method_types": types,
        "metadata": {**{k: str(v) for k, v in (metadata or {}).items()}, "reference": reference},
    }
    if description:
        params["description"] = description
    if "wechat_pay" in types:
        params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
    if method in ("wechat_pay", "alipay"):
        # Confirm on the server so that the QR data (WeChat) or the redirect page (Alipay) comes back.
        params["confirm"] = True
        params["payment_method_data"] = {"type": method}
    elif payment_method:
        params["confirm"] = True
        params["payment_method"] = payment_method
    if method == "alipay" and not return_url:
        raise InvalidInput("Alipay needs a return_url", fields={"return_url": "required for alipay"})
    if return_url and params.get("confirm"):
        params["return_url"] = return_url
    return params
