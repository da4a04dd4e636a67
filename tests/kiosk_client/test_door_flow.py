"""An open-door visit: scan-to-open QR → authorized → door unlocks → units taken → door-closed → receipt."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from kiosk_client.agent import Agent
from kiosk_client.config import Settings
from kiosk_client.hardware import SimulatedDriver
from kiosk_client.ui.server import create_ui_app
from tests.kiosk_client.conftest import fast_settings, wait_until
from tests.kiosk_client.fake_server import FakeKioskServer


@pytest.fixture
def door_server() -> Iterator[FakeKioskServer]:
    server = FakeKioskServer(mode="open_door").start()
    yield server
    server.stop()


@pytest.fixture
def door_settings(door_server: FakeKioskServer, tmp_path: Path) -> Settings:
    return fast_settings(door_server.url, tmp_path / "kiosk", mode="open_door")


def phase(agent: Agent, *phases: str) -> dict[str, Any]:
    return wait_until(lambda: (s := agent.state.snapshot())["phase"] in phases and s)


def test_the_shopper_pays_exactly_for_what_they_took(
    make_agent: Callable[..., Agent], door_settings: Settings, door_server: FakeKioskServer
) -> None:
    driver = SimulatedDriver()
    agent = make_agent(door_settings, driver)
    ui = create_ui_app(agent).test_client()
    ready = phase(agent, "door_ready")
    assert ready["hold_fen"] == 20000
    home = ui.get("/api/state").get_json()
    png = ui.get(home["qr_url"]).data
    order = door_server.orders[ready["order_id"]]
    assert [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))] == [
        order["payment"]["qr_payload"]
    ]
    assert driver.unlocks == 0

    driver.set_taken({"A1": 1, "C2": 2})
    door_server.pay(ready["order_id"])  # the shopper authorised the hold on the phone
    phase(agent, "door_open")
    assert driver.unlocks == 1 and driver.door_state() == "open"
    assert door_server.reports == {}  # nothing is reported while the door stands open

    driver.close_door()
    receipt = phase(agent, "door_receipt")
    (report,) = door_server.reports.values()
    assert report["body"]["taken"] == [{"slot": "A1", "qty": 1}, {"slot": "C2", "qty": 2}]
    assert receipt["total_fen"] == 2990 + 2 * 4500 and receipt["confirmed"] is True
    assert receipt["message"]["zh"] == "本次消费 ¥119.90，已扣款"
    assert [(line["name"]["zh"], line["qty"]) for line in receipt["lines"]] == [
        ("西吉马铃薯", 1),
        ("六盘山蜂蜜", 2),
    ]
    assert door_server.orders[ready["order_id"]]["status"] == "completed"

    ui.post("/api/reset")
    following = phase(agent, "door_ready")  # the next shopper gets a fresh QR
    assert following["order_id"] != ready["order_id"]


def test_a_door_never_opened_is_locked_and_charged_nothing(
    make_agent: Callable[..., Agent], door_settings: Settings, door_server: FakeKioskServer
) -> None:
    driver = SimulatedDriver(auto_open=False)
    agent = make_agent(replace(door_settings, door_unopened_timeout=0.1), driver)
    ready = phase(agent, "door_ready")
    door_server.pay(ready["order_id"])
    receipt = phase(agent, "door_receipt")
    assert driver.door_state() == "closed"
    assert door_server.reports[ready["order_id"]]["body"]["taken"] == []
    assert receipt["total_fen"] == 0 and receipt["message"]["zh"] == "未取商品，未扣款"


def test_a_door_left_open_gets_a_reminder_and_heartbeats_say_open(
    make_agent: Callable[..., Agent], door_settings: Settings, door_server: FakeKioskServer
) -> None:
    driver = SimulatedDriver()
    agent = make_agent(replace(door_settings, door_reminder_after=0.05), driver)
    door_server.pay(phase(agent, "door_ready")["order_id"])
    reminded = wait_until(lambda: agent.state.snapshot().get("reminder"))
    assert reminded["zh"] == "请关好柜门，关门后自动结算"
    wait_until(lambda: door_server.heartbeats and door_server.heartbeats[-1]["door"] == "open")
    driver.close_door()
    phase(agent, "door_receipt")


def test_an_expired_scan_to_open_qr_is_replaced(
    make_agent: Callable[..., Agent], door_settings: Settings, door_server: FakeKioskServer
) -> None:
    door_server.hold_seconds = 0
    agent = make_agent(door_settings)
    first = phase(agent, "door_ready")["order_id"]
    wait_until(lambda: agent.state.snapshot().get("order_id") not in (None, first))
    assert door_server.orders[first]["status"] == "cancelled"


def test_a_restart_with_the_door_open_still_reports_the_visit_once(
    make_agent: Callable[..., Agent], door_settings: Settings, door_server: FakeKioskServer
) -> None:
    driver = SimulatedDriver()  # the cabinet itself keeps its state across the program's restart
    first = make_agent(door_settings, driver)
    order_id = phase(first, "door_ready")["order_id"]
    driver.set_taken({"B3": 1})
    door_server.pay(order_id)
    phase(first, "door_open")
    first.stop()

    second = make_agent(door_settings, driver)
    resumed = phase(second, "door_open")
    assert resumed["order_id"] == order_id and resumed["resumed"] is True
    driver.close_door()
    phase(second, "door_receipt")
    report = door_server.reports[order_id]
    assert report["body"]["taken"] == [{"slot": "B3", "qty": 1}]
    assert door_server.report_posts[report["report_id"]] == 1


def test_a_report_the_server_refuses_never_tells_the_shopper_nothing_was_charged(
    make_agent: Callable[..., Agent], door_settings: Settings, door_server: FakeKioskServer
) -> None:
    driver = SimulatedDriver()
    agent = make_agent(door_settings, driver)
    order_id = phase(agent, "door_ready")["order_id"]
    driver.set_taken({"Z9": 1})  # a sensor the server's planogram does not know
    door_server.pay(order_id)
    phase(agent, "door_open")
    driver.close_door()
    receipt = phase(agent, "door_receipt")
    assert receipt["confirmed"] is False
    assert receipt["message"]["zh"] == "已取 1 件商品，将按实际取货扣款"
    (row,) = agent.outbox.all()
    assert row.status == "dead" and "unknown_slot" in (row.last_error or "")


def test_without_a_network_the_door_screen_says_so_and_recovers(
    make_agent: Callable[..., Agent], door_settings: Settings, door_server: FakeKioskServer
) -> None:
    door_server.stop()
    agent = make_agent(door_settings)
    offline = phase(agent, "offline")
    assert offline["message"]["zh"] == "网络连接中断，暂时无法下单，请稍后再试"
    assert agent.online is False or wait_until(lambda: agent.online is False)
    door_server.start()
    phase(agent, "door_ready")
    wait_until(lambda: agent.online)
