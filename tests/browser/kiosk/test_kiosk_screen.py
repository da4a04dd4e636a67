"""The vend cabinet's touch screen at its size (1080×1920 portrait) in Chromium, against the real
server and kiosk program: one tile per product, category tabs, a screen that never scrolls, the idle
warning and reset, English throughout, the pay-timeout warning, a jam told by product name and the
receipt. Screens are saved under test-artifacts/kiosk/screen-*.png."""

from __future__ import annotations

import io
import json
import re
import urllib.request
from collections import defaultdict
from typing import Any

import zxingcpp
from PIL import Image
from sqlalchemy import select

from sales.models import OrderLine
from tests.browser.kiosk.conftest import Stack, shot
from tests.browser.kiosk.test_kiosk_in_browser import (
    KIOSK_VIEWPORT,
    latest_order,
    pay_on_phone,
    wait_for_order,
)
from tests.waiting import wait_until

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
SHARED_SKU = "GY-INSTANT-VERMICELLI-6"  # the demo's FZ-0001 holds it in A1 and A2
JAMMED_SKU = "GY-HONEY-500G"  # in B3


def kiosk_json(stack: Stack, path: str, body: Any = None) -> Any:
    url = f"{stack.kiosk_urls['FZ-0001']}{path}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def products(stack: Stack) -> dict[str, dict[str, Any]]:
    """The kiosk's catalogue by sku: the product, its slots, their summed availability."""
    grouped: dict[str, dict[str, Any]] = defaultdict(lambda: {"slots": [], "available": 0})
    for slot in kiosk_json(stack, "/api/catalogue")["slots"]:
        entry = grouped[slot["product"]["sku"]]
        entry["product"] = slot["product"]
        entry["slots"].append(slot["slot"])
        entry["available"] += slot["available"]
    return dict(grouped)


def open_kiosk(browser, stack: Stack, *, fake_clock: bool = False):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport=KIOSK_VIEWPORT)
    if fake_clock:
        page.clock.install()
    page.goto(stack.kiosk_urls["FZ-0001"])
    page.locator("#screen-home .tile").first.wait_for()
    return page


def tile(page, sku: str):  # type: ignore[no-untyped-def]
    return page.locator(f'#grid .tile[data-sku="{sku}"]')


def show_category_of(page, stack: Stack, sku: str) -> None:  # type: ignore[no-untyped-def]
    page.locator(f'#tabs .tab[data-category="{products(stack)[sku]["product"]["category"]}"]').click()
    tile(page, sku).wait_for()


def box(page, selector: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    found = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


def assert_fits_the_screen(page) -> None:  # type: ignore[no-untyped-def]
    """Header at the top, the grid between it and the cart bar, nothing below the screen's edge."""
    assert page.evaluate("window.scrollY") == 0
    assert page.evaluate("document.scrollingElement.scrollHeight") <= KIOSK_VIEWPORT["height"]
    header, grid, bar, help_line = (box(page, s) for s in ("#top", "#grid", "#cart-bar", "#help"))
    assert header["y"] == 0 and header["height"] > 0
    assert header["y"] + header["height"] <= grid["y"]
    assert grid["y"] + grid["height"] <= bar["y"]
    assert bar["y"] + bar["height"] <= help_line["y"]
    assert help_line["y"] + help_line["height"] <= KIOSK_VIEWPORT["height"]
    for i in range(page.locator("#grid .tile").count()):
        t = page.locator("#grid .tile").nth(i).bounding_box()
        assert t is not None and t["y"] + t["height"] <= bar["y"]


def visible_text(page) -> str:  # type: ignore[no-untyped-def]
    """What the shopper reads: header, screen and footers (the language button names 中文 on purpose)."""
    return page.evaluate(
        """() => ['#kiosk-name', '.brand-title', '#main', '#cart-bar', '#help', '#idle-warning']
             .map(s => document.querySelector(s)).filter(n => n && n.offsetParent !== null)
             .map(n => n.innerText).join('\\n')"""
    )


def test_one_tile_per_product_although_two_slots_hold_it_and_the_grid_fits_the_screen(
    stack: Stack, browser
) -> None:
    catalogue = products(stack)
    shared = catalogue[SHARED_SKU]
    assert len(shared["slots"]) == 2, "the demo holds this product in two slots"
    page = open_kiosk(browser, stack)
    show_category_of(page, stack, SHARED_SKU)
    assert tile(page, SHARED_SKU).count() == 1
    assert tile(page, SHARED_SKU).get_attribute("data-slots") == " ".join(shared["slots"])
    assert f"剩 {shared['available']} 件" in tile(page, SHARED_SKU).inner_text()
    # Across every tab, each product is one tile.
    seen: list[str] = []
    tabs = page.locator("#tabs .tab")
    for i in range(tabs.count()):
        tabs.nth(i).click()
        seen += page.locator("#grid .tile").evaluate_all("tiles => tiles.map(t => t.dataset.sku)")
    assert sorted(seen) == sorted(catalogue) and len(seen) == len(set(seen))
    tabs.first.click()
    assert_fits_the_screen(page)
    assert page.locator("#help").inner_text().split() == ["服务电话", "0591-0000000", "演示号码"]
    shot(page, "screen-1-home-grouped")
    page.close()


def test_a_category_tab_shows_only_that_categorys_products(stack: Stack, browser) -> None:
    catalogue = products(stack)
    page = open_kiosk(browser, stack)
    first = page.locator("#tabs .tab").first.get_attribute("data-category")
    second_tab = page.locator("#tabs .tab").nth(1)
    second = second_tab.get_attribute("data-category")
    second_tab.click()
    assert second_tab.get_attribute("aria-pressed") == "true"
    shown = page.locator("#grid .tile").evaluate_all("tiles => tiles.map(t => t.dataset.sku)")
    expected = [sku for sku, p in catalogue.items() if p["product"]["category"] == second]
    assert shown and sorted(shown) == sorted(expected[:6]) and second != first
    assert (
        page.locator("#tabs .tab.active").inner_text()
        == catalogue[shown[0]]["product"]["category_name"]["zh"]
    )
    assert_fits_the_screen(page)
    shot(page, "screen-2-category")
    page.close()


def test_the_cart_has_one_line_per_product_and_the_server_chooses_the_slots(stack: Stack, browser) -> None:
    shared = products(stack)[SHARED_SKU]
    page = open_kiosk(browser, stack)
    show_category_of(page, stack, SHARED_SKU)
    for _ in range(3):
        tile(page, SHARED_SKU).click()
    assert tile(page, SHARED_SKU).locator(".qty-badge").inner_text() == "×3"
    assert page.locator("#cart-count").inner_text() == "3 件商品"
    assert_fits_the_screen(page)
    page.locator("#cart-bar-go").click()
    page.locator("#screen-cart").wait_for()
    lines = page.locator("#cart-lines .cart-line")
    assert lines.count() == 1 and lines.first.get_attribute("data-sku") == SHARED_SKU
    assert lines.first.locator(".qty").inner_text() == "3"
    price = shared["product"]["price_fen"]
    assert page.locator("#cart-total").inner_text() == f"¥{3 * price // 100}.{3 * price % 100:02d}"
    shot(page, "screen-3-cart")
    page.locator("#pay-button").click()
    page.locator("#screen-pay").wait_for()
    order, _payment, _ = latest_order(stack, "FZ-0001")
    db = stack.db()
    with db.unit_of_work() as session:
        slots = session.execute(
            select(OrderLine.slot_code, OrderLine.qty).where(OrderLine.order_id == order.id)
        ).all()
    db.engine.dispose()
    assert sum(qty for _slot, qty in slots) == 3 and {slot for slot, _ in slots} <= set(shared["slots"])
    page.locator("#cancel-button").click()
    page.locator("#screen-message").wait_for()
    wait_for_order(stack, "FZ-0001", "cancelled")
    page.close()


def test_the_idle_warning_counts_down_and_the_reset_lands_at_the_top_in_chinese(
    stack: Stack, browser
) -> None:
    page = open_kiosk(browser, stack, fake_clock=True)
    show_category_of(page, stack, SHARED_SKU)
    page.locator("#tabs .tab").nth(1).click()  # not the first category any more
    second = page.locator("#tabs .tab").nth(1).get_attribute("data-category")
    page.locator("#grid .tile:not(.sold-out)").first.click()
    page.locator("#cart-bar-go").click()
    page.locator("#screen-cart").wait_for()

    page.clock.fast_forward("00:51")  # idle 60 s: the warning shows in the last 10
    warning = page.locator("#idle-warning")
    warning.wait_for()
    assert re.fullmatch(r"还在吗？(10|9) 秒后返回首页", page.locator("#idle-text").inner_text())
    assert page.locator("#idle-continue").inner_text() == "继续"
    shot(page, "screen-4-idle-warning")
    page.locator("#idle-continue").click()
    warning.wait_for(state="hidden")
    assert page.locator("#screen-cart").is_visible() and page.locator("#cart-lines .cart-line").count() == 1

    page.locator("#lang").click()  # the next shopper must not inherit English either
    page.clock.fast_forward("01:01")
    page.locator("#screen-home").wait_for()
    page.wait_for_function("() => document.getElementById('idle-warning').hidden")
    assert (
        page.evaluate("window.scrollY") == 0
        and page.evaluate("document.getElementById('main').scrollTop") == 0
    )
    header = box(page, "#top")
    assert header["y"] == 0 and header["y"] + header["height"] <= KIOSK_VIEWPORT["height"]
    assert page.locator("#lang").inner_text() == "English"
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    first_tab = page.locator("#tabs .tab").first
    assert (
        first_tab.get_attribute("aria-pressed") == "true"
        and first_tab.get_attribute("data-category") != second
    )
    assert (
        page.locator("#grid .tile.in-cart").count() == 0
        and page.locator("#cart-count").inner_text() == "购物车是空的"
    )
    assert_fits_the_screen(page)
    shot(page, "screen-5-after-idle-reset")
    page.close()


def test_english_mode_is_english_throughout(stack: Stack, browser) -> None:
    shared = products(stack)[SHARED_SKU]
    page = open_kiosk(browser, stack)
    page.locator("#lang").click()
    show_category_of(page, stack, SHARED_SKU)
    tile(page, SHARED_SKU).click()
    text = tile(page, SHARED_SKU).inner_text()
    assert f"{shared['available']} left" in text and shared["product"]["county"]["name_en"] in text
    for i in range(page.locator("#tabs .tab").count()):
        page.locator("#tabs .tab").nth(i).click()
        assert not CJK.findall(visible_text(page)), visible_text(page)
    page.locator("#tabs .tab").first.click()
    assert page.locator("#lang").inner_text() == "中文"
    shot(page, "screen-6-english-home")
    page.locator("#cart-bar-go").click()
    page.locator("#screen-cart").wait_for()
    assert not CJK.findall(visible_text(page)), visible_text(page)
    shot(page, "screen-6-english-cart")
    page.close()


def test_the_pay_screen_warns_before_the_payment_times_out(stack: Stack, browser) -> None:
    page = open_kiosk(browser, stack, fake_clock=True)
    page.locator("#grid .tile:not(.sold-out)").first.click()
    page.locator("#cart-bar-go").click()
    page.locator("#pay-button").click()
    page.locator("#screen-pay").wait_for()
    assert page.locator("#pay-warning").is_hidden()
    page.clock.fast_forward("02:35")  # the hold is 180 s
    page.locator("#pay-warning").wait_for()
    assert re.fullmatch(
        r"还剩 \d+ 秒，超时后订单自动取消，不会扣款", page.locator("#pay-warning").inner_text()
    )
    shot(page, "screen-7-pay-timeout-warning")
    page.locator("#cancel-button").click()
    page.locator("#screen-message").wait_for()
    wait_for_order(stack, "FZ-0001", "cancelled")
    page.close()


def test_a_jam_names_the_product_and_the_done_screen_shows_the_receipt(stack: Stack, browser) -> None:
    catalogue = products(stack)
    jammed, shared = catalogue[JAMMED_SKU], catalogue[SHARED_SKU]
    kiosk_json(stack, "/sim/fail-slot", {"slot": jammed["slots"][0], "error": "motor_jam", "dispensed": 0})
    try:
        page = open_kiosk(browser, stack)
        show_category_of(page, stack, SHARED_SKU)
        tile(page, SHARED_SKU).click()
        show_category_of(page, stack, JAMMED_SKU)
        tile(page, JAMMED_SKU).click()
        page.locator("#cart-bar-go").click()
        page.locator("#pay-button").click()
        page.locator("#screen-pay").wait_for()
        _order, payment, _ = latest_order(stack, "FZ-0001")
        pay_on_phone(browser, payment.qr_payload, "screen-8")
        page.locator("#screen-done").wait_for(timeout=30_000)
        order, payment, _ = wait_for_order(stack, "FZ-0001", "partially_refunded")
        page.wait_for_function(
            "() => { const q = document.getElementById('done-qr'); return q.complete && q.naturalWidth > 0; }"
        )
        name, price = jammed["product"]["name"]["zh"], jammed["product"]["price_fen"]
        refund = page.locator("#done-refund").inner_text()
        assert refund == f"{name} 1 件未出货，¥{price // 100}.{price % 100:02d} 已自动退款"
        assert jammed["slots"][0] not in page.locator("#screen-done").inner_text()
        lines = page.locator("#done-lines li")
        assert lines.evaluate_all("ls => ls.map(l => l.dataset.sku)") == [SHARED_SKU, JAMMED_SKU]
        assert "1 件未出货，已退款" in lines.nth(1).inner_text() and "未出货" not in lines.nth(0).inner_text()
        assert page.locator("#receipt-number").inner_text() == order.id[:8]
        charged = order.total_fen - price
        assert page.locator("#done-charged").inner_text() == f"¥{charged // 100}.{charged % 100:02d}"
        assert payment.refunded_fen == price and order.total_fen == price + shared["product"]["price_fen"]
        (qr,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(page.locator("#done-qr").screenshot())))
        assert qr.text == payment.qr_payload
        done = box(page, "#screen-done .btn.primary")
        assert done["y"] + done["height"] <= box(page, "#help")["y"]
        shot(page, "screen-8-jam-receipt")
        page.locator("#screen-done [data-reset]").click()
        page.locator("#screen-home").wait_for()
        # The stock counts follow the sale at once, not after the next 30-second refresh.
        wait_until(lambda: products(stack)[SHARED_SKU]["available"] == shared["available"] - 1, timeout=10)
        show_category_of(page, stack, SHARED_SKU)
        page.wait_for_function(
            f"() => document.querySelector('#grid .tile[data-sku=\"{SHARED_SKU}\"]')"
            f".innerText.includes('剩 {shared['available'] - 1} 件')",
            timeout=10_000,
        )
        page.close()
    finally:
        kiosk_json(stack, "/sim/clear", {})


def test_a_category_of_more_than_six_products_pages_instead_of_scrolling(stack: Stack, browser) -> None:
    """Eight more products in the first category (the demo has at most five in one): the catalogue
    the screen reads is widened in the browser; the page shows six, then the rest, and never grows
    past the screen."""
    body = kiosk_json(stack, "/api/catalogue")
    template = next(s for s in body["slots"] if s["product"]["sku"] == SHARED_SKU)
    extra = []
    for i in range(8):
        product = {
            **template["product"],
            "sku": f"TEST-PAGE-{i}",
            "name": {"zh": f"测试商品{i}", "en": f"Test {i}"},
        }
        extra.append({**template, "slot": f"Z{i}", "product": product})
    body["slots"] = [template, *extra, *(s for s in body["slots"] if s is not template)]
    page = browser.new_page(viewport=KIOSK_VIEWPORT)
    page.route("**/api/catalogue", lambda route: route.fulfill(json=body))
    page.goto(stack.kiosk_urls["FZ-0001"])
    page.locator("#grid .tile").first.wait_for()
    assert page.locator("#grid .tile").count() == 6
    assert page.locator("#page-of").inner_text() == "第 1/2 页" and page.locator("#page-prev").is_disabled()
    assert_fits_the_screen(page)
    shot(page, "screen-9-paging")
    first_page = page.locator("#grid .tile").evaluate_all("tiles => tiles.map(t => t.dataset.sku)")
    page.locator("#page-next").click()
    second_page = page.locator("#grid .tile").evaluate_all("tiles => tiles.map(t => t.dataset.sku)")
    category = template["product"]["category"]
    in_category = {s["product"]["sku"] for s in body["slots"] if s["product"]["category"] == category}
    assert set(first_page) | set(second_page) == in_category and not set(first_page) & set(second_page)
    assert page.locator("#page-next").is_disabled()
    page.locator("#tabs .tab").nth(1).click()  # another category starts at its first page
    page.locator("#tabs .tab").first.click()
    assert page.locator("#page-of").inner_text() == "第 1/2 页"
    page.close()
