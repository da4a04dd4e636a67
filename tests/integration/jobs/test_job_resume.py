"""A job killed half-way is finished by its next run (issue 12): each batch — here each order —
commits on its own, so what the first run finished stays finished and the next run does the rest."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from sqlalchemy import select

from devices.models import DeviceNonce
from kiosk_api.jobs import devices
from kiosk_api.jobs.batches import stopping
from kiosk_api.jobs.registry import BY_NAME, run_job
from payments.models import Payment
from sales.models import Order
from tests.api.kiosk.conftest import stocked_slots


class DyingProvider:
    """The provider, until the worker dies in the middle of its second cancel."""

    def __init__(self, provider: Any) -> None:
        self._provider = provider
        self.cancels = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider, name)

    def cancel(self, provider_ref: str, **kwargs: Any) -> Any:
        self.cancels += 1
        if self.cancels == 2:
            raise SystemExit("killed")  # not an error anything catches: the process is going down
        return self._provider.cancel(provider_ref, **kwargs)


def statuses(db, ids: list[str]) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as session:
        rows = dict(
            session.execute(
                select(Order.id, Order.status + "/" + Payment.status)
                .join(Payment, Payment.order_id == Order.id)
                .where(Order.id.in_(ids))
            ).all()
        )
    return [tuple(rows[i].split("/")) for i in ids]  # type: ignore[misc]


def test_orders_expire_killed_mid_run_is_finished_by_the_next_run(app, db, clock, vend_kiosk) -> None:
    provider = app.extensions["dongxi.payments"]
    slot = stocked_slots(vend_kiosk, at_least=3)[0]["slot"]
    ids = []
    for _ in range(3):
        ids.append(vend_kiosk.post("/sessions", {"lines": [{"slot": slot, "qty": 1}]}).get_json()["order_id"])
        clock.advance(seconds=1)  # expired oldest first
    clock.advance(seconds=181)
    job = BY_NAME["orders-expire"]

    with pytest.raises(SystemExit):
        run_job(job, db, clock, DyingProvider(provider))
    # The first order is done; the second expired (committed) but its payment is still open at the
    # provider; the third was never reached.
    assert statuses(db, ids) == [
        ("expired", "canceled"),
        ("expired", "requires_payment"),
        ("awaiting_payment", "requires_payment"),
    ]

    again = run_job(job, db, clock, provider)
    assert (again.status, again.result) == ("done", {"expired": 1})
    # The payment the dead run left open is the reconcile job's: it asks the provider and cancels it.
    reconciled = run_job(BY_NAME["payments-reconcile"], db, clock, provider)
    assert reconciled.status == "done" and reconciled.result["repaired"] == 1
    assert statuses(db, ids) == [("expired", "canceled")] * 3


def test_nonces_prune_stopped_after_a_batch_prunes_the_rest_next_time(
    app, db, session, clock, monkeypatch
) -> None:
    provider = app.extensions["dongxi.payments"]
    session.add_all(DeviceNonce(key_id="k-resume", nonce=f"n-{i}", seen_at=clock.now()) for i in range(5))
    session.commit()
    clock.advance(hours=1)
    real = devices.prune_nonces
    calls = 0

    def prune_then_die(*args: Any, **kwargs: Any) -> int:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise SystemExit("killed")
        return real(*args, **kwargs)

    with monkeypatch.context() as patched, contextlib.suppress(SystemExit):
        patched.setattr(devices, "prune_nonces", prune_then_die)
        devices.prune_old_nonces(db, clock, provider, batch=2)
    with db.unit_of_work() as check:
        assert len(check.scalars(select(DeviceNonce).where(DeviceNonce.key_id == "k-resume")).all()) == 3

    assert devices.prune_old_nonces(db, clock, provider, batch=2) == {"pruned": 3}


def test_a_worker_asked_to_stop_ends_its_run_after_the_batch_in_hand(app, db, session, clock) -> None:
    provider = app.extensions["dongxi.payments"]
    session.add_all(DeviceNonce(key_id="k-stop", nonce=f"n-{i}", seen_at=clock.now()) for i in range(5))
    session.commit()
    clock.advance(hours=1)
    stopping.set()  # as SIGTERM does
    try:
        assert devices.prune_old_nonces(db, clock, provider, batch=2) == {"pruned": 2}
    finally:
        stopping.clear()
    assert devices.prune_old_nonces(db, clock, provider, batch=2) == {"pruned": 3}  # the next run: the rest
