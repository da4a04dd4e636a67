"""A kiosk told 429 (or 503) with Retry-After waits at least that long before it sends anything
again — heartbeats, catalogue sync, order polls, outbox reports, recovery, door sessions — and
carries on afterwards as if the server had been slow, never as if the order were gone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from kiosk_client.agent import Agent
from kiosk_client.api import RETRY_AFTER_MAX, KioskApi, ServerBusy, retry_after_seconds
from kiosk_client.config import Settings
from kiosk_client.journal import Journal
from kiosk_client.outbox import Outbox
from kiosk_client.recovery import recover_remote
from kiosk_client.sender import OutboxSender
from kiosk_client.store import LocalStore
from kiosk_client.ui.server import create_ui_app
from tests.kiosk_client.conftest import wait_until
from tests.kiosk_client.fake_server import KEY_ID, SECRET, FakeKioskServer
from tests.kiosk_client.test_outbox import RESULTS, Clock, ScriptedApi


class Monotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def answered_429(server: FakeKioskServer, path_end: str) -> dict[str, Any] | None:
    return next((e for e in server.log if e.get("answered") == 429 and e["path"].endswith(path_end)), None)


def first_request_after(server: FakeKioskServer, entry: dict[str, Any]) -> dict[str, Any] | None:
    return next((e for e in server.log if e["at"] > entry["at"]), None)


def test_retry_after_is_read_as_seconds_or_an_http_date_and_capped() -> None:
    now = datetime(2026, 11, 26, 7, 0, tzinfo=UTC).timestamp()
    assert retry_after_seconds("42") == 42.0
    in_two_minutes = format_datetime(datetime(2026, 11, 26, 7, 2, tzinfo=UTC), usegmt=True)
    assert retry_after_seconds(in_two_minutes, now=now) == 120.0
    assert retry_after_seconds("999999") == RETRY_AFTER_MAX  # a broken header cannot silence it for days
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None


def test_a_429_is_server_busy_and_nothing_is_sent_until_retry_after(fake_server: FakeKioskServer) -> None:
    clock = Monotonic()
    api = KioskApi(fake_server.url, KEY_ID, SECRET, clock=clock)
    fake_server.throttle("/heartbeat", retry_after="30")
    with pytest.raises(ServerBusy) as busy:
        api.heartbeat({"software_version": "t", "door": "closed"})
    assert busy.value.retry_after == 30.0 and "429 rate_limited" in str(busy.value)
    sent = len(fake_server.log)
    clock.now += 29
    with pytest.raises(ServerBusy):  # every endpoint: the server's limit is the kiosk's, not the path's
        api.get_catalogue(None)
    assert len(fake_server.log) == sent and api.busy_for() == pytest.approx(1.0)
    clock.now += 1.5
    data, _etag = api.get_catalogue(None)
    assert data is not None and len(fake_server.log) == sent + 1


def test_the_outbox_waits_at_least_retry_after_whatever_its_backoff(tmp_path: Path) -> None:
    outbox, clock = Outbox(LocalStore(tmp_path / "kiosk.db")), Clock()
    api = ScriptedApi(ServerBusy("429", retry_after=120.0), {"status": "completed"})
    sender = OutboxSender(outbox, api, retry_base=2.0, retry_max=60.0, clock=clock, jitter=lambda: 1.0)  # type: ignore[arg-type]
    row = outbox.enqueue("vend_results", "order-1", RESULTS)
    assert sender.drain() == 0
    assert sender.offline_until == clock.now + 120.0  # not the 2 s its first backoff would be
    clock.now += 119
    assert sender.drain() == 0 and outbox.due(clock.now) == [] and len(api.posts) == 1
    clock.now += 2
    assert sender.drain() == 1
    assert outbox.get(row.report_id).status == "delivered"  # type: ignore[union-attr]


def test_heartbeats_stop_for_retry_after_then_resume(
    make_agent: Callable[..., Agent], settings: Settings, fake_server: FakeKioskServer
) -> None:
    make_agent(settings)  # a heartbeat every 0.2 s
    wait_until(lambda: fake_server.heartbeats)
    fake_server.throttle("/heartbeat", retry_after="1")
    refused = wait_until(lambda: answered_429(fake_server, "/heartbeat"))
    after = wait_until(lambda: first_request_after(fake_server, refused))
    assert after["at"] - refused["at"] >= 1.0  # nothing at all was sent in the meantime
    before = len(fake_server.heartbeats)
    wait_until(lambda: len(fake_server.heartbeats) > before + 1)  # and the beat goes on


def test_catalogue_sync_waits_for_retry_after(
    make_agent: Callable[..., Agent], settings: Settings, fake_server: FakeKioskServer
) -> None:
    fake_server.throttle("/catalogue", retry_after="1")  # the first sync, at start
    agent = make_agent(replace(settings, sync_interval=0.1))
    refused = wait_until(lambda: answered_429(fake_server, "/catalogue"))
    wait_until(lambda: agent.catalogue.data)
    synced = next(e for e in fake_server.requests_to("/catalogue") if e["at"] > refused["at"])
    assert synced["at"] - refused["at"] >= 1.0


def test_an_order_poll_told_to_wait_keeps_the_purchase_going(
    make_agent: Callable[..., Agent], settings: Settings, fake_server: FakeKioskServer
) -> None:
    agent = make_agent(settings)
    wait_until(lambda: agent.catalogue.data)
    ui: FlaskClient = create_ui_app(agent).test_client()
    assert ui.post("/api/checkout", json={"lines": [{"slot": "A1", "qty": 1}]}).status_code == 202
    wait_until(lambda: ui.get("/api/state").get_json()["phase"] == "awaiting_payment")
    order = fake_server.only_order()
    fake_server.throttle(f"/orders/{order['order_id']}", retry_after="1")
    refused = wait_until(lambda: answered_429(fake_server, f"/orders/{order['order_id']}"))
    fake_server.pay(order["order_id"])
    done = wait_until(lambda: (s := ui.get("/api/state").get_json())["phase"] == "done" and s)
    assert done["order_id"] == order["order_id"]  # paid, dispensed: not given up as missing
    polled = next(
        e for e in fake_server.requests_to(f"/orders/{order['order_id']}") if e["at"] > refused["at"]
    )
    assert polled["at"] - refused["at"] >= 1.0
    assert order["order_id"] in fake_server.reports


def test_recovery_told_to_wait_keeps_the_visit_for_later(
    fake_server: FakeKioskServer, tmp_path: Path
) -> None:
    store = LocalStore(tmp_path / "kiosk.db")
    journal = Journal(store, Outbox(store))
    order = fake_server.add_order("vend", "awaiting_payment", [])
    journal.begin(order["order_id"], "vend", "awaiting_payment", [])
    clock = Monotonic()
    api = KioskApi(fake_server.url, KEY_ID, SECRET, clock=clock)
    fake_server.throttle(f"/orders/{order['order_id']}", retry_after="60")
    assert recover_remote(journal, api, None) == 0
    assert [v.order_id for v in journal.open_visits()] == [order["order_id"]]  # not abandoned
    assert recover_remote(journal, api, None) == 0  # still waiting: nothing sent
    assert len(fake_server.requests_to(f"/orders/{order['order_id']}")) == 1
    clock.now += 61
    assert recover_remote(journal, api, None) == 1  # then cancelled as usual
    assert fake_server.orders[order["order_id"]]["status"] == "cancelled"


def test_an_open_door_cabinet_waits_for_retry_after_before_its_next_qr(
    make_agent: Callable[..., Agent], settings: Settings, fake_server: FakeKioskServer
) -> None:
    fake_server.catalogue["kiosk"]["mode"] = "open_door"
    fake_server.throttle("/door-sessions", retry_after="1")
    agent = make_agent(replace(settings, mode="open_door"))
    refused = wait_until(lambda: answered_429(fake_server, "/door-sessions"))
    wait_until(lambda: agent.state.phase == "door_ready")
    made = next(e for e in fake_server.requests_to("/door-sessions") if e["at"] > refused["at"])
    assert made["at"] - refused["at"] >= 1.0
