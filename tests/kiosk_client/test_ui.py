"""The touch screen's server: QR images that decode to the payment payload, the page, the catalogue."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace

import pytest
import zxingcpp
from flask.testing import FlaskClient
from PIL import Image

from kiosk_client.agent import Agent
from kiosk_client.config import Settings
from kiosk_client.hardware import SimulatedDriver
from kiosk_client.state import AWAITING_PAYMENT
from kiosk_client.ui.server import create_ui_app, qr_png, validate_lines
from tests.kiosk_client.conftest import wait_until
from tests.kiosk_client.fake_server import FakeKioskServer


def decode(png: bytes) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


@pytest.mark.parametrize(
    "payload",
    [
        "http://127.0.0.1:5000/pay/3f2a9c1e",
        "https://pay.example.cn/p/" + "x" * 200 + "?order=东西&amount=2990",
    ],
)
def test_the_qr_png_decodes_to_exactly_the_payload(payload: str) -> None:
    png = qr_png(payload)
    assert png.startswith(b"\x89PNG")
    assert decode(png) == [payload]


@pytest.fixture
def agent(make_agent: Callable[..., Agent], settings: Settings) -> Agent:
    built = make_agent(settings, SimulatedDriver())
    wait_until(lambda: built.catalogue.data)
    return built


@pytest.fixture
def ui(agent: Agent) -> FlaskClient:
    return create_ui_app(agent).test_client()


def test_the_pay_screen_qr_decodes_to_the_servers_payment_payload(
    ui: FlaskClient, fake_server: FakeKioskServer
) -> None:
    ui.post("/api/checkout", json={"lines": [{"slot": "A1", "qty": 1}]})
    shown = wait_until(lambda: (s := ui.get("/api/state").get_json())["phase"] == AWAITING_PAYMENT and s)
    response = ui.get(shown["qr_url"])
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert min(image.size) >= 400  # large enough to fill the pay screen without upscaling blur
    assert decode(response.data) == [fake_server.only_order()["payment"]["qr_payload"]]
    assert 170 <= shown["expires_in"] <= 180


def test_only_the_current_orders_qr_is_served(ui: FlaskClient) -> None:
    assert ui.get("/qr/someone-elses-order.png").status_code == 404


def test_the_page_is_chinese_first_with_an_english_toggle(ui: FlaskClient) -> None:
    page = ui.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "消费帮扶专柜" in page and 'id="lang"' in page and ">English<" in page
    assert "/static/kiosk.js" in page and "/static/kiosk.css" in page
    assert ui.get("/static/kiosk.js").status_code == 200
    assert 'data-simulated="true"' in page


def test_the_catalogue_for_the_screen_keeps_county_price_and_makes_images_absolute(
    make_agent: Callable[..., Agent], settings: Settings, fake_server: FakeKioskServer
) -> None:
    fake_server.catalogue["slots"][0]["product"]["image_url"] = "/static/products/potato.jpg"
    agent = make_agent(settings)
    wait_until(lambda: agent.catalogue.data)
    body = create_ui_app(agent).test_client().get("/api/catalogue").get_json()
    first = body["slots"][0]
    assert first["product"]["image_url"] == f"{fake_server.url}/static/products/potato.jpg"
    assert first["product"]["county"]["name"] == "西吉县"
    assert first["product"]["price_fen"] == 2990 and first["product"]["certified"] is True
    assert body["kiosk"]["partner"] == "福州市" and body["mode"] == "vend"


def test_the_simulation_controls_drive_the_simulated_cabinet(ui: FlaskClient, agent: Agent) -> None:
    driver = agent.driver
    assert isinstance(driver, SimulatedDriver)
    ui.post("/sim/fail-slot", json={"slot": "B3", "error": "motor_jam"})
    assert driver.dispense("B3", 1).error == "motor_jam"
    ui.post("/sim/clear")
    assert driver.dispense("B3", 1).error is None
    ui.post("/sim/taken", json={"A1": 1, "C2": 2})
    assert ui.get("/sim").get_json()["taken"] == {"A1": 1, "C2": 2}


def test_a_cart_line_may_name_a_product_checked_against_all_the_slots_holding_it(
    agent: Agent, ui: FlaskClient
) -> None:
    data = agent.catalogue.data
    assert data is not None
    first, second = data["slots"][0], data["slots"][1]
    second["product"] = dict(first["product"])  # one product in two slots
    first["available"], second["available"] = 2, 3
    sku = first["product"]["sku"]
    lines, errors = validate_lines(agent, {"lines": [{"sku": sku, "qty": 4}, {"sku": sku, "qty": 1}]})
    assert errors == {} and lines == [{"sku": sku, "qty": 5}]
    _lines, errors = validate_lines(agent, {"lines": [{"sku": sku, "qty": 6}]})
    assert errors == {f"skus.{sku}": "only 5 left"}
    _lines, errors = validate_lines(agent, {"lines": [{"sku": "NO-SUCH", "qty": 1}, {"sku": sku, "qty": 0}]})
    assert errors == {"lines.0.sku": "unknown sku", "lines.1.qty": "quantity must be 1–20"}
    assert ui.post("/api/checkout", json={"lines": [{"sku": sku, "qty": 6}]}).status_code == 422


def test_every_screen_shows_the_service_phone_when_one_is_set(
    make_agent: Callable[..., Agent], settings: Settings
) -> None:
    with_phone = make_agent(replace(settings, help_phone="0591-0000000"), SimulatedDriver())
    page = create_ui_app(with_phone).test_client().get("/").get_data(as_text=True)
    assert '<footer class="help" id="help">' in page and ">0591-0000000<" in page and "演示号码" in page
    without = make_agent(replace(settings, data_dir=settings.data_dir / "other"), SimulatedDriver())
    assert '<footer class="help" id="help" hidden>' in create_ui_app(without).test_client().get("/").get_data(
        as_text=True
    )
