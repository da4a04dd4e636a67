"""Console pages the readability scan fixed, at 1366 px: an order under its short id with its refund
reason in words, the audit log of an operator's bank transfer naming the order and what moved, a
region's and a kiosk slot's forms; no page wider than the window."""

from __future__ import annotations

from core.clock import FixedClock
from core.db import Database
from kiosk_api.auth.service import create_token
from kiosk_api.demo import demo_password
from tests.integration.orgs.factories import approved_order, demo_unit
from tests.integration.statements.factories import orders_of_every_kind

DESKTOP = {"width": 1366, "height": 900}
SEEDED: dict[str, str] = {}


def seed(db: Database, clock: FixedClock) -> None:
    """Orders of every kind, a unit's approved order awaiting its transfer, the operator's token."""
    with db.unit_of_work() as session:
        orders = orders_of_every_kind(session, clock)
        order, _record = approved_order(session, clock, demo_unit(session, clock), [("YB-RICE-5KG", 4)])
        SEEDED.update(refunded=orders["kiosk_refunded"].id, bulk=order.id, total=str(order.total_fen))
        SEEDED["token"] = create_token(session, clock, "demo-operator", "browser-test script")


def _wide_enough(page, name: str) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= DESKTOP["width"], f"{name} is {width} px wide"


def test_fixed_console_pages_read_as_names_short_ids_and_labels(live_server, browser, artifacts) -> None:
    base = live_server.url
    context = browser.new_context(viewport=DESKTOP)
    transfer = {"bank_reference": "ICBC-20261126-9", "amount_fen": int(SEEDED["total"])}
    paid = context.request.post(
        f"{base}/api/v1/bulk-orders/{SEEDED['bulk']}/mark-paid",
        data=transfer,
        headers={"Authorization": f"Bearer {SEEDED['token']}"},
    )
    assert paid.ok, paid.text()
    page = context.new_page()
    page.goto(f"{base}/login?next=/console/")
    page.fill("input[name=username]", "demo-admin")
    page.fill("input[name=password]", demo_password("admin"))
    with page.expect_navigation(url=f"{base}/console/"):
        page.click("form.login button")

    page.goto(f"{base}/console/orders/{SEEDED['refunded']}")
    heading = page.locator("h1").inner_text()
    assert SEEDED["refunded"][:8] in heading and SEEDED["refunded"] not in heading
    assert "破损" in page.locator("main").inner_text()
    _wide_enough(page, "order")
    page.screenshot(path=str(artifacts / "readable2_order.png"), full_page=True)

    page.goto(f"{base}/console/audit")
    act = page.locator("section.audit-act").first
    text = act.inner_text()
    assert f"订单 {SEEDED['bulk'][:8]}" in text and SEEDED["bulk"] not in text
    assert "销售出库 延边大米 × 4" in text and "银行转账" in text
    _wide_enough(page, "audit log")
    act.screenshot(path=str(artifacts / "readable2_audit.png"))

    for name, path in (("region", "/console/regions/640422"), ("slot", "/console/kiosks/FZ-0001/slots/A1")):
        page.goto(base + path)
        assert page.locator("h1").first.is_visible(), name
        _wide_enough(page, name)
        page.screenshot(path=str(artifacts / f"readable2_{name}.png"), full_page=True)
    context.close()
