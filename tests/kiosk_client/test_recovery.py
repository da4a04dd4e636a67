"""Orders a restart interrupted are settled: refunded if paid, cancelled if waiting, reported if half done."""

from __future__ import annotations

from collections.abc import Callable

from kiosk_client.agent import Agent
from kiosk_client.config import Settings
from kiosk_client.hardware import SimulatedDriver
from tests.kiosk_client.conftest import wait_until
from tests.kiosk_client.fake_server import FakeKioskServer


def waiting_order(agent: Agent, fake_server: FakeKioskServer) -> str:
    wait_until(lambda: agent.catalogue.data)
    assert agent.checkout([{"slot": "A1", "qty": 2}])
    wait_until(lambda: agent.state.phase == "awaiting_payment")
    return fake_server.only_order()["order_id"]


def test_an_order_paid_while_the_kiosk_restarted_is_reported_undispensed(
    make_agent: Callable[..., Agent], settings: Settings, fake_server: FakeKioskServer
) -> None:
    first = make_agent(settings)
    order_id = waiting_order(first, fake_server)
    first.stop()
    fake_server.pay(order_id)  # the phone paid while the kiosk program was down

    driver = SimulatedDriver()
    make_agent(settings, driver)
    wait_until(lambda: order_id in fake_server.reports)
    assert fake_server.reports[order_id]["body"]["results"] == [
        {"slot": "A1", "requested": 2, "dispensed": 0, "error": "kiosk_restarted"}
    ]
    assert fake_server.orders[order_id]["status"] == "refunded"
    assert driver.dispensed == []  # the shopper has likely gone: refund, do not drop goods into the tray


def test_an_order_still_waiting_after_a_restart_is_cancelled(
    make_agent: Callable[..., Agent], settings: Settings, fake_server: FakeKioskServer
) -> None:
    first = make_agent(settings)
    order_id = waiting_order(first, fake_server)
    first.stop()
    second = make_agent(settings)
    wait_until(lambda: fake_server.orders[order_id]["status"] == "cancelled")
    wait_until(lambda: second.journal.open_visits() == [])


def test_dispensing_cut_short_by_a_crash_is_reported_on_the_next_start(
    make_agent: Callable[..., Agent], settings: Settings, fake_server: FakeKioskServer
) -> None:
    lines = [
        {"slot": "A1", "sku": "GY-POTATO-5KG", "qty": 1, "unit_price_fen": 2990, "line_total_fen": 2990},
        {"slot": "C2", "sku": "GY-HONEY", "qty": 1, "unit_price_fen": 4500, "line_total_fen": 4500},
    ]
    order = fake_server.add_order("vend", "paid", lines)
    crashed = make_agent(settings, start=False)
    crashed.journal.begin(order["order_id"], "vend", "awaiting_payment", lines)
    crashed.journal.set_phase(order["order_id"], "dispensing")
    crashed.journal.record_result(order["order_id"], {"slot": "A1", "requested": 1, "dispensed": 1})

    make_agent(settings)
    wait_until(lambda: order["order_id"] in fake_server.reports)
    assert fake_server.reports[order["order_id"]]["body"]["results"] == [
        {"slot": "A1", "requested": 1, "dispensed": 1},
        {"slot": "C2", "requested": 1, "dispensed": 0, "error": "interrupted"},
    ]
    assert fake_server.orders[order["order_id"]]["refunded_fen"] == 4500


def test_a_cancel_the_server_never_heard_is_settled_when_it_is_back(
    make_agent: Callable[..., Agent], settings: Settings, fake_server: FakeKioskServer
) -> None:
    agent = make_agent(settings)
    order_id = waiting_order(agent, fake_server)
    fake_server.stop()
    agent.cancel()
    wait_until(lambda: agent.state.phase == "cancelled")
    assert agent.journal.get(order_id).phase == "awaiting_payment"  # type: ignore[union-attr]
    fake_server.start()
    wait_until(lambda: fake_server.orders[order_id]["status"] == "cancelled")
    wait_until(lambda: agent.journal.get(order_id).phase == "abandoned")  # type: ignore[union-attr]
