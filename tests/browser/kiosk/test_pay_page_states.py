"""The shopper's phone (390 px) on the pay page through every state a kiosk order meets: an
open-door visit's pre-authorisation, its charge (or nothing charged) after the door closes, a jammed
slot's partial refund, a full refund, and a pay pressed after the kiosk cancelled.

The cabinets are the demo's FZ-0001 (vend) and FZ-0002 (open door), driven by signed device
requests (RFC 9421, as KIOSK_PROTOCOL.md has them) against the live server."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import expect
from requests_http_signature import algorithms

from core.clock import FixedClock
from core.db import Database
from kiosk_api.kiosks import service as kiosks
from tests.api.kiosk.conftest import ClockedSignatureAuth
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer, _require_chromium

PHONE = {"width": 390, "height": 844}
SECRET_KEY = "browser-tests"  # the live server's, which encrypts the device secrets
KEYS: dict[str, dict[str, str]] = {}


def seed(db: Database, clock: FixedClock) -> None:
    """Device keys for the demo's vend and open-door cabinets."""
    with db.unit_of_work() as session:
        for code in ("FZ-0001", "FZ-0002"):
            KEYS[code] = kiosks.provision(session, clock, code, secret_key=SECRET_KEY)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium alone: this module needs the live server, not the kiosk programs."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Cabinet:
    """A kiosk's signed requests to the live server."""

    def __init__(self, server: LiveServer, code: str) -> None:
        self.server, self.key = server, KEYS[code]

    def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        auth = ClockedSignatureAuth(
            clock=self.server.clock,
            signature_algorithm=algorithms.HMAC_SHA256,
            key=self.key["secret"].encode(),
            key_id=self.key["key_id"],
            use_nonce=True,
        )
        response = requests.request(
            method, f"{self.server.url}/api/v1/kiosk{path}", json=body, auth=auth, timeout=30
        )
        assert response.status_code < 300, response.text
        return response.json()

    def slots(self, at_least: int = 2) -> list[dict[str, Any]]:
        return [s for s in self.call("GET", "/catalogue")["slots"] if s["available"] >= at_least]

    def pay_link(self, started: dict[str, Any]) -> str:
        token = started["payment"]["qr_payload"].rstrip("/").rsplit("/", 1)[-1]
        return f"{self.server.url}/pay/{token}"


def simulate_pay(link: str) -> None:
    """The shopper pays from another device (the simulated provider's endpoint)."""
    base, token = link.rsplit("/pay/", 1)
    assert requests.post(f"{base}/api/v1/pay/{token}/simulate", timeout=30).status_code == 200


def status_of(page: Any) -> str:
    return page.locator("#pay-status").inner_text()


def assert_readable(page: Any) -> None:
    """No raw code or JSON on the page, and nothing wider than the phone."""
    text = page.locator("body").inner_text()
    raw = ["partially_refunded", "payment_state_conflict", '{"error"', "awaiting_"]
    if page.locator("html").get_attribute("lang") == "zh-CN":  # in English these are words
        raw += ["refunded", "authorized", "cancelled"]
    assert not [code for code in raw if code in text], text
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_an_open_door_visit_pre_authorises_then_shows_the_charge_or_nothing(
    live_server: LiveServer, browser: Any, artifacts: Any
) -> None:
    door = Cabinet(live_server, "FZ-0002")
    a, b = door.slots()[:2]
    started = door.call("POST", "/door-sessions", {})
    phone = browser.new_page(viewport=PHONE)
    phone.goto(door.pay_link(started))
    button = phone.locator("button.paybtn")
    expect(button).to_have_text("预授权 ¥200.00 并开门")
    assert "不是扣款" in status_of(phone)
    assert_readable(phone)
    phone.screenshot(path=str(artifacts / "pay_open_door_before.png"), full_page=True)

    button.click()
    expect(phone.locator("#pay-title")).to_have_text("已预授权，柜门已打开")
    phone.screenshot(path=str(artifacts / "pay_open_door_during.png"), full_page=True)
    door.call(
        "POST",
        f"/orders/{started['order_id']}/door-closed",
        {
            "report_id": str(uuid.uuid4()),
            "taken": [{"slot": a["slot"], "qty": 1}, {"slot": b["slot"], "qty": 1}],
        },
    )
    charged = a["product"]["price_fen"] + b["product"]["price_fen"]
    shown = f"¥{charged // 100:,}.{charged % 100:02d}"
    # The open page polls its state: the charge replaces the hold without a reload.
    expect(phone.locator("#pay-title")).to_have_text(f"已扣款 {shown}", timeout=20_000)
    expect(phone.locator("#pay-amount")).to_have_text(shown)
    assert_readable(phone)
    phone.screenshot(path=str(artifacts / "pay_open_door_after_charged.png"), full_page=True)

    empty = door.call("POST", "/door-sessions", {})
    simulate_pay(door.pay_link(empty))
    door.call(
        "POST", f"/orders/{empty['order_id']}/door-closed", {"report_id": str(uuid.uuid4()), "taken": []}
    )
    phone.goto(door.pay_link(empty))
    expect(phone.locator("#pay-title")).to_have_text("未扣款，预授权已释放")
    expect(phone.locator("#pay-amount")).to_have_text("¥0.00")
    assert_readable(phone)
    phone.screenshot(path=str(artifacts / "pay_open_door_after_nothing.png"), full_page=True)
    phone.close()


def test_vend_refunds_and_a_pay_after_cancel_are_sentences_with_amounts(
    live_server: LiveServer, browser: Any, artifacts: Any
) -> None:
    vend = Cabinet(live_server, "FZ-0001")
    a, b = vend.slots()[:2]
    phone = browser.new_page(viewport=PHONE)

    partial = vend.call(
        "POST", "/sessions", {"lines": [{"slot": a["slot"], "qty": 1}, {"slot": b["slot"], "qty": 1}]}
    )
    phone.goto(vend.pay_link(partial))
    phone.locator("button.paybtn").click()
    expect(phone.locator("#pay-title")).to_have_text("支付成功，正在出货")
    vend.call(
        "POST",
        f"/orders/{partial['order_id']}/vend-results",
        {
            "report_id": str(uuid.uuid4()),
            "results": [
                {"slot": a["slot"], "requested": 1, "dispensed": 1},
                {"slot": b["slot"], "requested": 1, "dispensed": 0, "error": "motor_jam"},
            ],
        },
    )
    price = b["product"]["price_fen"]
    expect(phone.locator("#pay-title")).to_have_text(
        f"部分退款 ¥{price // 100}.{price % 100:02d}", timeout=20_000
    )
    assert f"{b['product']['name']['zh']} ×1 未出货" in status_of(phone)
    phone.reload()
    assert_readable(phone)
    phone.screenshot(path=str(artifacts / "pay_vend_partial_refund.png"), full_page=True)
    phone.goto(f"{vend.pay_link(partial)}?lang=en")
    expect(phone.locator("#pay-title")).to_have_text(f"Partly refunded: ¥{price // 100}.{price % 100:02d}")
    assert_readable(phone)
    phone.screenshot(path=str(artifacts / "pay_vend_partial_refund_en.png"), full_page=True)

    whole = vend.call("POST", "/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]})
    simulate_pay(vend.pay_link(whole))
    vend.call(
        "POST",
        f"/orders/{whole['order_id']}/vend-results",
        {
            "report_id": str(uuid.uuid4()),
            "results": [{"slot": a["slot"], "requested": 1, "dispensed": 0, "error": "motor_jam"}],
        },
    )
    phone.goto(f"{vend.pay_link(whole)}?lang=zh")  # the English visit above left its cookie
    expect(phone.locator("#pay-title")).to_have_text(re.compile(r"^已全额退款 ¥\d"))
    assert_readable(phone)
    phone.screenshot(path=str(artifacts / "pay_vend_refunded.png"), full_page=True)

    given_up = vend.call("POST", "/sessions", {"lines": [{"slot": a["slot"], "qty": 1}]})
    phone.goto(vend.pay_link(given_up))
    vend.call("POST", f"/orders/{given_up['order_id']}/cancel")
    with phone.expect_response(lambda r: r.request.method == "POST") as answer:
        phone.locator("button.paybtn").click()
    assert answer.value.status == 409
    expect(phone.locator("#pay-title")).to_have_text("本次支付未完成")
    assert "此订单已在柜机上取消，未扣款" in status_of(phone)
    assert phone.locator("button.paybtn").count() == 0
    assert_readable(phone)
    phone.screenshot(path=str(artifacts / "pay_after_cancel.png"), full_page=True)
    phone.close()
