"""The console's ledgers, statements and checks at 1366 px: names, labels and Beijing times, no page
wider than the window (wide tables scroll inside their own box)."""

from __future__ import annotations

from datetime import datetime

from core.clock import SHANGHAI, FixedClock
from core.db import Database
from inventory import service as inventory
from kiosk_api.demo import demo_password
from sales.statements.issue import issue_period
from tests.integration.statements.factories import make_month, orders_of_every_kind

DESKTOP = {"width": 1366, "height": 900}
PAGES = {
    "ledger": "/console/ledger?period=2026-11",
    "stock_ledger": "/console/ledger/stock",
    "payments": "/console/ledger/payments",
    "reconciliation": "/console/reconciliation?period=2026-11",
    "statements": "/console/statements?period=2026-10",
    "money_audit": "/console/audit/money?period=all",
    "bulk_orders": "/operator/bulk-orders",
}


def seed(db: Database, clock: FixedClock) -> None:
    """October sold and issued; November orders of every channel and status, a write-off."""
    with db.unit_of_work() as session:
        make_month(session, clock, datetime(2026, 10, 1, tzinfo=SHANGHAI), orders=20, seed=3)
    with db.unit_of_work() as session:
        clock.set(datetime(2026, 11, 1, 9, 0, tzinfo=SHANGHAI))
        issue_period(session, clock, "2026-10", actor="demo-operator")
    with db.unit_of_work() as session:
        orders_of_every_kind(session, clock)
        inventory.write_off(
            session, clock, location="FZ-0001", slot="A3", qty=1, reason="damaged", actor="demo-operator"
        )


def test_console_records_read_as_names_labels_and_beijing_times(live_server, browser, artifacts) -> None:
    page = browser.new_page(viewport=DESKTOP)
    base = live_server.url
    page.goto(f"{base}/login?next=/console/")
    page.fill("input[name=username]", "demo-admin")
    page.fill("input[name=password]", demo_password("admin"))
    with page.expect_navigation(url=f"{base}/console/"):
        page.click("form.login button")
    for name, path in PAGES.items():
        page.goto(base + path)
        assert page.locator("h1").first.is_visible(), name
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= DESKTOP["width"], f"{name} is {width} px wide"
        page.screenshot(path=str(artifacts / f"readable_{name}.png"), full_page=True)
    page.goto(base + PAGES["ledger"])
    text = page.locator("table.data").inner_text()
    assert "北京时间" in text and "无人售货柜" in text and "kiosk" not in text
    page.close()
