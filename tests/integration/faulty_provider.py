"""The simulated provider behind a switchboard of faults, for tests that break the provider on purpose.

Each fault is armed for the next call of one operation (`create_payment`, `capture`, `cancel`,
`refund`, `get_payment`, `get_refund`) and used up by it:

- `raise`: the provider is unreachable; nothing happens there (ProviderUnavailable).
- `timeout`: the provider acts, but its answer is lost (ProviderUnavailable after the call).
- `restart_before` / `restart_after`: the server dies just before the call, or just after it and
  before recording the answer (`Restart`, which nothing in the application catches).
- `answer_pending` (refund, get_refund): the provider pays the refund out but answers `pending`.
- `answer_failed` (refund): the provider refuses the refund and says `failed`; nothing moves, and
  the same idempotency key gets the same failure again, as Stripe answers a repeated key. A key
  the provider already acted on (its answer lost: `timeout`, `restart_after`) gets that first
  answer instead, as Stripe's would: a refund paid out is never refused afterwards.

The shopper's own actions (`simulate_pay`, `simulate_fail`) go to the provider untouched."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

from payments.errors import ProviderUnavailable
from payments.providers.base import ProviderRefund
from payments.providers.simulated import SimulatedProvider

FAULTS = ("raise", "timeout", "restart_before", "restart_after")
REFUND_FAULTS = (*FAULTS, "answer_pending", "answer_failed")


class Restart(Exception):
    """The server process died here: whatever was to follow in it never ran."""


class FaultyProvider:
    """A PaymentProvider that is a SimulatedProvider, except where a fault is armed."""

    def __init__(self, inner: SimulatedProvider) -> None:
        self.inner = inner
        self.name = inner.name
        self.holds = inner.holds
        self.faults: dict[str, list[str]] = defaultdict(list)
        self._failed: dict[str, ProviderRefund] = {}  # refunds refused, by idempotency key and by ref
        self._sent: set[str] = set()  # idempotency keys of refunds the provider acted on

    def arm(self, operation: str, fault: str) -> None:
        """Make the next call of `operation` go wrong in this way."""
        self.faults[operation].append(fault)

    def heal(self) -> None:
        """Disarm every fault: the provider answers every call from now on."""
        self.faults.clear()

    def _next_fault(self, operation: str) -> str | None:
        armed = self.faults.get(operation)
        return armed.pop(0) if armed else None

    def _call(self, operation: str, call: Any) -> Any:
        fault = self._next_fault(operation)
        if fault == "raise":
            raise ProviderUnavailable(f"{operation}: the provider could not be reached")
        if fault == "restart_before":
            raise Restart(f"the server died before {operation}")
        answer = call()
        if fault == "timeout":
            raise ProviderUnavailable(f"{operation}: timed out (the provider acted)")
        if fault == "restart_after":
            raise Restart(f"the server died after {operation}, before recording its answer")
        return answer

    def create_payment(self, **kwargs: Any) -> Any:
        return self._call("create_payment", lambda: self.inner.create_payment(**kwargs))

    def get_payment(self, provider_ref: str) -> Any:
        return self._call("get_payment", lambda: self.inner.get_payment(provider_ref))

    def capture(self, provider_ref: str, **kwargs: Any) -> Any:
        return self._call("capture", lambda: self.inner.capture(provider_ref, **kwargs))

    def cancel(self, provider_ref: str, **kwargs: Any) -> Any:
        return self._call("cancel", lambda: self.inner.cancel(provider_ref, **kwargs))

    def refund(
        self, provider_ref: str, *, amount_fen: int, idempotency_key: str, reason: str
    ) -> ProviderRefund:
        if idempotency_key in self._failed:
            return self._failed[idempotency_key]
        fault = self._next_fault("refund")
        if fault == "answer_failed" and idempotency_key not in self._sent:
            refused = ProviderRefund(f"simre_failed_{len(self._failed)}", provider_ref, "failed", amount_fen)
            self._failed[idempotency_key] = self._failed[refused.provider_ref] = refused
            return refused
        if fault == "answer_failed":
            fault = None  # the first answer stands
        if fault is not None:
            self.faults["refund"].insert(0, fault)

        def send() -> ProviderRefund:
            answer = self.inner.refund(
                provider_ref, amount_fen=amount_fen, idempotency_key=idempotency_key, reason=reason
            )
            self._sent.add(idempotency_key)
            return answer

        answer = self._call("refund", send)
        return replace(answer, status="pending") if fault == "answer_pending" else answer

    def get_refund(self, provider_ref: str) -> ProviderRefund:
        if provider_ref in self._failed:
            return self._failed[provider_ref]
        fault = self._next_fault("get_refund")
        if fault is not None:
            self.faults["get_refund"].insert(0, fault)
        answer = self._call("get_refund", lambda: self.inner.get_refund(provider_ref))
        return replace(answer, status="pending") if fault == "answer_pending" else answer

    def parse_webhook(self, payload: bytes, headers: Any) -> Any:
        return self.inner.parse_webhook(payload, headers)
