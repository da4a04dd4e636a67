"""A vend purchase end to end: touch screen → session → payment → dispensing → vend-results → screen."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from kiosk_client.agent import Agent
from kiosk_client.config import Settings
from kiosk_client.hardware import SimulatedDriver
from kiosk_client.ui.server import create_ui_app
from tests.kiosk_client.conftest import wait_until
from tests.kiosk_client.fake_server import FakeKioskServer


def screen(ui: FlaskClient) -> dict[str, Any]:
    return ui.get("/api/state").get_json()


def wait_phase(ui: FlaskClient, *phases: str) -> dict[str, Any]:
    return wait_until(lambda: (s := screen(ui))["phase"] in phases and s)


@pytest.fixture
def driver() -> SimulatedDriver:
    return SimulatedDriver()


@pytest.fixture
def agent(make_agent: Callable[..., Agent], settings: Settings, driver: SimulatedDriver) -> Agent:
    built = make_agent(settings, driver)
    wait_until(lambda: built.catalogue.data)
    return built


@pytest.fixture
def ui(agent: Agent) -> FlaskClient:
    return create_ui_app(agent).test_client()


def start_purchase(ui: FlaskClient, lines: list[dict[str, Any]]) -> dict[str, Any]:
    response = ui.post("/api/checkout", json={"lines": lines})
    assert response.status_code == 202, response.get_json()
    return wait_phase(ui, "awaiting_payment")


def test_a_failed_slot_is_refunded_and_the_screen_says_so(
    ui: FlaskClient, fake_server: FakeKioskServer, driver: SimulatedDriver
) -> None:
    driver.fail_slot("B3", "motor_jam")
    paying = start_purchase(ui, [{"slot": "A1", "qty": 2}, {"slot": "B3", "qty": 1}])
    order = fake_server.only_order()
    assert paying["order_id"] == order["order_id"]
    assert paying["total_fen"] == 8970
    assert paying["qr_payload"] == order["payment"]["qr_payload"]
    assert [line["name"]["zh"] for line in paying["lines"]] == ["西吉马铃薯", "固原粉条"]
    assert not driver.dispensed  # nothing moves before the money arrives

    fake_server.pay(order["order_id"])
    done = wait_phase(ui, "done")

    (report,) = fake_server.reports.values()
    assert report["body"]["results"] == [
        {"slot": "A1", "requested": 2, "dispensed": 2},
        {"slot": "B3", "requested": 1, "dispensed": 0, "error": "motor_jam"},
    ]
    assert fake_server.orders[order["order_id"]]["status"] == "partially_refunded"
    assert done["refund_fen"] == 2990 and done["refund_confirmed"] is True
    assert done["refund_message"]["zh"] == "固原粉条 1 件未出货，¥29.90 已自动退款"
    assert done["refund_message"]["en"].startswith(
        "1 × Guyuan vermicelli not dispensed — ¥29.90 has been refunded"
    )
    # The receipt: one line per product, what was not dispensed, what was charged, the order number.
    assert [(r["name"]["zh"], r["qty"], r["missing"], r["refund_fen"]) for r in done["receipt"]] == [
        ("西吉马铃薯", 2, 0, 0),
        ("固原粉条", 1, 1, 2990),
    ]
    assert done["total_fen"] == 8970 and done["charged_fen"] == 8970 - 2990
    assert done["order_number"] == order["order_id"][:8]
    assert done["message"]["zh"] == "请取走已出货的商品"
    assert fake_server.report_posts[report["report_id"]] == 1


def test_a_clean_purchase_says_take_your_goods(ui: FlaskClient, fake_server: FakeKioskServer) -> None:
    start_purchase(ui, [{"slot": "C2", "qty": 1}])
    fake_server.pay(fake_server.only_order()["order_id"])
    done = wait_phase(ui, "done")
    assert done["message"]["zh"] == "支付成功，请取走商品"
    assert done["refund_message"] is None
    assert fake_server.only_order()["status"] == "completed"


def test_the_agent_polls_the_order_until_it_is_paid(ui: FlaskClient, fake_server: FakeKioskServer) -> None:
    paying = start_purchase(ui, [{"slot": "A1", "qty": 1}])
    polls = wait_until(lambda: len(fake_server.requests_to(f"/orders/{paying['order_id']}")) >= 3 and True)
    assert polls and screen(ui)["phase"] == "awaiting_payment"
    fake_server.pay(paying["order_id"])
    wait_phase(ui, "done")


def test_cancel_on_the_pay_screen_cancels_the_order(
    ui: FlaskClient, fake_server: FakeKioskServer, agent: Agent
) -> None:
    paying = start_purchase(ui, [{"slot": "A1", "qty": 1}])
    ui.post("/api/cancel")
    cancelled = wait_phase(ui, "cancelled")
    assert cancelled["message"]["zh"] == "订单已取消，未扣款"
    assert fake_server.orders[paying["order_id"]]["status"] == "cancelled"
    assert agent.journal.get(paying["order_id"]).phase == "abandoned"  # type: ignore[union-attr]
    ui.post("/api/reset")
    assert screen(ui)["phase"] == "idle"


def test_cancel_after_payment_still_dispenses(ui: FlaskClient, fake_server: FakeKioskServer) -> None:
    paying = start_purchase(ui, [{"slot": "A1", "qty": 1}])
    fake_server.set_status(paying["order_id"], "paid")  # paid on the phone a moment before the tap
    ui.post("/api/cancel")
    done = wait_phase(ui, "done", "cancelled")
    assert done["phase"] == "done"
    assert fake_server.orders[paying["order_id"]]["status"] == "completed"


def test_an_expired_payment_is_cancelled_by_the_kiosk(
    make_agent: Callable[..., Agent], settings: Settings, fake_server: FakeKioskServer
) -> None:
    fake_server.hold_seconds = 0
    agent = make_agent(settings)
    ui = create_ui_app(agent).test_client()
    wait_until(lambda: agent.catalogue.data)
    ui.post("/api/checkout", json={"lines": [{"slot": "A1", "qty": 1}]})
    expired = wait_phase(ui, "expired")
    assert expired["message"]["zh"] == "支付超时，订单已取消，未扣款"
    assert fake_server.only_order()["status"] == "cancelled"


def test_out_of_stock_names_the_product(ui: FlaskClient, fake_server: FakeKioskServer) -> None:
    fake_server.catalogue["slots"][0]["available"] = 1  # sold elsewhere since the kiosk last synced
    ui.post("/api/checkout", json={"lines": [{"slot": "B3", "qty": 1}, {"slot": "A1", "qty": 2}]})
    refused = wait_phase(ui, "error")
    assert refused["message"]["zh"] == "西吉马铃薯 库存不足，请重新选择"
    assert refused["code"] == "out_of_stock"


def test_a_cart_by_product_is_sent_as_is_and_a_refusal_names_the_product(
    ui: FlaskClient, fake_server: FakeKioskServer
) -> None:
    start_purchase(ui, [{"sku": "GY-POTATO-5KG", "qty": 1}])
    (session_request,) = fake_server.requests_to("/sessions")
    assert json.loads(session_request["body"])["lines"] == [{"sku": "GY-POTATO-5KG", "qty": 1}]
    ui.post("/api/cancel")
    wait_phase(ui, "cancelled")
    ui.post("/api/reset")
    fake_server.catalogue["slots"][0]["available"] = 1  # sold elsewhere since the kiosk last synced
    ui.post("/api/checkout", json={"lines": [{"sku": "GY-POTATO-5KG", "qty": 2}]})
    refused = wait_phase(ui, "error")
    assert refused["message"] == {
        "zh": "西吉马铃薯 库存不足，请重新选择",
        "en": "Xiji potatoes is out of stock — please choose again",
    }


def test_the_session_request_carries_an_idempotency_key(
    ui: FlaskClient, fake_server: FakeKioskServer
) -> None:
    start_purchase(ui, [{"slot": "A1", "qty": 1}])
    (request,) = fake_server.requests_to("/sessions")
    assert len(request["headers"]["Idempotency-Key"]) == 36


def test_the_screen_refuses_a_cart_that_does_not_fit_the_cabinet(ui: FlaskClient) -> None:
    assert ui.post("/api/checkout", json={"lines": [{"slot": "Z9", "qty": 1}]}).status_code == 422
    assert ui.post("/api/checkout", json={"lines": [{"slot": "A1", "qty": 0}]}).status_code == 422
    assert (
        ui.post("/api/checkout", json={"lines": [{"slot": "A1", "qty": 5}]}).status_code == 422
    )  # 4 available
    assert ui.post("/api/checkout", json={"lines": []}).status_code == 422
    assert screen(ui)["phase"] == "idle"


def test_a_second_checkout_during_a_purchase_is_refused(ui: FlaskClient) -> None:
    start_purchase(ui, [{"slot": "A1", "qty": 1}])
    assert ui.post("/api/checkout", json={"lines": [{"slot": "B3", "qty": 1}]}).status_code == 409


def test_repeated_slots_are_merged_before_they_reach_the_server(
    ui: FlaskClient, fake_server: FakeKioskServer
) -> None:
    start_purchase(ui, [{"slot": "A1", "qty": 1}, {"slot": "A1", "qty": 2}])
    assert fake_server.only_order()["lines"] == [
        {"slot": "A1", "sku": "GY-POTATO-5KG", "qty": 3, "unit_price_fen": 2990, "line_total_fen": 8970}
    ]
