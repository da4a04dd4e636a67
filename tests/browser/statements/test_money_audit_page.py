"""The auditor's money audit page in Chromium, on a desktop and a phone: all checks passing, then
a unit's transfer beyond its order's total shown as owed back, then one revenue entry duplicated
behind the services' back and the page naming its order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update

from core.clock import SHANGHAI, FixedClock
from core.db import Database
from payments.models import Refund
from sales.models import CommissionRate, Order, RevenueEntry
from sales.money_audit import LABELS
from sales.statements.issue import issue_period
from tests.browser.statements.test_console_pages import _sign_in
from tests.integration.orgs.test_payouts import paid_by_transfer
from tests.integration.statements.factories import make_month

VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def seed(db: Database, clock: FixedClock) -> None:
    """October sold and issued, November selling; every refund paid out."""
    with db.unit_of_work() as session:
        for channel, bp in (("kiosk", 800), ("storefront", 500), ("bulk", 300), ("shop", 650)):
            session.add(CommissionRate(channel=channel, supplier_id=None, basis_points=bp))
        make_month(session, clock, datetime(2026, 10, 1, tzinfo=SHANGHAI), orders=40, seed=7)
    with db.unit_of_work() as session:
        clock.set(datetime(2026, 11, 1, 9, 0, tzinfo=SHANGHAI))
        issue_period(session, clock, "2026-10", actor="browser-test")
    with db.unit_of_work() as session:
        make_month(session, clock, datetime(2026, 11, 1, tzinfo=SHANGHAI), orders=30, seed=8)
        session.execute(update(Refund).where(Refund.status == "pending").values(status="succeeded"))


def _corrupt_one_entry(db: Database, clock: FixedClock) -> str:
    """Write a second copy of one October sale entry, dated November; return its order id."""
    with db.unit_of_work() as session:
        order_id = session.scalar(
            select(Order.id).where(Order.captured_fen > 0, Order.refunded_fen == 0).order_by(Order.created_at)
        )
        sale = session.scalars(select(RevenueEntry).where(RevenueEntry.order_id == order_id)).first()
        columns = {c.key: getattr(sale, c.key) for c in RevenueEntry.__table__.columns if c.key != "id"}
        session.execute(insert(RevenueEntry).values(columns | {"period": "2026-11", "at": clock.now()}))
    return str(order_id)


def _fits(page) -> None:
    """Nothing wider than the screen: wide tables scroll inside their own box, the page does not."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_the_auditor_sees_each_check_pass_then_the_order_that_breaks_one(live_server, browser, artifacts):
    base = live_server.url
    pages = {}
    for name, viewport in VIEWPORTS.items():
        page = browser.new_page(viewport=viewport)
        _sign_in(page, base, "auditor", "/console/audit/money")
        assert page.locator("table.checks .check-state.pass").count() == len(LABELS)
        assert page.locator(".verdict.genuine").inner_text().startswith("✓ 全部")
        assert page.locator("select[name=period]").input_value() == "2026-10"  # the last finished month
        _fits(page)
        page.screenshot(path=str(artifacts / f"money-audit-pass-{name}.png"), full_page=True)
        pages[name] = page
    with live_server.db.unit_of_work() as session:
        overpaid, _payment = paid_by_transfer(session, live_server.clock, extra_fen=15_000)
    for name, page in pages.items():
        page.select_option("select[name=period]", "all")
        with page.expect_navigation():
            page.click("form.filters button")
        assert page.locator("table.checks .check-state.fail").count() == 0
        assert page.locator("tr[data-check=overpayments] .check-state.owed").count() == 1
        owing = page.locator("#overpayments")
        assert overpaid.id[:8] in owing.inner_text() and "¥150.00" in owing.inner_text()
        _fits(page)
        page.screenshot(path=str(artifacts / f"money-audit-owed-{name}.png"), full_page=True)
    order_id = _corrupt_one_entry(live_server.db, live_server.clock)
    for name, page in pages.items():
        page.select_option("select[name=period]", "all")
        with page.expect_navigation():
            page.click("form.filters button")
        assert page.locator("table.checks .check-state.fail").count() == 4
        link = page.locator(f"#orders_match_ledger a[href='/console/orders/{order_id}']")
        assert link.inner_text() == order_id[:8] and link.is_visible()
        _fits(page)
        page.screenshot(path=str(artifacts / f"money-audit-fail-{name}.png"), full_page=True)
    desktop = pages["desktop"]
    with desktop.expect_navigation():
        desktop.click(f"#orders_match_ledger a[href='/console/orders/{order_id}']")
    heading = desktop.locator("h1 code")  # the order's short id, its full id as the tooltip
    assert heading.inner_text() == order_id[:8] and heading.get_attribute("title") == order_id
    for page in pages.values():
        page.close()
