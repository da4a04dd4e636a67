"""The shop's catalogue in Chromium: on a 390 px phone the filters fold behind one 筛选 button and
products start on the first screen; partner, province → prefecture → county and category combine
(the page lists exactly what the API and the catalogue find); the header keeps its height when the
cart badge shows 99; an order's page shows its short number."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from catalogue import service as catalogue
from catalogue.models import Product
from sales.order_search import OrderFilters, search_orders, short_id

from .conftest import ARTIFACTS, DESKTOP, PHONE, sign_in, submit, url

FUZHOU, NINGXIA, GUYUAN, XIJI = "350100", "640000", "640400", "640422"
SHOPPER = {"name": "林女士", "phone": "13800138000", "address": "福建省福州市鼓楼区五一北路 1 号"}


def _screen(page: Any, name: str) -> None:
    """The viewport only: what the shopper sees first, before scrolling."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _open_filters(page: Any) -> None:
    if page.locator("details#filters").get_attribute("open") is None:
        page.click("details#filters > summary")
    page.wait_for_selector("details#filters[open] [data-filter=partner]", state="visible")


def _card_names(page: Any) -> set[str]:
    return set(page.locator("li.card h3").all_inner_texts())


def test_phone_shop_folds_filters_and_shows_products_first(live_server, page) -> None:
    page.goto(url(live_server, "/shop"))
    assert page.locator("details#filters").get_attribute("open") is None
    assert not page.locator("[data-filter=partner]").is_visible()
    first_card = page.locator("li.card").first.bounding_box()
    assert first_card is not None and first_card["y"] < PHONE["height"]
    assert page.locator("details#filters > summary").inner_text().strip() == "筛选"  # none on: no count
    _screen(page, "shop-390-filters-closed")

    _open_filters(page)
    assert page.locator("[data-filter=province] .chip").count() >= 3  # 全部 + the western provinces
    _screen(page, "shop-390-filters-open")


def test_partner_county_and_category_combine_and_the_page_lists_what_the_api_finds(live_server, page) -> None:
    page.goto(url(live_server, "/shop"))
    _open_filters(page)
    submit(page, f"[data-filter=partner] .chip[data-code='{FUZHOU}']")
    _open_filters(page)
    submit(page, f"[data-filter=province] .chip[data-code='{NINGXIA}']")
    # the link jumps to the prefecture row, so the browser keeps the folded panel open
    page.wait_for_selector("details#filters[open]")
    submit(page, f"[data-filter=prefecture] .chip[data-code='{GUYUAN}']")
    page.wait_for_selector("details#filters[open] [data-filter=county]", state="visible")
    _screen(page, "shop-390-county-row")
    counties = page.locator("[data-filter=county] .chip[data-code]")
    assert XIJI in [counties.nth(i).get_attribute("data-code") for i in range(counties.count())]
    submit(page, f"[data-filter=county] .chip[data-code='{XIJI}']")
    _open_filters(page)
    submit(page, "[data-filter=category] .chip[data-code=grain]")

    query = parse_qs(urlsplit(page.url).query)
    assert query == {"partner": [FUZHOU], "region": [XIJI], "category": ["grain"]}  # a link to share
    chips = page.locator(".active-filters a.removable").all_inner_texts()
    assert any("福州市" in c for c in chips) and any("西吉县" in c and "固原市" in c for c in chips)
    assert page.locator("details#filters .filter-count").inner_text() == "3"

    shown = _card_names(page)
    api = page.request.get(
        url(live_server, f"/api/v1/products?partner={FUZHOU}&county={XIJI}&category=grain")
    )
    from_api = {item["name"]["zh"] for item in api.json()["items"]}
    with live_server.db.unit_of_work() as session:
        found, total = catalogue.search_products(
            session, on=catalogue.today(live_server.clock), partner=FUZHOU, county=XIJI, category="grain"
        )
        from_db = {p.name_zh for p in found}
        grain_of_fuzhou = catalogue.search_products(
            session, on=catalogue.today(live_server.clock), partner=FUZHOU, category="grain", limit=200
        )[1]
    assert shown == from_api == from_db and len(shown) == total >= 2
    assert grain_of_fuzhou > total  # the county narrowed the partner's result
    assert page.locator("#result-count").get_attribute("data-total") == str(total)
    _screen(page, "shop-390-county-partner-category")

    submit(page, ".active-filters a[data-remove=partner]")  # removing one chip keeps the others
    assert parse_qs(urlsplit(page.url).query) == {"region": [XIJI], "category": ["grain"]}


def test_desktop_shop_shows_filters_beside_the_products(live_server, browser) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(url(live_server, f"/?partner={FUZHOU}"))
        assert page.locator("[data-filter=partner]").is_visible()  # open without a click
        assert not page.locator("details#filters > summary").is_visible()
        panel = page.locator("details#filters").bounding_box()
        card = page.locator("li.card").first.bounding_box()
        assert panel is not None and card is not None and card["x"] > panel["x"] + panel["width"]
        # / is the shop's own page: the same filters and cards
        assert page.locator(".active-filters a[data-remove=partner]").count() == 1
        _screen(page, "shop-desktop")
    finally:
        context.close()


def _header_height(page: Any) -> float:
    box = page.locator("header.top").bounding_box()
    assert box is not None
    return box["height"]


def test_header_keeps_one_line_when_the_cart_badge_shows_99(live_server, browser) -> None:
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    try:
        page = context.new_page()
        empty = {}
        for label, size in (("390", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            page.goto(url(live_server, "/shop"))
            assert page.locator(".cart-count").count() == 0
            empty[label] = _header_height(page)
        with live_server.db.unit_of_work() as session:
            product_id = session.query(Product.id).filter(Product.sku == "GY-POTATO-5KG").scalar()
        page.goto(url(live_server, f"/shop/products/{product_id}"))
        page.fill("form.add input[name=qty]", "99")
        submit(page, "form.add button")
        for label, size in (("390", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            page.goto(url(live_server, "/shop"))
            assert page.locator(".cart-count").inner_text() == "99"
            assert _header_height(page) == empty[label], label
            links = page.locator("header.top nav > a")
            tops = {round(links.nth(i).bounding_box()["y"]) for i in range(links.count())}
            assert len(tops) == 1, f"{label}: the nav wraps onto {len(tops)} lines"
        page.set_viewport_size(PHONE)
        page.locator("header.top").screenshot(path=str(ARTIFACTS / "header-390-cart-99.png"))
    finally:
        context.close()


def test_the_order_page_shows_the_short_number_that_finds_the_order(live_server, page) -> None:
    with live_server.db.unit_of_work() as session:
        product_id = session.query(Product.id).filter(Product.sku == "GY-HONEY-500G").scalar()
    page.goto(url(live_server, f"/shop/products/{product_id}"))
    submit(page, "form.add button")
    page.click("text=去结算")
    for field, value in SHOPPER.items():
        page.fill(f"[name={field}]", value)
    page.click("form.sf-form button.primary")
    page.wait_for_url(re.compile(r".*/pay/[A-Za-z0-9_-]+$"))
    shown_on_pay = page.locator(".where .order-number").inner_text()
    page.click("button.paybtn")
    page.wait_for_selector(".status.ok")
    submit(page, "#order-link")
    order_id = re.search(r"/shop/orders/([0-9a-f-]+)", page.url).group(1)
    number = page.locator(".order-number").inner_text()
    assert number == shown_on_pay == short_id(order_id)
    html = page.content()
    keep_link = page.locator(".link-box").inner_text()  # the secret link holds the id, as a URL
    assert order_id not in page.locator("main").inner_text().replace(keep_link, "")
    assert "138****8000" in html and "13800138000" not in html
    assert "openapi" not in html.lower()
    with live_server.db.unit_of_work() as session:
        rows, total = search_orders(session, OrderFilters(text=number), limit=5)
        assert total == 1 and rows[0].order.id == order_id
    page.screenshot(path=str(ARTIFACTS / "order-short-number-390.png"), full_page=True)


def test_a_signed_in_header_stays_within_the_phone_screen(live_server, browser) -> None:
    for username, role in (("demo-org-buyer", "org_buyer"), ("demo-operator", "operator")):
        context = browser.new_context(viewport=PHONE, locale="zh-CN")
        try:
            page = context.new_page()
            sign_in(page, live_server, username, role, next_path="/shop")
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], role
            header = page.locator("header.top").bounding_box()
            assert header is not None and header["x"] + header["width"] <= PHONE["width"]
            page.locator("header.top").screenshot(path=str(ARTIFACTS / f"header-390-{role}.png"))
        finally:
            context.close()


def test_english_phone_shop_reads_in_english(live_server, page) -> None:
    page.goto(url(live_server, f"/shop?lang=en&partner={FUZHOU}&region={XIJI}"))
    assert page.locator("details#filters > summary").inner_text().startswith("Filters")
    chips = " ".join(page.locator(".active-filters a.removable").all_inner_texts())
    assert "Fuzhou" in chips and "Xiji County" in chips and "福州" not in chips
    first_card = page.locator("li.card").first.bounding_box()
    assert first_card is not None and first_card["y"] < PHONE["height"]
    _screen(page, "shop-390-en")
