"""The console forms no other browser module submits, in Chromium at 1366×900: an operator adds a
region (after a refused code) and renames it, edits a supplier, a pairing and a unit, removes a
member, adds a kiosk slot, provisions and revokes a device key (each confirmed) and issues a month's
statements (after a refused month); an admin gives an account another role and a new password."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from accounts.models import User
from catalogue.models import Region, Supplier
from core.clock import SHANGHAI, FixedClock
from core.db import Database
from devices.models import KioskDevice
from inventory.models import Location
from kiosk_api.auth.service import create_user
from kiosk_api.demo import demo_password
from tests.integration.statements.factories import make_month

DESKTOP = {"width": 1366, "height": 900}
NEW_PASSWORD = "Lotus-pavilion-47-harbor"


def seed(db: Database, clock: FixedClock) -> None:
    """October sold (its statements to issue) and a restocker's account for the admin to promote."""
    with db.unit_of_work() as session:
        create_user(
            session,
            clock,
            username="wang.fang",
            role="restocker",
            password="Granite-meadow-31-falcon",
            display_name="王芳",
        )
    with db.unit_of_work() as session:
        make_month(session, clock, datetime(2026, 10, 1, tzinfo=SHANGHAI), orders=12, seed=5)


def _sign_in(browser, base: str, who: str, password: str, then: str):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport=DESKTOP, locale="zh-CN")
    page.goto(f"{base}/login?next={then}")
    page.fill("input[name=username]", who)
    page.fill("input[name=password]", password)
    with page.expect_navigation(url=f"{base}{then}"):
        page.click("form.login button")
    return page


def _submit(page, selector: str = "form.form button") -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        page.click(selector)


def _flash(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator(".flash").inner_text()


def _shot(page, artifacts, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(artifacts / f"remaining_{name}.png"), full_page=True)


def test_an_operator_keeps_origins_units_and_kiosks_from_the_console(live_server, browser, artifacts) -> None:
    """One story in order (each step needs the one before; xdist would spread separate tests)."""
    page = _sign_in(browser, live_server.url, "demo-operator", demo_password("operator"), "/console/regions")
    try:
        add_and_rename_a_region(page, live_server, artifacts)
        edit_a_supplier(page, live_server, artifacts)
        end_a_pairing(page, live_server, artifacts)
        edit_a_unit_and_remove_a_member(page, live_server, artifacts)
        add_a_kiosk_slot(page, live_server, artifacts)
        provision_and_revoke_a_device_key(page, live_server, artifacts)
        issue_a_month_s_statements(page, live_server, artifacts)
    finally:
        page.close()


def add_and_rename_a_region(page, live_server, artifacts) -> None:  # type: ignore[no-untyped-def]
    _submit(page, "text=＋ 新地区 New region")
    page.fill("#f-code", "61083")
    page.select_option("#f-level", label="县/区 · County")
    page.select_option("#f-parent", label="榆林市（陕西省）")
    page.fill("#f-name_zh", "子洲县")
    page.fill("#f-name_en", "Zizhou")
    _submit(page)
    assert "未保存" in page.locator(".form-errors").inner_text()
    assert "6 位数字" in page.locator("#code-error").inner_text()
    assert page.input_value("#f-name_zh") == "子洲县"  # what was typed stays
    _shot(page, artifacts, "region_new_refused")
    page.fill("#f-code", "610831")
    _submit(page)
    assert "已添加地区「子洲县」" in _flash(page)
    _shot(page, artifacts, "region_new")

    _submit(page, "tr:has-text('子洲县') >> text=改名 rename")
    page.fill("#f-name_en", "Zizhou County")
    _submit(page)
    assert "已保存" in _flash(page)
    assert "子洲县 Zizhou County" in page.locator("tr", has_text="610831").inner_text()
    _shot(page, artifacts, "region_edit")
    with live_server.db.unit_of_work() as session:
        region = session.get(Region, "610831")
        assert (region.level, region.parent_code, region.name_en) == ("county", "610800", "Zizhou County")


def edit_a_supplier(page, live_server, artifacts) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/console/suppliers")
    _submit(page, "tr:has-text('清涧县手工挂面食品有限公司') >> text=编辑 edit")
    page.fill("#f-households_linked", "86")
    page.fill("#f-payout_account", "中国建设银行清涧县支行 6217 **** 4410（演示）")
    page.select_option("#f-kind", label="企业 · Enterprise")
    _submit(page)
    assert "已保存" in _flash(page)
    assert page.input_value("#f-households_linked") == "86"
    _shot(page, artifacts, "supplier_edit")
    with live_server.db.unit_of_work() as session:
        supplier = session.scalar(select(Supplier).where(Supplier.name_zh.startswith("清涧县手工挂面")))
        assert (supplier.households_linked, supplier.kind) == (86, "enterprise")


def end_a_pairing(page, live_server, artifacts) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/console/pairings")
    _submit(page, "tr:has-text('扬州市') >> text=编辑 edit")
    page.fill("#f-valid_to", "2026-12-31")
    page.fill("#f-note_zh", "结对协议至 2026 年底（浏览器测试）")
    _submit(page)
    assert "已保存" in _flash(page)
    row = page.locator("tr", has_text="扬州市").inner_text()
    assert "2026-12-31" in row and "长期" not in row
    _shot(page, artifacts, "pairing_edit")


def edit_a_unit_and_remove_a_member(page, live_server, artifacts) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/console/orgs")
    _submit(page, "text=宁波市某区机关事务管理局（演示）")
    page.fill("form.unit-form input[name=name_en]", "Ningbo district government offices (demo)")
    _submit(page, "form.unit-form button")
    assert "已保存" in _flash(page)
    assert "Ningbo district government offices (demo)" in page.locator("h1").inner_text()
    _shot(page, artifacts, "org_edit")

    members = page.locator("table.members")
    _submit(page, "table.members tr:has-text('demo-org-approver') button")
    assert "已移出单位" in _flash(page)
    assert "demo-org-approver" not in members.inner_text() and "demo-org-buyer" in members.inner_text()
    _shot(page, artifacts, "org_member_remove")


def add_a_kiosk_slot(page, live_server, artifacts) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/console/kiosks/FZ-0002")
    form = page.locator("form.slot-add")
    form.locator("input[name=code]").fill("s7")
    form.locator("select[name=product]").select_option(label="西吉马铃薯 · GY-POTATO-5KG")
    form.locator("input[name=capacity]").fill("8")
    form.locator("input[name=par_level]").fill("12")
    _submit(page, "form.slot-add button")
    assert "不能超过容量" in page.locator("form.slot-add #err-par_level").inner_text()
    _shot(page, artifacts, "slot_add_refused")
    form.locator("input[name=par_level]").fill("6")
    _submit(page, "form.slot-add button")
    assert "已添加货道 · slot added: S7" in _flash(page)
    assert "西吉马铃薯" in page.locator("table.data tr", has_text="S7").first.inner_text()
    _shot(page, artifacts, "slot_add")


def provision_and_revoke_a_device_key(page, live_server, artifacts) -> None:  # type: ignore[no-untyped-def]
    assert "尚未配置设备密钥" in page.locator("main").inner_text()
    _submit(page, "div.key-actions button:has-text('配置设备密钥')")
    assert "配置设备密钥" in page.locator("h1").inner_text()
    _shot(page, artifacts, "key_provision_confirm")
    _submit(page, "button[name=confirm]")
    secret = page.locator("code.secret").inner_text()
    assert len(secret) >= 40 and "已配置设备密钥" in page.locator("h1").inner_text()
    _shot(page, artifacts, "key_provision")

    page.goto(f"{live_server.url}/console/kiosks/FZ-0002")
    assert secret not in page.content()
    _submit(page, "div.key-actions button:has-text('吊销设备密钥')")
    assert "吊销后该柜的请求立即被拒绝" in page.locator("main").inner_text()
    _shot(page, artifacts, "key_revoke_confirm")
    _submit(page, "button[name=confirm]")
    assert "已吊销设备密钥" in _flash(page)
    _shot(page, artifacts, "key_revoke")
    with live_server.db.unit_of_work() as session:
        kiosk_id = session.scalar(select(Location.id).where(Location.code == "FZ-0002"))
        device = session.scalar(select(KioskDevice).where(KioskDevice.location_id == kiosk_id))
        assert device.status == "revoked"


def issue_a_month_s_statements(page, live_server, artifacts) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/console/statements?period=2026-09")
    _submit(page, "text=签发 2026-09 对账单")
    refusal = page.locator(".form-errors").inner_text()
    assert "未签发" in refusal and "期间 Period" in refusal and "早于对账单的首月" in refusal
    assert page.locator(".flash").count() == 0
    _shot(page, artifacts, "statements_issue_refused")
    page.goto(f"{live_server.url}/console/statements?period=2026-10")
    assert "草稿" in page.locator("main").inner_text()
    _submit(page, "text=签发 2026-10 对账单")
    assert "2026-10 已签发" in _flash(page)
    assert "已签发 Issued" in page.locator("main").inner_text()
    _shot(page, artifacts, "statements_issue")


def test_an_admin_gives_an_account_another_role_and_a_new_password(live_server, browser, artifacts) -> None:
    """The role change and the password reset; the mismatch is refused by field, in Chinese."""
    base = live_server.url
    page = _sign_in(browser, base, "demo-admin", demo_password("admin"), "/console/users")
    try:
        _submit(page, "text=wang.fang")
        page.select_option("form.role-form select[name=role]", label="运营人员 · Operator")
        _submit(page, "form.role-form button")
        assert "角色已改为 · role now: 运营人员" in _flash(page)
        assert "运营人员 · Operator" in page.locator("h1").inner_text()
        _shot(page, artifacts, "user_role")

        page.fill("form.password-form input[name=password]", NEW_PASSWORD)
        page.fill("form.password-form input[name=password_again]", NEW_PASSWORD + "!")
        _submit(page, "form.password-form button")
        assert "两次输入的密码不一致" in page.locator("#p-err-password_again").inner_text()
        assert page.locator(".flash").count() == 0
        _shot(page, artifacts, "user_password_refused")
        page.fill("form.password-form input[name=password]", NEW_PASSWORD)
        page.fill("form.password-form input[name=password_again]", NEW_PASSWORD)
        _submit(page, "form.password-form button")
        assert "已设置新密码" in _flash(page)
        _shot(page, artifacts, "user_password")
    finally:
        page.close()
    with live_server.db.unit_of_work() as session:
        assert session.scalar(select(User.role).where(User.username == "wang.fang")) == "operator"
    signed_in = _sign_in(browser, base, "wang.fang", NEW_PASSWORD, "/console/kiosks")
    assert "售货柜" in signed_in.locator("h1").inner_text()
    signed_in.close()
