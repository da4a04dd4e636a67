"""A shopper at each kind of cabinet, in Chromium, against the real server and kiosk program:
every screen is saved under test-artifacts/kiosk/, and the server's stock and ledger are checked."""

from __future__ import annotations

import io
import json
import time
import urllib.request

import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from inventory.models import Location, Slot, StockBalance
from payments.models import Payment
from sales.models import Order, RevenueEntry
from tests.browser.kiosk.conftest import Stack, shot

KIOSK_VIEWPORT = {"width": 1080, "height": 1920}
PHONE_VIEWPORT = {"width": 390, "height": 844}


def decode_qr(png: bytes) -> str:
    (barcode,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return barcode.text


def on_hand(stack: Stack, code: str) -> dict[str, int]:
    db = stack.db()
    with db.unit_of_work() as session:
        rows = session.execute(
            select(Slot.code, func.sum(StockBalance.on_hand))
            .join(StockBalance, StockBalance.slot_id == Slot.id)
            .join(Location, Location.id == Slot.location_id)
            .where(Location.code == code)
            .group_by(Slot.code)
        ).all()
    db.engine.dispose()
    return dict(rows)


def latest_order(stack: Stack, code: str) -> tuple[Order, Payment, int]:
    db = stack.db()
    with db.unit_of_work() as session:
        order = session.scalar(
            select(Order)
            .join(Location, Location.id == Order.location_id)
            .where(Location.code == code)
            .order_by(Order.created_at.desc())
            .limit(1)
        )
        payment = session.scalar(select(Payment).where(Payment.order_id == order.id))
        revenue = session.scalar(
            select(func.coalesce(func.sum(RevenueEntry.amount_fen), 0)).where(
                RevenueEntry.order_id == order.id
            )
        )
        session.expunge_all()
    db.engine.dispose()
    return order, payment, revenue


def wait_for_order(stack: Stack, code: str, status: str, timeout: float = 30.0) -> tuple[Order, Payment, int]:
    """Poll the server's database (bounded) until the cabinet's latest order reaches a status."""
    deadline = time.monotonic() + timeout
    while True:
        order, payment, revenue = latest_order(stack, code)
        if order.status == status or time.monotonic() > deadline:
            assert order.status == status
            return order, payment, revenue
        time.sleep(0.1)


def pay_on_phone(browser, payload: str, name: str) -> None:  # type: ignore[no-untyped-def]
    phone = browser.new_page(viewport=PHONE_VIEWPORT)
    phone.goto(payload)
    shot(phone, f"{name}-phone-pay")
    phone.locator("button.paybtn").click()
    phone.locator(".status.ok").wait_for()
    shot(phone, f"{name}-phone-paid")
    phone.close()


def test_tap_two_products_pay_on_the_phone_and_take_the_goods(stack: Stack, browser) -> None:
    kiosk = browser.new_page(viewport=KIOSK_VIEWPORT)
    kiosk.goto(stack.kiosk_urls["FZ-0001"])
    tiles = kiosk.locator("#grid .tile:not(.sold-out)")
    tiles.first.wait_for()
    # The demo's A3 holds an expired lot: its product is off sale, and says so (not "sold out").
    off_sale = kiosk.locator('#grid .tile.sold-out[data-sold-out="暂停销售"]')
    off_sale.first.wait_for()
    assert "A3" in (off_sale.first.get_attribute("data-slots") or "").split()
    # A category with two products on sale.
    tabs = kiosk.locator("#tabs .tab")
    for i in range(tabs.count()):
        tabs.nth(i).click()
        if tiles.count() >= 2:
            break
    assert tiles.count() >= 2, "no category of the demo kiosk has two products on sale"
    shot(kiosk, "vend-1-home")
    # A tile is a product; the slots holding it are the server's to choose among.
    products = [(tiles.nth(i).get_attribute("data-slots") or "").split() for i in (0, 1)]
    before = on_hand(stack, "FZ-0001")
    tiles.nth(0).click()
    tiles.nth(1).click()
    kiosk.locator("#cart-bar [data-go=cart]").click()
    kiosk.locator("#screen-cart").wait_for()
    shot(kiosk, "vend-2-cart")
    kiosk.locator("#pay-button").click()
    kiosk.locator("#screen-pay").wait_for()
    kiosk.wait_for_function(
        "() => { const q = document.getElementById('pay-qr'); return q.complete && q.naturalWidth > 0; }"
    )
    shot(kiosk, "vend-3-pay")

    payload = decode_qr(kiosk.locator("#pay-qr").screenshot())
    order, payment, _ = latest_order(stack, "FZ-0001")
    assert order.status == "awaiting_payment" and payload == payment.qr_payload

    pay_on_phone(browser, payload, "vend-4")
    kiosk.locator("#screen-done").wait_for(timeout=30_000)
    shot(kiosk, "vend-5-done")

    order, payment, revenue = wait_for_order(stack, "FZ-0001", "completed")
    assert payment.captured_fen == order.total_fen > 0 and revenue == order.total_fen
    after = on_hand(stack, "FZ-0001")
    assert [sum(before[s] - after[s] for s in slots) for slots in products] == [1, 1]


def test_open_the_door_take_three_units_and_pay_exactly_their_price(stack: Stack, browser) -> None:
    kiosk = browser.new_page(viewport=KIOSK_VIEWPORT)
    kiosk.goto(stack.kiosk_urls["FZ-0002"])
    kiosk.locator("#screen-door-ready").wait_for()
    kiosk.wait_for_function(
        "() => { const q = document.getElementById('door-qr'); return q.complete && q.naturalWidth > 0; }"
    )
    shot(kiosk, "door-1-scan")
    payload = decode_qr(kiosk.locator("#door-qr").screenshot())
    _, payment, _ = latest_order(stack, "FZ-0002")
    assert payload == payment.qr_payload

    with urllib.request.urlopen(f"{stack.kiosk_urls['FZ-0002']}/api/catalogue") as response:
        shelf = [s for s in json.load(response)["slots"] if s["available"] >= 2]
    a, b = shelf[0], shelf[1]
    before = on_hand(stack, "FZ-0002")
    pay_on_phone(browser, payload, "door-2")
    kiosk.locator("#screen-door-open").wait_for(timeout=30_000)
    # The unlocked sign is drawn (the cabinet has no emoji font), not a 🔓 that shows as a box.
    assert (
        kiosk.locator("#open-icon svg").is_visible() and not kiosk.locator("#open-icon").inner_text().strip()
    )
    shot(kiosk, "door-3-open")

    def sim(path: str, body: dict) -> None:
        request = urllib.request.Request(
            f"{stack.kiosk_urls['FZ-0002']}/sim/{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        urllib.request.urlopen(request).close()

    sim("taken", {a["slot"]: 1, b["slot"]: 2})
    sim("door", {"action": "close"})
    kiosk.locator("#screen-receipt").wait_for(timeout=30_000)
    order, payment, revenue = wait_for_order(stack, "FZ-0002", "completed")
    shot(kiosk, "door-4-receipt")
    expected = a["product"]["price_fen"] + 2 * b["product"]["price_fen"]
    assert order.total_fen == payment.captured_fen == revenue == expected
    after = on_hand(stack, "FZ-0002")
    assert (before[a["slot"]] - after[a["slot"]], before[b["slot"]] - after[b["slot"]]) == (1, 2)
