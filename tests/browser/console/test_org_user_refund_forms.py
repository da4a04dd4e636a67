"""The console's forms in Chromium at 1366×900: a unit registered, a member added and a quota set;
a user created and another deactivated after a confirmation; one line of a paid order refunded
after a confirmation and a refused refund shown as an error; orders found by their short id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from catalogue.validators import credit_code_check_char
from core.clock import SHANGHAI, FixedClock
from core.db import Database
from kiosk_api.auth.service import create_token, create_user
from kiosk_api.demo import demo_password
from sales.models import Order
from sales.org_models import Organization, OrganizationMember, OrganizationQuota
from tests.api.console.factories import paid_order

DESKTOP = {"width": 1366, "height": 900}
CREDIT_CODE = "12330200MA0TQ0051" + credit_code_check_char("12330200MA0TQ0051")


def seed(db: Database, clock: FixedClock) -> None:
    """An org buyer account in no unit yet, a restocker's bearer token, and a paid web-shop order."""
    with db.unit_of_work() as session:
        create_user(
            session,
            clock,
            username="school-buyer",
            role="org_buyer",
            password="Copper-lantern-88-ridge",
            display_name="陈老师",
        )
        create_token(session, clock, "demo-restocker", "restock van")
        paid_order(
            session, clock, at=datetime(2026, 11, 27, 9, 30, tzinfo=SHANGHAI), phone="13900001111", qty=3
        )


def _page(live_server, browser):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{live_server.url}/login?next=/console/orgs")
    page.fill("input[name=username]", "demo-admin")
    page.fill("input[name=password]", demo_password("admin"))
    with page.expect_navigation(url=f"{live_server.url}/console/orgs"):
        page.click("form.login button")
    return page


def test_a_unit_is_registered_given_a_member_and_a_quota(live_server, browser, artifacts) -> None:
    page = _page(live_server, browser)
    page.click("text=登记单位 Register a unit")
    page.fill("input[name=name_zh]", "宁波某实验小学")
    page.fill("input[name=name_en]", "Ningbo experimental primary school")
    page.select_option("select[name=kind]", label="学校 · School")
    page.fill("input[name=credit_code]", CREDIT_CODE)
    page.select_option("select[name=city]", value="330200")
    page.screenshot(path=str(artifacts / "console_org_form.png"), full_page=True)
    page.click("form.form button")
    page.wait_for_url("**/console/orgs/*")
    assert "已登记单位" in page.locator(".flash").inner_text()

    page.fill("form.member-form input[name=username]", "school-buyer")
    page.select_option("form.member-form select[name=role]", label="采购员 · Buyer")
    page.click("form.member-form button")
    page.locator(".flash").filter(has_text="已添加成员").wait_for()
    assert "陈老师" in page.locator("table.members").inner_text()

    page.select_option("form.quota-form select[name=kind]", label="食堂预算比例 · Share of canteen budget")
    page.fill("form.quota-form input[name=budget_fen]", "1,200,000")
    page.fill("form.quota-form input[name=share_bp]", "15")
    page.click("form.quota-form button")
    page.locator(".flash").filter(has_text="定额").wait_for()
    assert "¥180,000.00" in page.locator("table.quotas").inner_text()
    page.screenshot(path=str(artifacts / "console_quota.png"), full_page=True)
    with live_server.db.unit_of_work() as session:
        org = session.scalar(select(Organization).where(Organization.credit_code == CREDIT_CODE))
        assert session.scalar(select(OrganizationMember).where(OrganizationMember.organization_id == org.id))
        quota = session.scalar(select(OrganizationQuota).where(OrganizationQuota.organization_id == org.id))
        assert (quota.kind, quota.budget_fen, quota.share_bp) == ("budget_share", 120_000_000, 1500)
    page.close()


def test_a_user_is_created_and_another_deactivated_after_confirming(live_server, browser, artifacts) -> None:
    page = _page(live_server, browser)
    page.goto(f"{live_server.url}/console/users/new")
    page.fill("input[name=username]", "zhao.lei")
    page.fill("input[name=display_name]", "赵磊")
    page.select_option("select[name=role]", label="补货员 · Restocker")
    page.fill("input[name=password]", "Walnut-orchard-62-breeze")
    page.fill("input[name=password_again]", "Walnut-orchard-62-breeze")
    page.screenshot(path=str(artifacts / "console_user_new.png"), full_page=True)
    page.click("form.user-form button")
    page.locator(".flash").filter(has_text="已创建账号").wait_for()

    page.goto(f"{live_server.url}/console/users")
    page.click("text=demo-restocker")
    page.click("form.deactivate-form button")
    confirm = page.locator("section.confirm")
    confirm.wait_for()
    assert "确认停用" in confirm.inner_text() and "1 个有效令牌" in confirm.inner_text()
    page.screenshot(path=str(artifacts / "console_user_deactivate_confirm.png"), full_page=True)
    confirm.locator("button").click()
    page.locator(".flash").filter(has_text="已吊销 1 个令牌").wait_for()
    assert "已停用 · Deactivated" in page.locator("table.summary").inner_text()
    page.close()


def test_one_line_is_refunded_after_confirming_and_a_refused_refund_is_an_error(
    live_server, browser, artifacts
) -> None:
    with live_server.db.unit_of_work() as session:
        order = session.scalar(
            select(Order).where(Order.channel == "storefront").order_by(Order.created_at.desc())
        )
        order_id, line, price = order.id, order.lines[0], order.lines[0].unit_price_fen
        line_name = line.name_zh
    page = _page(live_server, browser)
    page.goto(f"{live_server.url}/console/orders/{order_id}")
    page.select_option("form.refund-form select[name=line]", index=1)
    page.fill("form.refund-form input[name=qty]", "1")
    page.fill("form.refund-form input[name=reason]", "包装破损 damaged box")
    page.click("form.refund-form button")
    confirm = page.locator("section.confirm")
    confirm.wait_for()
    amount = f"¥{price // 100:,}.{price % 100:02d}"
    assert line_name in confirm.inner_text() and amount in confirm.inner_text()
    page.screenshot(path=str(artifacts / "console_refund_confirm.png"), full_page=True)
    confirm.locator("button").click()
    page.locator(".flash").filter(has_text="已申请退款").wait_for()
    assert "退款中 · Refund pending" in page.content()

    page.select_option("form.refund-form select[name=line]", index=1)
    page.fill("form.refund-form input[name=qty]", "5")  # two are left
    page.click("form.refund-form button")
    error = page.locator(".form-errors")
    error.wait_for()
    assert "退款数量超过可退数量" in error.inner_text() and page.locator(".flash").count() == 0
    page.screenshot(path=str(artifacts / "console_refund_refused.png"), full_page=True)
    page.close()


def test_orders_are_found_by_their_short_id(live_server, browser, artifacts) -> None:
    with live_server.db.unit_of_work() as session:
        order_id = session.scalar(
            select(Order.id).where(Order.channel == "storefront").order_by(Order.created_at.desc())
        )
    page = _page(live_server, browser)
    page.goto(f"{live_server.url}/console/orders")
    page.fill("form.order-search input[name=q]", order_id[:8])
    page.click("form.order-search button")
    page.wait_for_url("**/console/orders?*")
    rows = page.locator("table.orders tbody tr")
    assert rows.count() == 1 and order_id[:8] in rows.first.inner_text()
    page.screenshot(path=str(artifacts / "console_orders_search.png"), full_page=True)
    page.close()
