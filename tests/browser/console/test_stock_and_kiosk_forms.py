"""An operator at a 1366 px desktop receives goods, moves some into a kiosk slot, counts a slot,
writes off expired goods, edits a slot's par level and rotates the kiosk's key (its secret shown once)."""

from __future__ import annotations

from sqlalchemy import select

from catalogue.models import Product
from core.clock import FixedClock
from core.db import Database
from kiosk_api.demo import demo_password
from kiosk_api.kiosks import service as kiosk_keys

DESKTOP = {"width": 1366, "height": 900}


def seed(db: Database, clock: FixedClock) -> None:
    """FZ-0001 has a device key, so the operator can rotate it."""
    with db.unit_of_work() as session:
        kiosk_keys.provision(session, clock, "FZ-0001", secret_key="browser-tests")


def _sign_in(page, base: str, then: str) -> None:
    page.goto(f"{base}/login?next={then}")
    page.fill("input[name=username]", "demo-operator")
    page.fill("input[name=password]", demo_password("operator"))
    with page.expect_navigation(url=f"{base}{then}"):
        page.click("form.login button")


def _confirm(page, done: str) -> None:
    """Press 「确认」 on a summary and land on the page that says what was written."""
    with page.expect_navigation():
        page.click("button[name=confirm]")
    assert done in page.locator(".flash").inner_text()


def _review(page) -> None:
    with page.expect_navigation():
        page.click("form.stock-form button")
    assert page.locator("h1").inner_text().startswith("确认")


def test_an_operator_moves_stock_and_runs_a_kiosk_from_the_console(live_server, browser, artifacts) -> None:
    base = live_server.url
    with live_server.db.unit_of_work() as session:
        honey = str(session.scalar(select(Product.id).where(Product.sku == "GY-HONEY-500G")))
    page = browser.new_page(viewport=DESKTOP, locale="zh-CN")
    _sign_in(page, base, "/console/inventory/receipt")

    page.select_option("select[name=location]", "FZ-WH-01")
    page.select_option("select[name=product]", honey)
    page.fill("input[name=lot]", "FZ-HONEY-2705")
    page.fill("input[name=expires_on]", "2027-05-31")
    page.fill("input[name=qty]", "12")
    page.screenshot(path=str(artifacts / "console_receipt_form.png"), full_page=True)
    _review(page)
    summary = page.locator("table.summary").first.inner_text()
    assert "福州消费帮扶中心仓（演示） · FZ-WH-01" in summary and "FZ-HONEY-2705" in summary
    assert "12 件" in summary
    page.screenshot(path=str(artifacts / "console_receipt_confirm.png"), full_page=True)
    _confirm(page, "已入库")
    assert "FZ-HONEY-2705" in page.locator("table.data").inner_text()

    page.goto(f"{base}/console/inventory/transfer")
    page.select_option("select[name=from]", "FZ-WH-01")
    page.select_option("select[name=to]", "FZ-0001/C2")
    page.fill("input[name=qty]", "3")
    _review(page)
    assert "货道 C2" in page.locator("table.summary").first.inner_text()
    page.screenshot(path=str(artifacts / "console_transfer.png"), full_page=True)
    _confirm(page, "已调拨")

    page.goto(f"{base}/console/inventory/count")
    page.select_option("select[name=location]", "FZ-0001/A1")
    page.fill("input[name=counted]", "3")
    _review(page)
    assert "-2 件" in page.locator("table.summary").first.inner_text()
    page.screenshot(path=str(artifacts / "console_count.png"), full_page=True)
    _confirm(page, "已盘点")

    page.goto(f"{base}/console/inventory/writeoff")
    page.select_option("select[name=location]", "FZ-0001/A3")
    page.select_option("select[name=reason]", "expired")
    page.fill("input[name=qty]", "2")
    _review(page)
    assert "过期 · Expired" in page.locator("table.summary").first.inner_text()
    page.screenshot(path=str(artifacts / "console_writeoff.png"), full_page=True)
    _confirm(page, "已报损")

    page.goto(f"{base}/console/kiosks/FZ-0001")
    with page.expect_navigation():
        page.click("a[href='/console/kiosks/FZ-0001/slots/A1']")
    page.fill("input[name=par_level]", "9")
    with page.expect_navigation():
        page.click("form.slot-form button")
    assert "不能超过容量" in page.locator("#err-par_level").inner_text()
    page.screenshot(path=str(artifacts / "console_slot_edit.png"), full_page=True)
    page.fill("input[name=par_level]", "7")
    with page.expect_navigation(url=f"{base}/console/kiosks/FZ-0001"):
        page.click("form.slot-form button")
    assert "已保存货道" in page.locator(".flash").inner_text()

    with page.expect_navigation():
        page.click("text=更换设备密钥")
    with page.expect_navigation():
        page.click("button[name=confirm]")
    secret = page.locator("code.secret").inner_text()
    assert len(secret) >= 40
    page.screenshot(path=str(artifacts / "console_key_rotated.png"), full_page=True)
    page.goto(f"{base}/console/kiosks/FZ-0001")
    assert secret not in page.content()
    page.close()
