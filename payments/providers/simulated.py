"""The simulated provider: the embedded default, so that kiosks, the storefront and demos work offline.

It behaves like a card provider that never talks to anyone: a payment waits until someone "pays"
it (`simulate_pay`, the pay page's button), holds and captures like a card, refunds in parts, and
honours idempotency keys as Stripe does. `simulate_*` return the same ProviderEvent a verified
webhook would, so orders code handles both providers the same way. State lives in a pluggable
store (in memory by default).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, replace
from typing import Any, TypeVar

from core.clock import Clock, SystemClock
from core.ids import new_token
from payments.errors import PaymentNotFound, PaymentStateConflict, WebhookSignatureError
from payments.providers.base import (
    CaptureMode,
    EventType,
    Method,
    PaymentStatus,
    ProviderEvent,
    ProviderPayment,
    ProviderRefund,
    check_create,
    check_fen,
    check_idempotency_key,
)
from payments.providers.simulated_store import (
    InMemorySimulatedStore,
    SimulatedRecord,
    SimulatedStore,
    SimulatedStoreTransaction,
    StoreConflict,
    remembered,
)

F = TypeVar("F", bound=Callable[..., Any])

# What a shopper's action leaves a payment in, and the event that reports it.
_EVENT_FOR_STATUS: dict[str, EventType] = {
    "succeeded": "payment_succeeded",
    "requires_capture": "payment_authorized",
    "failed": "payment_failed",
}


def _retried(method: F) -> F:
    """Run a store step again when it collided with a concurrent one (the same idempotency key at
    once): the second try finds what the first wrote, as a provider answers a repeated key."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for _attempt in range(4):
            try:
                return method(*args, **kwargs)
            except StoreConflict:
                continue
        return method(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class SimulatedProvider:
    """PaymentProvider that settles payments when told to, for `make run`, demos and tests."""

    name = "simulated"
    holds = True

    def __init__(
        self,
        pay_url_for: Callable[[str], str],
        *,
        store: SimulatedStore | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._pay_url_for = pay_url_for
        self._store = store if store is not None else InMemorySimulatedStore()
        self._clock = clock or SystemClock()

    @_retried
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
        """Create a payment waiting for the shopper; with payment_method it is paid (or held) at once."""
        check_create(
            reference=reference,
            amount_fen=amount_fen,
            method=method,
            capture=capture,
            idempotency_key=idempotency_key,
        )
        items = sorted((metadata or {}).items())
        request = (
            "create",
            reference,
            amount_fen,
            method,
            capture,
            description,
            items,
            payment_method,
            return_url,
        )
        with self._step() as store, remembered(store, idempotency_key, request) as outcome:
            if outcome.result is None:
                record = SimulatedRecord(
                    provider_ref=f"simpi_{new_token(12)}",
                    token=new_token(16),
                    reference=reference,
                    amount_fen=amount_fen,
                    method=method,
                    capture=capture,
                    status="requires_payment",
                    description=description,
                    metadata=dict(metadata or {}),
                    created=self._clock.now(),
                )
                if payment_method:
                    record = _paid(record)
                store.save(record)
                outcome.result = self._payment(record)
            return outcome.result

    def get_payment(self, provider_ref: str) -> ProviderPayment:
        """Return the payment as it stands."""
        with self._step() as store:
            return self._payment(_load(store, provider_ref))

    @_retried
    def capture(self, provider_ref: str, *, amount_fen: int, idempotency_key: str) -> ProviderPayment:
        """Capture amount_fen of a held payment and release the rest."""
        check_fen(amount_fen)
        check_idempotency_key(idempotency_key)
        with (
            self._step() as store,
            remembered(store, idempotency_key, ("capture", provider_ref, amount_fen)) as out,
        ):
            if out.result is None:
                record = _load(store, provider_ref)
                _require(record, ("requires_capture",), "capture")
                if amount_fen > record.amount_capturable_fen:
                    raise PaymentStateConflict(
                        f"cannot capture {amount_fen} fen of a {record.amount_capturable_fen} fen hold"
                    )
                record = replace(
                    record, status="succeeded", amount_capturable_fen=0, amount_received_fen=amount_fen
                )
                store.save(record)
                out.result = self._payment(record)
            return out.result

    @_retried
    def cancel(self, provider_ref: str, *, idempotency_key: str) -> ProviderPayment:
        """Cancel a payment that has not been captured, releasing any hold."""
        check_idempotency_key(idempotency_key)
        with self._step() as store, remembered(store, idempotency_key, ("cancel", provider_ref)) as out:
            if out.result is None:
                record = _load(store, provider_ref)
                _require(record, ("requires_payment", "requires_capture", "failed"), "cancel")
                record = replace(record, status="canceled", amount_capturable_fen=0)
                store.save(record)
                out.result = self._payment(record)
            return out.result

    @_retried
    def refund(
        self, provider_ref: str, *, amount_fen: int, idempotency_key: str, reason: str
    ) -> ProviderRefund:
        """Refund amount_fen of what was captured and not yet refunded."""
        check_fen(amount_fen)
        check_idempotency_key(idempotency_key)
        request = ("refund", provider_ref, amount_fen, reason)
        with self._step() as store, remembered(store, idempotency_key, request) as out:
            if out.result is None:
                record = _load(store, provider_ref)
                _require(record, ("succeeded",), "refund")
                refundable = record.amount_received_fen - record.amount_refunded_fen
                if amount_fen > refundable:
                    raise PaymentStateConflict(f"cannot refund {amount_fen} fen; {refundable} fen refundable")
                record = replace(record, amount_refunded_fen=record.amount_refunded_fen + amount_fen)
                store.save(record)
                refund_ref = f"simre_{new_token(12)}"
                raw = {"id": refund_ref, "payment": provider_ref, "amount_fen": amount_fen, "reason": reason}
                out.result = ProviderRefund(refund_ref, provider_ref, "succeeded", amount_fen, raw)
                # Kept by its own reference too, for get_refund (the store remembers results by key).
                store.remember(_refund_key(refund_ref), "", out.result)
            return out.result

    def get_refund(self, provider_ref: str) -> ProviderRefund:
        """Return a refund as it stands (a simulated refund succeeds at once)."""
        with self._step() as store:
            found = store.recall(_refund_key(provider_ref))
        if found is None:
            raise PaymentNotFound(f"no simulated refund {provider_ref}")
        return found[1]

    def parse_webhook(self, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Refuse: nothing sends webhooks to a simulated provider, so any that arrives is not genuine."""
        raise WebhookSignatureError("the simulated payment provider receives no webhooks")

    def ref_for_token(self, token: str) -> str:
        """Return the provider_ref of the payment whose pay page has this token."""
        with self._step() as store:
            ref = store.ref_for_token(token)
        if ref is None:
            raise PaymentNotFound("no simulated payment has that token")
        return ref

    @_retried
    def simulate_pay(self, provider_ref: str) -> ProviderEvent:
        """Pay as the shopper would: captured at once, or only held if the payment is manual capture."""
        with self._step() as store:
            record = _load(store, provider_ref)
            _require(record, ("requires_payment", "failed"), "pay")
            return self._settle(store, _paid(record))

    @_retried
    def simulate_pay_token(self, token: str) -> ProviderEvent:
        """Pay (or hold, for manual capture) the payment whose pay page has this token, in one step."""
        with self._step() as store:
            ref = store.ref_for_token(token)
            if ref is None:
                raise PaymentNotFound("no simulated payment has that token")
            record = _load(store, ref)
            _require(record, ("requires_payment", "failed"), "pay")
            return self._settle(store, _paid(record))

    def simulate_authorize(self, provider_ref: str) -> ProviderEvent:
        """Place the hold of a manual-capture payment, as an open-door kiosk's shopper does."""
        with self._step() as store:
            record = _load(store, provider_ref)
            _require(record, ("requires_payment", "failed"), "authorize")
            if record.capture != "manual":
                raise PaymentStateConflict("only a manual-capture payment can be authorized")
            return self._settle(store, _paid(record))

    @_retried
    def simulate_fail(self, provider_ref: str) -> ProviderEvent:
        """Decline the shopper's attempt; like a real decline, the payment may still be paid later."""
        with self._step() as store:
            record = _load(store, provider_ref)
            _require(record, ("requires_payment", "failed"), "fail")
            return self._settle(store, replace(record, status="failed"))

    def _settle(self, store: SimulatedStoreTransaction, record: SimulatedRecord) -> ProviderEvent:
        """Save a shopper-driven change and describe it as the webhook path would."""
        store.save(record)
        event_type = _EVENT_FOR_STATUS[record.status]
        event_id = f"evt_sim_{new_token(12)}"
        payment = self._payment(record)
        return ProviderEvent(
            event_id=event_id,
            type=event_type,
            provider_type=f"simulated.{event_type}",
            provider_ref=record.provider_ref,
            status=record.status,
            amount_fen=record.amount_fen,
            amount_capturable_fen=record.amount_capturable_fen,
            amount_received_fen=record.amount_received_fen,
            amount_refunded_fen=None,
            created=self._clock.now(),
            raw={"id": event_id, "type": event_type, "payment": dict(payment.raw)},
        )

    @contextmanager
    def _step(self) -> Iterator[SimulatedStoreTransaction]:
        """One atomic step of the store (its own short transaction in the database store)."""
        with self._store.atomic() as store:
            yield store

    def _payment(self, record: SimulatedRecord) -> ProviderPayment:
        raw = {**asdict(record), "created": record.created.isoformat()}
        return ProviderPayment(
            provider_ref=record.provider_ref,
            status=record.status,
            amount_fen=record.amount_fen,
            amount_capturable_fen=record.amount_capturable_fen,
            amount_received_fen=record.amount_received_fen,
            qr_payload=self._pay_url_for(record.token),
            client_secret=None,
            raw=raw,
        )


def _refund_key(refund_ref: str) -> str:
    return f"refund-ref:{refund_ref}"


def _load(store: SimulatedStoreTransaction, provider_ref: str) -> SimulatedRecord:
    record = store.load(provider_ref)
    if record is None:
        raise PaymentNotFound(f"no simulated payment {provider_ref}")
    return record


def _paid(record: SimulatedRecord) -> SimulatedRecord:
    """The record after the shopper paid: held for manual capture, captured otherwise."""
    if record.capture == "manual":
        return replace(record, status="requires_capture", amount_capturable_fen=record.amount_fen)
    return replace(record, status="succeeded", amount_received_fen=record.amount_fen)


def _require(record: SimulatedRecord, allowed: tuple[PaymentStatus, ...], action: str) -> None:
    if record.status not in allowed:
        raise PaymentStateConflict(f"cannot {action} a payment that is {record.status}")
