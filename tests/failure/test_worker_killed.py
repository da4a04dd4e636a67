"""A gunicorn worker SIGKILLed in the middle of a checkout and of a refund: no partial order, hold,
ledger entry or payment survives, and the kiosk's retry — the same Idempotency-Key, the same
report_id — answers with the first request's result (or makes it, once, if it never committed).

The worker is caught inside the request deterministically, by PostgreSQL rather than by the code
under test: the test holds a lock on what the request writes next (a table in SHARE mode, or a
row FOR UPDATE), waits until pg_stat_activity shows the request's backend waiting on it, finds the
worker whose socket is that backend's client port, and kills it there. Stages move the request on
step by step (take the next lock, let go of the one it waits on), so each case stops it at one
point of its units of work: before the first commit; after it, in the simulated provider's own
transaction; and after the provider answered, before that answer is recorded.
"""

from __future__ import annotations

import os
import signal
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
import requests
from click.testing import CliRunner
from sqlalchemy.orm import Session

from core.db import make_engine
from kiosk_api import cli
from sales.money_audit import (
    check_no_revenue_without_capture,
    check_orders_match_ledger,
    check_orders_match_payments,
    check_overpayments,
)
from tests.failure.conftest import DATABASE, SECRET_KEY, Device, Seeded, server_env, start_copy
from tests.failure.processes import (
    Dongxi,
    PrivatePostgres,
    dongxi_server,
    process_with_local_port,
    wait_until,
)
from tests.integration.inventory.factories import ledger_problems

pytestmark = pytest.mark.failure


@dataclass(frozen=True)
class Stage:
    """A lock the test holds (SQL run in a transaction of its own), and a part of the statement the
    request is then expected to wait in (which says where in the request it stands)."""

    lock: str
    waits_in: str


@dataclass(frozen=True)
class Waiter:
    pid: int
    client_port: int
    query: str


@dataclass
class Shop:
    cluster: PrivatePostgres
    server: Dongxi
    device: Device
    watch: psycopg.Connection[Any]

    def one(self, sql: str, *params: Any) -> Any:
        row = self.watch.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return self.watch.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def shop(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """dongxi under gunicorn (2 workers) on a cluster of this module's own, FZ-0001's signed client,
    and an autocommit connection of the test's to look at the database with."""
    cluster = start_copy(seeded)
    try:
        with (
            dongxi_server(server_env(cluster), tmp_path_factory.mktemp("killed")) as server,
            cluster.connect(DATABASE, autocommit=True) as watch,
        ):
            yield Shop(cluster, server, Device(server.base, seeded.key_id, seeded.secret), watch)
    finally:
        cluster.destroy()


def _waiting_on(shop: Shop, holder: psycopg.Connection[Any]) -> Waiter | None:
    row = shop.watch.execute(
        "SELECT pid, client_port, query FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
        (holder.info.backend_pid,),
    ).fetchone()
    return None if row is None else Waiter(*row)


def kill_the_worker_inside(shop: Shop, send: Callable[[], requests.Response], stages: list[Stage]) -> None:
    """Send a request, hold it at each stage's lock in turn and SIGKILL the gunicorn worker serving it
    while it waits at the last one. The request gets no answer; its backend is gone on return."""
    answer: dict[str, Any] = {}

    def run() -> None:
        try:
            answer["response"] = send()
        except requests.RequestException as exc:
            answer["error"] = exc

    holders: list[psycopg.Connection[Any]] = []
    request = threading.Thread(target=run, daemon=True)
    try:
        for i, stage in enumerate(stages):
            holder = shop.cluster.connect(DATABASE)
            holder.execute(stage.lock)  # held until this transaction ends
            holders.append(holder)
            if i == 0:
                request.start()
            else:
                holders[i - 1].rollback()  # let the request go on to the next stage's lock
            # pg_stat_activity's query text is read from a snapshot that can be a moment older than
            # pg_blocking_pids' live answer (the statement before the one now waiting): wait until
            # both say the request waits in the stage's statement.
            waiter = wait_until(
                lambda h=holder, st=stage: (
                    (w := _waiting_on(shop, h)) is not None and st.waits_in in w.query and w
                ),
                f"the request waiting at {stage}",
            )
        worker = process_with_local_port(shop.server.workers(), waiter.client_port)
        assert worker is not None, f"no worker holds the connection of backend {waiter.pid}"
        os.kill(worker, signal.SIGKILL)
        request.join(timeout=30)
        assert "error" in answer, f"the killed request was answered: {answer}"
        wait_until(lambda: worker not in shop.server.workers(), "the arbiter reaped the killed worker")
    finally:
        for holder in holders:
            holder.rollback()
            holder.close()
    # Let go, the orphaned backend runs its statement, finds its client gone and rolls back.
    wait_until(
        lambda: shop.one("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", waiter.pid) == 0,
        "the killed worker's backend ended",
    )


def assert_books_consistent(shop: Shop) -> None:
    """Stock ledger = balances, holds = reserved, no hold without its order, and the money invariants."""
    engine = make_engine(shop.cluster.url(DATABASE))
    try:
        with Session(engine) as session:
            assert ledger_problems(session) == []
            for check in (
                check_orders_match_ledger(session),
                check_orders_match_payments(session),
                check_no_revenue_without_capture(session),
                check_overpayments(session),
            ):
                assert check.passed, (check.code, check.rows)
    finally:
        engine.dispose()
    orphans = (
        "SELECT count(*) FROM reservations r LEFT JOIN orders o ON o.id = r.order_ref WHERE o.id IS NULL"
    )
    assert shop.one(orphans) == 0


def reserved(shop: Shop, slot: str) -> int:
    return shop.one(
        "SELECT coalesce(sum(b.reserved), 0) FROM stock_balances b JOIN slots s ON s.id = b.slot_id"
        " JOIN locations l ON l.id = s.location_id WHERE l.code = 'FZ-0001' AND s.code = %s",
        slot,
    )


# -- checkout: POST /kiosk/sessions with an Idempotency-Key ---------------------------------------

BEFORE_COMMIT = Stage("LOCK TABLE payments IN SHARE MODE", "INSERT INTO payments")
IN_PROVIDER_CREATE = Stage("LOCK TABLE simulated_payments IN SHARE MODE", "INSERT INTO simulated_payments")
RECORDING_CREATE = Stage("LOCK TABLE payments IN SHARE MODE", "UPDATE payments")

CHECKOUT_CASES = {
    "before-its-commit": [BEFORE_COMMIT],
    "in-the-provider-call": [IN_PROVIDER_CREATE],
    "before-recording-the-provider-answer": [IN_PROVIDER_CREATE, RECORDING_CREATE],
}


@pytest.mark.parametrize("where", list(CHECKOUT_CASES))
def test_a_worker_killed_mid_checkout_leaves_no_partial_order_and_the_retry_answers_once(
    shop: Shop, where: str
) -> None:
    device = shop.device
    slot = device.stocked_slot()
    key = f"killed-{uuid.uuid4().hex}"
    lines = [{"slot": slot, "qty": 2}]
    held_before = reserved(shop, slot)

    kill_the_worker_inside(shop, lambda: device.start_session(lines, key), CHECKOUT_CASES[where])

    order_id = shop.one("SELECT id FROM orders WHERE idempotency_key = %s", key)
    provider_records = "SELECT count(*) FROM simulated_payments WHERE record->>'reference' = %s"
    if where == "before-its-commit":
        assert order_id is None  # nothing of it: no order, no hold, no payment
        assert reserved(shop, slot) == held_before
    else:  # the first unit of work committed: the order whole, with its hold and pending payment
        assert shop.rows(
            "SELECT o.status, p.status, p.provider_ref FROM orders o JOIN payments p ON p.order_id = o.id"
            " WHERE o.id = %s",
            order_id,
        ) == [("awaiting_payment", "pending", None)]
        assert shop.one("SELECT sum(qty) FROM order_lines WHERE order_id = %s", order_id) == 2
        active = "SELECT sum(qty) FROM reservations WHERE order_ref = %s AND status = 'active'"
        assert shop.one(active, order_id) == 2
        assert reserved(shop, slot) == held_before + 2
        # The provider's own unit of work was killed too, or committed whole.
        expected = 1 if where == "before-recording-the-provider-answer" else 0
        assert shop.one(provider_records, order_id) == expected
    assert_books_consistent(shop)

    retried = device.start_session(lines, key)
    assert retried.status_code == 201, retried.text
    first = retried.json()
    if order_id is not None:
        assert first["order_id"] == order_id  # the first request's order, not a second one
    assert first["payment"]["qr_payload"]
    again = device.start_session(lines, key)
    assert again.status_code == 201 and again.json() == first
    assert shop.one("SELECT count(*) FROM orders WHERE idempotency_key = %s", key) == 1
    assert shop.one(provider_records, first["order_id"]) == 1  # one payment at the provider
    assert shop.one(
        "SELECT p.provider_ref = s.provider_ref FROM payments p JOIN simulated_payments s"
        " ON s.record->>'reference' = p.order_id WHERE p.order_id = %s",
        first["order_id"],
    )
    assert reserved(shop, slot) == held_before + 2
    assert_books_consistent(shop)
    assert device.request("POST", f"/orders/{first['order_id']}/cancel").status_code == 200


# -- refund: POST /kiosk/orders/{id}/vend-results with a unit not dispensed ----------------------


def _refund_cases(order_id: str, provider_ref: str) -> dict[str, list[Stage]]:
    in_provider = Stage(
        f"SELECT 1 FROM simulated_payments WHERE provider_ref = '{provider_ref}' FOR UPDATE",
        "FROM simulated_payments",
    )
    recording = Stage(f"SELECT 1 FROM payments WHERE order_id = '{order_id}' FOR UPDATE", "FROM payments")
    return {
        "before-its-commit": [
            Stage("LOCK TABLE revenue_entries IN SHARE MODE", "INSERT INTO revenue_entries")
        ],
        "in-the-provider-call": [in_provider],
        "before-recording-the-provider-answer": [in_provider, recording],
    }


@pytest.mark.parametrize(
    "where", ["before-its-commit", "in-the-provider-call", "before-recording-the-provider-answer"]
)
def test_a_worker_killed_mid_refund_leaves_no_partial_refund_and_the_retry_answers_once(
    shop: Shop, where: str
) -> None:
    device = shop.device
    slot = device.stocked_slot()
    paid = device.paid_order(slot, qty=2)
    order_id = paid["order_id"]
    unit_fen = paid["lines"][0]["unit_price_fen"]
    provider_ref = shop.one("SELECT provider_ref FROM payments WHERE order_id = %s", order_id)
    report = {
        "report_id": f"killed-{uuid.uuid4().hex[:20]}",
        "results": [{"slot": slot, "requested": 2, "dispensed": 1, "error": "jammed"}],
    }
    movements = "SELECT count(*) FROM stock_movements WHERE reference = %s"
    moved_before = shop.one(movements, order_id)
    refunded_at_provider = (
        "SELECT (record->>'amount_refunded_fen')::int FROM simulated_payments WHERE provider_ref = %s"
    )

    kill_the_worker_inside(
        shop,
        lambda: device.request("POST", f"/orders/{order_id}/vend-results", report),
        _refund_cases(order_id, provider_ref)[where],
    )

    refunds = shop.rows(
        "SELECT r.status, r.amount_fen FROM refunds r JOIN payments p ON p.id = r.payment_id"
        " WHERE p.order_id = %s",
        order_id,
    )
    negative = "SELECT count(*) FROM revenue_entries WHERE order_id = %s AND amount_fen < 0"
    if where == "before-its-commit":
        # Nothing of the report: no refund, no ledger entry, no stock put back, the order still paid.
        assert refunds == []
        assert shop.one(negative, order_id) == 0
        assert shop.one(movements, order_id) == moved_before
        assert shop.rows("SELECT status, report_id FROM orders WHERE id = %s", order_id) == [("paid", None)]
    else:  # the report committed whole: its pending refund, its negative entry, the unit restocked
        assert refunds == [("pending", unit_fen)]
        assert shop.one(negative, order_id) == 1
        assert shop.one(movements, order_id) == moved_before + 1
        expected = unit_fen if where == "before-recording-the-provider-answer" else 0
        assert shop.one(refunded_at_provider, provider_ref) == expected
    assert_books_consistent(shop)

    retried = device.request("POST", f"/orders/{order_id}/vend-results", report)
    assert retried.status_code == 200, retried.text
    first = retried.json()
    assert first == {"order_id": order_id, "status": "partially_refunded", "refunded_fen": unit_fen}
    again = device.request("POST", f"/orders/{order_id}/vend-results", report)
    assert again.status_code == 200 and again.json() == first
    if where != "before-its-commit":
        # The retry found the report applied and changed nothing; the refund the killed worker owed
        # the provider is paid out by the refunds-retry job or `dongxi payments reconcile`.
        reconciled = CliRunner().invoke(cli.main, ["payments", "reconcile"], env=_cli_env(shop))
        assert reconciled.exit_code == 0, reconciled.output
    wait_until(lambda: shop.rows(
        "SELECT r.status FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.order_id = %s",
        order_id,
    ) == [("succeeded",)], "the refund paid out")  # fmt: skip
    assert shop.one(refunded_at_provider, provider_ref) == unit_fen  # once, whatever the retries
    assert shop.one(negative, order_id) == 1
    assert shop.one(movements, order_id) == moved_before + 1
    assert_books_consistent(shop)


def _cli_env(shop: Shop) -> dict[str, str]:
    return {
        "DATABASE_URL": shop.cluster.url(DATABASE),
        "SECRET_KEY": SECRET_KEY,
        "PAYMENT_PROVIDER": "simulated",
        "PUBLIC_BASE_URL": shop.server.base,
    }
