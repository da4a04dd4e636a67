"""An operator runs the catalogue in the browser at 1366×900: registers a supplier, adds a product
with an uploaded picture (after a refused first try), edits its certification, pairs two regions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from kiosk_api.demo import demo_password
from tests.api.test_catalogue_writes import VALID_CREDIT_CODE, VALID_GTIN

DESKTOP = {"width": 1366, "height": 900}
SUPPLIER = "清涧县枣农专业合作社（浏览器测试）"


@pytest.fixture(scope="module", autouse=True)
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Uploaded pictures go to a directory of this module's (the live server reads the setting)."""
    folder = tmp_path_factory.mktemp("media")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DONGXI_MEDIA_DIR", str(folder))
        yield folder


def test_an_operator_runs_the_catalogue_in_the_browser(
    live_server, browser, artifacts, tmp_path, media_dir
) -> None:  # type: ignore[no-untyped-def]
    """One story in order (each step needs the one before; xdist would spread separate tests)."""
    page = browser.new_page(viewport=DESKTOP, locale="zh-CN")
    page.goto(f"{live_server.url}/login?next=/console/suppliers/new")
    page.fill("input[name=username]", "demo-operator")
    page.fill("input[name=password]", demo_password("operator"))
    with page.expect_navigation(url=f"{live_server.url}/console/suppliers/new"):
        page.click("form.login button")
    try:
        register_a_supplier(page, artifacts)
        add_a_product_with_a_picture(page, live_server, artifacts, tmp_path, media_dir)
        edit_the_product_s_certification(page, artifacts)
        pair_an_eastern_partner_with_a_county(page, live_server, artifacts)
    finally:
        page.close()


def register_a_supplier(page, artifacts) -> None:  # type: ignore[no-untyped-def]
    page.fill("#f-name_zh", SUPPLIER)
    page.fill("#f-name_en", "Qingjian Jujube Growers (browser test)")
    page.select_option("#f-kind", label="合作社 · Cooperative")
    page.select_option("#f-county", label="清涧县（榆林市 · 陕西省）")
    page.fill("#f-credit_code", VALID_CREDIT_CODE)
    page.check("input[name=certified]")
    page.fill("#f-households_linked", "128")
    page.fill("#f-payout_account", "中国农业银行清涧县支行 6228 **** 0830（演示）")
    page.screenshot(path=str(artifacts / "console_supplier_form.png"), full_page=True)
    page.click("form.form button")
    page.wait_for_url("**/console/suppliers/*")
    assert f"已添加供应商「{SUPPLIER}」" in page.locator(".flash").inner_text()


def add_a_product_with_a_picture(page, live_server, artifacts, tmp_path, media_dir) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/console/catalogue/new")
    page.screenshot(path=str(artifacts / "console_product_new.png"), full_page=True)
    page.fill("#f-sku", "QJ-JUJUBE-500G")
    page.fill("#f-name_zh", "清涧红枣")
    page.fill("#f-name_en", "Qingjian jujubes")
    page.select_option("#f-category", label="干货山珍 · Dried goods and mountain produce")
    page.fill("#f-price", "12.345")
    page.fill("#f-certification_no", "扶贫认定（演示）SN-2026-0777")
    page.fill("#f-certified_from", "2026-01-01")
    page.fill("#f-certified_until", "2025-12-31")
    page.select_option("#f-county", label="清涧县（榆林市 · 陕西省）")
    page.select_option("#f-supplier", label=f"{SUPPLIER}（清涧县）")
    page.fill("#f-shelf_life_days", "180")
    page.click("form.form button")
    page.wait_for_selector(".form-errors")
    for field in ("spec", "price", "certified_until"):
        assert page.locator(f"#{field}-error").is_visible(), field
    assert "不能早于认定起始日" in page.locator("#certified_until-error").inner_text()
    assert page.input_value("#f-name_zh") == "清涧红枣"  # what was typed stays
    page.screenshot(path=str(artifacts / "console_product_errors.png"), full_page=True)

    # The service's own checks come next: the GTIN's check digit.
    page.fill("#f-spec", "500g/袋")
    page.fill("#f-price", "12.80")
    page.fill("#f-certification_no", "")
    page.fill("#f-certified_from", "")
    page.fill("#f-certified_until", "")
    page.fill("#f-gtin", VALID_GTIN[:12] + str((int(VALID_GTIN[12]) + 1) % 10))
    page.click("form.form button")
    page.wait_for_selector("#gtin-error")
    assert "商品条码无效" in page.locator("#gtin-error").inner_text()
    picture = tmp_path / "jujube.png"
    Image.new("RGB", (1200, 900), (160, 30, 40)).save(picture, "PNG")
    page.fill("#f-gtin", VALID_GTIN)
    page.set_input_files("#f-image", str(picture))
    page.click("form.form button")
    page.wait_for_selector(".flash")
    assert "已添加商品「清涧红枣」" in page.locator(".flash").inner_text()
    thumb = page.locator("img.product-thumb")
    thumb.wait_for()
    assert page.wait_for_function(
        "img => img.complete && img.naturalWidth === 800", arg=thumb.element_handle()
    )
    assert len(list((media_dir / "products").glob("*.jpg"))) == 1


def edit_the_product_s_certification(page, artifacts) -> None:  # type: ignore[no-untyped-def]
    assert "未认定 · Not certified" in page.locator("main").inner_text()
    page.fill("#f-certification_no", "扶贫认定（演示）SN-2026-0777")
    page.fill("#f-certified_from", "2026-01-01")
    page.fill("#f-certified_until", "2027-12-31")
    page.click("form.form button")
    page.wait_for_selector(".flash")
    assert "已保存" in page.locator(".flash").inner_text()
    assert "认定有效 · Certified" in page.locator("main").inner_text()
    assert page.input_value("#f-price") == "12.80"
    page.screenshot(path=str(artifacts / "console_product_saved.png"), full_page=True)


def pair_an_eastern_partner_with_a_county(page, live_server, artifacts) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/console/pairings/new")
    page.select_option("#f-east", label="苏州市（江苏省）")
    page.select_option("#f-west", label="清涧县（榆林市 · 陕西省）")
    page.fill("#f-valid_from", "2026-12-01")
    page.fill("#f-note_zh", "浏览器测试：苏州市结对清涧县")
    page.screenshot(path=str(artifacts / "console_pairing_form.png"), full_page=True)
    page.click("form.form button")
    page.wait_for_url("**/console/pairings")
    assert "已添加结对：苏州市 ↔ 清涧县" in page.locator(".flash").inner_text()
    row = page.locator("tr", has_text="清涧县").filter(has_text="苏州市")
    assert "未开始 · Not yet begun" in row.inner_text()
