"""The durable outbox and its sender, with a scripted stand-in for the server (no network)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kiosk_client.api import ApiError, ServerUnreachable
from kiosk_client.journal import Journal
from kiosk_client.outbox import Outbox
from kiosk_client.recovery import recover_local
from kiosk_client.sender import OutboxSender
from kiosk_client.store import LocalStore

RESULTS = {"results": [{"slot": "A1", "requested": 1, "dispensed": 1}]}


class ScriptedApi:
    """post_report answers from a script: an exception to raise or a dict to return, in order."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.posts: list[tuple[str, str, dict[str, Any]]] = []

    def post_report(self, kind: str, order_id: str, body: dict[str, Any]) -> dict[str, Any]:
        self.posts.append((kind, order_id, body))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(LocalStore(tmp_path / "kiosk.db"))


def sender_for(outbox: Outbox, api: ScriptedApi, clock: Clock) -> OutboxSender:
    return OutboxSender(outbox, api, retry_base=2.0, retry_max=60.0, clock=clock, jitter=lambda: 1.0)  # type: ignore[arg-type]


def test_an_order_gets_one_report_id_however_often_it_is_queued(outbox: Outbox) -> None:
    first = outbox.enqueue("vend_results", "order-1", RESULTS)
    again = outbox.enqueue("vend_results", "order-1", {"results": []})
    assert again.report_id == first.report_id
    assert again.body == {"report_id": first.report_id, **RESULTS}
    assert outbox.counts() == {"pending": 1, "delivered": 0, "dead": 0}


def test_queued_reports_survive_reopening_the_file(tmp_path: Path) -> None:
    row = Outbox(LocalStore(tmp_path / "kiosk.db")).enqueue("door_closed", "order-2", {"taken": []})
    reopened = Outbox(LocalStore(tmp_path / "kiosk.db"))
    assert [r.report_id for r in reopened.due()] == [row.report_id]
    assert reopened.get(row.report_id).body == {"report_id": row.report_id, "taken": []}  # type: ignore[union-attr]


def test_unreachable_server_backs_off_doubling_up_to_the_cap(outbox: Outbox) -> None:
    clock = Clock()
    api = ScriptedApi(*[ServerUnreachable("refused")] * 7)
    sender = sender_for(outbox, api, clock)
    row = outbox.enqueue("vend_results", "order-1", RESULTS)
    delays = []
    for _ in range(7):
        sender.deliver(row.report_id)
        current = outbox.get(row.report_id)
        assert current is not None
        delays.append(current.next_attempt_at - clock.now)
    assert delays == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert outbox.get(row.report_id).attempts == 7  # type: ignore[union-attr]
    assert outbox.counts()["pending"] == 1


def test_drain_waits_for_the_backoff_then_delivers_once(outbox: Outbox) -> None:
    clock = Clock()
    api = ScriptedApi(ServerUnreachable("refused"), {"status": "completed", "refunded_fen": 0})
    sender = sender_for(outbox, api, clock)
    row = outbox.enqueue("vend_results", "order-1", RESULTS)
    assert sender.drain() == 0
    assert sender.drain() == 0 and len(api.posts) == 1  # not due yet
    clock.now += 2.0
    assert sender.drain() == 1
    assert sender.drain() == 0
    assert len(api.posts) == 2
    assert {body["report_id"] for _, _, body in api.posts} == {row.report_id}
    delivered = outbox.get(row.report_id)
    assert delivered is not None and delivered.status == "delivered"
    assert delivered.response == {"status": "completed", "refunded_fen": 0}


def test_drain_stops_at_the_first_unreachable_answer(outbox: Outbox) -> None:
    api = ScriptedApi(ServerUnreachable("refused"))
    sender = sender_for(outbox, api, Clock())
    for n in range(3):
        outbox.enqueue("vend_results", f"order-{n}", RESULTS)
    sender.drain()
    assert len(api.posts) == 1


def test_a_conflicting_report_is_dead_lettered_and_logged(
    outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    api = ScriptedApi(ApiError(409, "report_conflict", "a different report exists"))
    sender = sender_for(outbox, api, Clock())
    row = outbox.enqueue("vend_results", "order-1", RESULTS)
    assert sender.drain() == 0
    dead = outbox.get(row.report_id)
    assert dead is not None and dead.status == "dead" and "report_conflict" in (dead.last_error or "")
    assert "refused for good" in caplog.text
    assert sender.drain() == 0 and len(api.posts) == 1


@pytest.mark.parametrize("status", [401, 429])
def test_auth_and_rate_limit_answers_are_retried(outbox: Outbox, status: int) -> None:
    api = ScriptedApi(ApiError(status, "try_later"))
    sender = sender_for(outbox, api, Clock())
    row = outbox.enqueue("vend_results", "order-1", RESULTS)
    sender.drain()
    assert outbox.get(row.report_id).status == "pending"  # type: ignore[union-attr]


def test_network_back_makes_backed_off_reports_due_again(outbox: Outbox) -> None:
    clock = Clock()
    api = ScriptedApi(ServerUnreachable("refused"), {"status": "completed"})
    sender = sender_for(outbox, api, clock)
    outbox.enqueue("vend_results", "order-1", RESULTS)
    sender.drain()
    assert outbox.due(clock.now) == []
    sender.network_back()
    assert sender.drain() == 1


def test_interrupted_dispensing_is_reported_with_the_recorded_results(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "kiosk.db")
    outbox = Outbox(store)
    journal = Journal(store, outbox)
    lines = [
        {"slot": "A1", "qty": 2, "unit_price_fen": 2990},
        {"slot": "B3", "qty": 1, "unit_price_fen": 2990},
    ]
    journal.begin("order-9", "vend", "awaiting_payment", lines)
    journal.set_phase("order-9", "dispensing")
    journal.record_result("order-9", {"slot": "A1", "requested": 2, "dispensed": 2})
    # the program dies here; the next start finds the visit
    assert recover_local(Journal(LocalStore(tmp_path / "kiosk.db"), outbox)) == 1
    (row,) = outbox.all()
    assert row.body["results"] == [
        {"slot": "A1", "requested": 2, "dispensed": 2},
        {"slot": "B3", "requested": 1, "dispensed": 0, "error": "interrupted"},
    ]
    assert journal.open_visits() == []


def test_a_report_the_server_keeps_failing_does_not_block_the_others(outbox: Outbox) -> None:
    api = ScriptedApi(ApiError(500, "internal_error"), {"status": "completed"}, {"status": "completed"})
    sender = sender_for(outbox, api, Clock())
    stuck = outbox.enqueue("vend_results", "order-0", RESULTS)
    others = [outbox.enqueue("vend_results", f"order-{n}", RESULTS) for n in (1, 2)]
    assert sender.drain() == 2
    assert outbox.get(stuck.report_id).status == "pending"  # type: ignore[union-attr]
    assert all(outbox.get(row.report_id).status == "delivered" for row in others)  # type: ignore[union-attr]


def test_an_overloaded_server_stops_the_drain(outbox: Outbox) -> None:
    api = ScriptedApi(ApiError(503, "busy"))
    sender = sender_for(outbox, api, Clock())
    for n in range(3):
        outbox.enqueue("vend_results", f"order-{n}", RESULTS)
    sender.drain()
    assert len(api.posts) == 1
