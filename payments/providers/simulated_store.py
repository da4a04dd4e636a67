"""Where the simulated provider keeps its payments and idempotency results: a pluggable store.

The default keeps them in memory, which is enough for one process; a store backed by the database
only has to implement `SimulatedStore`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from core.ids import sha256_hex
from payments.errors import IdempotencyKeyReused
from payments.providers.base import PaymentStatus


@dataclass(frozen=True)
class SimulatedRecord:
    """One simulated payment; replaced, never mutated."""

    provider_ref: str
    token: str  # the pay page's token: {PUBLIC_BASE_URL}/pay/{token}
    reference: str
    amount_fen: int
    method: str
    capture: str
    status: PaymentStatus
    created: datetime
    amount_capturable_fen: int = 0
    amount_received_fen: int = 0
    amount_refunded_fen: int = 0
    description: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


class StoreConflict(Exception):
    """Two operations wrote the same record or key at once; the provider tries its operation again."""


class SimulatedStoreTransaction(Protocol):
    """One atomic step of the simulated provider: what it reads, checks and writes, all or nothing."""

    def load(self, provider_ref: str) -> SimulatedRecord | None:
        """Return the record with this provider_ref (held until the step ends), or None."""
        ...

    def save(self, record: SimulatedRecord) -> None:
        """Insert or replace the record with this provider_ref."""
        ...

    def ref_for_token(self, token: str) -> str | None:
        """Return the provider_ref of the record with this pay-page token, or None."""
        ...

    def recall(self, idempotency_key: str) -> tuple[str, Any] | None:
        """Return (request fingerprint, result) remembered under an idempotency key, or None."""
        ...

    def remember(self, idempotency_key: str, fingerprint: str, result: Any) -> None:
        """Remember the result of the request with this fingerprint under an idempotency key."""
        ...


class SimulatedStore(Protocol):
    """Persistence for the simulated provider: each operation runs as one `atomic` step."""

    def atomic(self) -> AbstractContextManager[SimulatedStoreTransaction]:
        """Begin one step; raise StoreConflict if it collided with another and may be tried again."""
        ...


class InMemorySimulatedStore:
    """SimulatedStore in dictionaries: state lasts as long as the process."""

    def __init__(self) -> None:
        self._records: dict[str, SimulatedRecord] = {}
        self._tokens: dict[str, str] = {}
        self._results: dict[str, tuple[str, Any]] = {}
        # The dictionaries belong to this one store; a step holds them for its read-check-write.
        self._lock = threading.Lock()

    @contextmanager
    def atomic(self) -> Iterator[InMemorySimulatedStore]:
        """One step: the store itself, held for the step."""
        with self._lock:
            yield self

    def load(self, provider_ref: str) -> SimulatedRecord | None:
        """Return the record, or None."""
        return self._records.get(provider_ref)

    def save(self, record: SimulatedRecord) -> None:
        """Insert or replace the record."""
        self._records[record.provider_ref] = record
        self._tokens[record.token] = record.provider_ref

    def ref_for_token(self, token: str) -> str | None:
        """Return the provider_ref for a pay-page token, or None."""
        return self._tokens.get(token)

    def recall(self, idempotency_key: str) -> tuple[str, Any] | None:
        """Return the remembered (fingerprint, result), or None."""
        return self._results.get(idempotency_key)

    def remember(self, idempotency_key: str, fingerprint: str, result: Any) -> None:
        """Remember a result under its key."""
        self._results[idempotency_key] = (fingerprint, result)


@dataclass
class Outcome:
    """The result of an idempotent request: already there if the key was seen, else set by the caller."""

    result: Any = None


@contextmanager
def remembered(
    store: SimulatedStoreTransaction, idempotency_key: str, request: tuple[Any, ...]
) -> Iterator[Outcome]:
    """Replay the first result for a key, refuse the key with other parameters, or remember a new result.

    A request that raised is not remembered, so it may be tried again with the same key.
    """
    fingerprint = sha256_hex(repr(request))
    prior = store.recall(idempotency_key)
    if prior is not None:
        if prior[0] != fingerprint:
            raise IdempotencyKeyReused(f"idempotency key {idempotency_key!r} was used for another request")
        yield Outcome(prior[1])
        return
    outcome = Outcome()
    yield outcome
    if outcome.result is not None:
        store.remember(idempotency_key, fingerprint, outcome.result)
