"""A SimulatedStore in the database: the embedded default's payments survive a restart and are
seen by `dongxi payments reconcile` as well as by the server."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.db import Database
from payments.models import SimulatedIdempotencyRow, SimulatedPaymentRow
from payments.providers.base import ProviderEvent, ProviderPayment, ProviderRefund
from payments.providers.simulated_store import SimulatedRecord

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


class DatabaseSimulatedStore:
    """SimulatedStore backed by two small tables; each call is its own short unit of work."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def load(self, provider_ref: str) -> SimulatedRecord | None:
        """Return the record with this provider_ref, or None."""
        with self.db.unit_of_work() as session:
            row = session.get(SimulatedPaymentRow, provider_ref)
            return SimulatedRecord(**_from_json(row.record)) if row else None

    def save(self, record: SimulatedRecord) -> None:
        """Insert or replace the record."""
        with self.db.unit_of_work() as session:
            session.merge(
                SimulatedPaymentRow(
                    provider_ref=record.provider_ref,
                    token=record.token,
                    record=_to_json(dataclasses.asdict(record)),
                )
            )

    def ref_for_token(self, token: str) -> str | None:
        """Return the provider_ref of the record with this pay-page token, or None."""
        with self.db.unit_of_work() as session:
            return session.scalar(
                select(SimulatedPaymentRow.provider_ref).where(SimulatedPaymentRow.token == token)
            )

    def recall(self, idempotency_key: str) -> tuple[str, Any] | None:
        """Return (request fingerprint, result) remembered under an idempotency key, or None."""
        with self.db.unit_of_work() as session:
            row = session.get(SimulatedIdempotencyRow, idempotency_key)
            if row is None:
                return None
            kind, fields = row.result["type"], _from_json(row.result["fields"])
            return row.fingerprint, _RESULT_TYPES[kind](**fields)

    def remember(self, idempotency_key: str, fingerprint: str, result: Any) -> None:
        """Remember the result of the request with this fingerprint under an idempotency key."""
        payload = {"type": type(result).__name__, "fields": _to_json(dataclasses.asdict(result))}
        with self.db.unit_of_work() as session:
            session.merge(
                SimulatedIdempotencyRow(key=idempotency_key, fingerprint=fingerprint, result=payload)
            )
