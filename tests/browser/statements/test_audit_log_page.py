"""The audit log in Chromium: an operator's changes, grouped by request, read as a diff, on a desktop
and a phone."""

from __future__ import annotations

import pytest

from core.clock import FixedClock
from core.db import Database
from kiosk_api.auth.service import create_token
from kiosk_api.demo import demo_password

VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
TOKENS: dict[str, str] = {}


def seed(db: Database, clock: FixedClock) -> None:
    """A bearer token for the demo operator's script."""
    with db.unit_of_work() as session:
        TOKENS["operator"] = create_token(session, clock, "demo-operator", "browser-test script")


@pytest.fixture(scope="module")
def changed(live_server, browser) -> str:  # type: ignore[no-untyped-def]
    """The operator's script changes a product's price and a supplier's households (two requests)."""
    context = browser.new_context()
    api = context.request
    headers = {"Authorization": f"Bearer {TOKENS['operator']}"}
    product = api.get(f"{live_server.url}/api/v1/products/1").json()
    assert api.patch(f"{live_server.url}/api/v1/products/1", data={"price_fen": 1288}, headers=headers).ok
    assert api.patch(
        f"{live_server.url}/api/v1/suppliers/1", data={"households_linked": 321}, headers=headers
    ).ok
    context.close()
    return product["name"]["zh"]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_auditor_reads_each_change_by_name_with_before_and_after(
    live_server, browser, artifacts, changed, viewport
) -> None:
    page = browser.new_page(viewport=VIEWPORTS[viewport])
    page.goto(f"{live_server.url}/login?next=/console/audit")
    page.fill("input[name=username]", "demo-auditor")
    page.fill("input[name=password]", demo_password("auditor"))
    with page.expect_navigation(url=f"{live_server.url}/console/audit"):
        page.click("form.login button")
    page.select_option("select[name=actor]", "demo-operator")
    with page.expect_navigation():
        page.click("form.audit-filters button")
    acts = page.locator("section.audit-act")
    assert acts.count() == 2  # one per request, newest first
    product = acts.nth(1)
    assert (
        f"商品 · {changed}" in product.inner_text() and "¥12.88" in product.locator("td.after").inner_text()
    )
    assert "北京时间" in product.locator("header").inner_text()
    assert "321" in acts.nth(0).locator("td.after").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORTS[viewport]["width"], "the page scrolls sideways"
    page.screenshot(path=str(artifacts / f"audit-log-{viewport}.png"), full_page=True)
    page.close()
