"""A SimulatedStore in the database: the embedded default's payments survive a restart and are
seen by `dongxi payments reconcile` as well as by the server.

Each operation of the simulated provider is one short unit of work here: the record's row is
read FOR UPDATE, so two operations on one payment wait for each other, and operations on other
payments never do (no process-wide lock)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import Database
from payments.models import SimulatedIdempotencyRow, SimulatedPaymentRow
from payments.providers.base import ProviderEvent, ProviderPayment, ProviderRefund
from payments.providers.simulated_store import SimulatedRecord, StoreConflict

_RESULT_TYPES = {cls.__name__: cls for cls in (ProviderPayment, ProviderRefund, ProviderEvent)}


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__datetime__"}:
            return datetime.fromisoformat(value["__datetime__"])
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


class _Step:
    """One operation's reads and writes, in one session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._rows: dict[str, SimulatedPaymentRow] = {}

    def load(self, provider_ref: str) -> SimulatedRecord | None:
        """Return the record with this provider_ref, its row locked until the step ends."""
        row = self._rows.get(provider_ref) or self.session.get(
            SimulatedPaymentRow, provider_ref, with_for_update=True
        )
        if row is None:
            return None
        self._rows[provider_ref] = row
        return SimulatedRecord(**_from_json(row.record))

    def save(self, record: SimulatedRecord) -> None:
        """Insert the record, or replace the one this step loaded."""
        values = _to_json(dataclasses.asdict(record))
        row = self._rows.get(record.provider_ref)
        if row is None:
            self.session.add(
                SimulatedPaymentRow(provider_ref=record.provider_ref, token=record.token, record=values)
            )
        else:
            row.record = values

    def ref_for_token(self, token: str) -> str | None:
        """Return the provider_ref of the record with this pay-page token, or None; its row is then
        locked and read already (a step that looks a payment up by token goes on to change it)."""
        row = self.session.scalar(
            select(SimulatedPaymentRow).where(SimulatedPaymentRow.token == token).with_for_update()
        )
        if row is None:
            return None
        self._rows[row.provider_ref] = row
        return row.provider_ref

    def recall(self, idempotency_key: str) -> tuple[str, Any] | None:
        """Return (request fingerprint, result) remembered under an idempotency key, or None."""
        row = self.session.get(SimulatedIdempotencyRow, idempotency_key)
        if row is None:
            return None
        kind, fields = row.result["type"], _from_json(row.result["fields"])
        return row.fingerprint, _RESULT_TYPES[kind](**fields)

    def remember(self, idempotency_key: str, fingerprint: str, result: Any) -> None:
        """Remember the result of the request with this fingerprint under an idempotency key."""
        payload = {"type": type(result).__name__, "fields": _to_json(dataclasses.asdict(result))}
        self.session.add(
            SimulatedIdempotencyRow(key=idempotency_key, fingerprint=fingerprint, result=payload)
        )


class DatabaseSimulatedStore:
    """SimulatedStore backed by two small tables; each operation is one short unit of work."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @contextmanager
    def atomic(self) -> Iterator[_Step]:
        """One operation; a key or record written by a concurrent one raises StoreConflict."""
        try:
            with self.db.unit_of_work() as session:
                yield _Step(session)
        except IntegrityError as exc:  # the same idempotency key (or payment) written at once
            raise StoreConflict(str(exc.orig)) from exc
