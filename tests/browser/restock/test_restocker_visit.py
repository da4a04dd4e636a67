"""A restocker does a whole visit on a phone (390×844): signs in and lands on the route of the day,
opens a kiosk's pick list, finds a slot by its GTIN, reviews the visit, confirms it, and reads what
changed; no page scrolls sideways."""

from __future__ import annotations

from sqlalchemy import func, select

from catalogue.models import Product
from core.clock import FixedClock
from core.db import Database
from inventory.models import Slot, StockMovement
from kiosk_api.auth.service import create_user

PHONE = {"width": 390, "height": 844}
USERNAME, PASSWORD = "wang.restock", "granite-orchard-7391-kiosk"


def seed(db: Database, clock: FixedClock) -> None:
    """A restocker of our own (not a demo account)."""
    with db.unit_of_work() as session:
        create_user(
            session, clock, username=USERNAME, role="restocker", password=PASSWORD, display_name="王补货"
        )


def _fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (
        "the page scrolls sideways"
    )


def test_a_restocker_records_a_whole_visit_on_a_phone(live_server, browser, artifacts) -> None:
    base = live_server.url
    with live_server.db.unit_of_work() as session:
        gtin = session.scalar(
            select(Product.gtin).join(Slot, Slot.product_id == Product.id).where(Slot.code == "B1")
        )
        before = session.scalar(select(func.count()).select_from(StockMovement))
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{base}/login")
    page.fill("input[name=username]", USERNAME)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation(url=f"{base}/restock/"):
        page.click("form.login button")
    assert "我的路线" in page.locator("h1").inner_text()
    assert "FZ-R1" in page.content() and "件要带" in page.content()
    assert "1 个货道已停售" in page.locator("a.rs-card:has-text('FZ-0001')").inner_text()
    _fits_the_phone(page)
    page.screenshot(path=str(artifacts / "restock_route.png"), full_page=True)

    page.click("a.rs-card:has-text('FZ-0001')")
    page.wait_for_url(f"{base}/restock/kiosks/FZ-0001")
    assert "拣货单" in page.locator("h1").inner_text()
    assert "已过期" in page.content()  # the demo's expired potato shreds in A3
    # …which keep the vending slot off sale until they are pulled
    assert "有过期批次，已停售" in page.locator("li.rs-line:has-text('A3')").inner_text()
    _fits_the_phone(page)
    page.screenshot(path=str(artifacts / "restock_picklist.png"), full_page=True)

    page.locator("a.rs-primary").first.click()
    page.wait_for_url(f"{base}/restock/kiosks/FZ-0001/visit")
    if not page.evaluate("'BarcodeDetector' in window"):
        assert not page.is_visible("button.rs-scan"), "a camera button where the browser cannot read codes"
    page.fill("input[name=gtin]", gtin)
    page.click("form.rs-jump button[type=submit]")
    card = page.locator("details#slot-B1")
    assert card.get_attribute("open") is not None, "the GTIN did not open its slot"
    assert page.url.endswith("/visit"), "finding a slot reloaded the page"
    # B1 holds 1 and the pick list brings 3; bring 2 instead: the count afterwards follows (1 + 2),
    # then the restocker finds one fewer in the slot than that, and types it.
    page.fill("input[name=put-B1-0-qty]", "2")
    assert page.input_value("input[name=count-B1]") == "3"
    page.fill("input[name=count-B1]", "2")
    _fits_the_phone(page)
    page.screenshot(path=str(artifacts / "restock_record.png"), full_page=True)

    page.click("form.rs-visit button[type=submit]")
    page.wait_for_selector("form.rs-confirm")
    assert "确认补货" in page.locator("h1").inner_text()
    b1 = page.locator(".rs-line:has-text('B1')").inner_text()
    assert "+2 放入" in b1 and "-1 清点调整" in b1, b1
    _fits_the_phone(page)
    page.screenshot(path=str(artifacts / "restock_confirm.png"), full_page=True)
    with live_server.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(StockMovement)) == before, (
            "written before 确认"
        )

    page.click("form.rs-confirm button[name=confirm]")
    page.wait_for_selector("h1.rs-done")
    assert "北京时间" in page.content()
    _fits_the_phone(page)
    page.screenshot(path=str(artifacts / "restock_done.png"), full_page=True)
    page.goto(page.url + "?lang=en")
    assert "Visit recorded" in page.locator("h1").inner_text() and "Beijing time" in page.content()
    with live_server.db.unit_of_work() as session:
        recorded = session.scalars(
            select(StockMovement).where(StockMovement.reference.like("restock:FZ-0001:%"))
        ).all()
    assert recorded and {m.actor for m in recorded} == {USERNAME}
    page.close()
