"""以购代捐 in the browser: a unit's buyer drafts a bulk order from a sheet, its approver approves,
an operator records two bank transfers that add up, and the certificate PDF shows the ledger's totals."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from sqlalchemy import func, select

from core.clock import SHANGHAI
from core.money import format_fen
from kiosk_api.storefront.demo import load_demo_organizations
from sales.models import Order, RevenueEntry
from sales.org_models import Organization

from .conftest import shoot, sign_in, sign_out, submit, url

BAD_SHEET = b"sku,qty\nYB-RICE-5KG,20\nNO-SUCH-SKU,3\nQXN-PUAN-RED-250G,ten\n"
GOOD_SHEET = "商品编码,数量,备注\nYB-RICE-5KG,20,食堂\nQXN-PUAN-RED-250G,10,工会慰问\n".encode("gb18030")


def seed(db, clock) -> None:  # type: ignore[no-untyped-def]
    """The demo units; demo-org-buyer and demo-org-approver join the Ningbo office (live_server calls it)."""
    with db.unit_of_work() as session:
        load_demo_organizations(session, clock)


def _upload(page, name: str, data: bytes, mime: str = "text/csv") -> None:
    page.set_input_files("input[name=sheet]", files=[{"name": name, "mimeType": mime, "buffer": data}])
    submit(page, "button[value=upload]")


def test_buyer_drafts_approver_approves_operator_marks_paid_certificate_matches_ledger(
    live_server, page
) -> None:
    sign_in(page, live_server, "demo-org-buyer", "org_buyer", "/org")
    submit(page, "text=新建采购订单")

    _upload(page, "order.csv", BAD_SHEET)
    shoot(page, "10-bulk-upload-errors")
    errors = page.locator("#sheet-errors tbody tr").all_inner_texts()
    assert len(errors) == 2
    assert errors[0].split("\t")[:3] == ["3", "sku", "NO-SUCH-SKU"] and "没有这个商品" in errors[0]
    assert errors[1].split("\t")[:3] == ["4", "qty", "ten"]
    shoot(page, "10-bulk-upload-errors")

    _upload(page, "order.csv", GOOD_SHEET)
    assert page.locator("input[data-sku=YB-RICE-5KG]").input_value() == "20"
    assert page.locator("input[data-sku=QXN-PUAN-RED-250G]").input_value() == "10"
    page.fill("input[name=contact_name]", "王科长")
    page.fill("input[name=phone]", "0574-87000000")
    page.fill("textarea[name=address]", "宁波市鄞州区某路 1 号机关食堂")
    submit(page, "#submit-order")
    page.wait_for_url(re.compile(r".*/org/bulk-orders/[0-9a-f-]+$"))
    order_id = page.url.rsplit("/", 1)[1]
    assert page.locator("h1 .status-badge").get_attribute("data-status") == "awaiting_approval"
    assert page.locator("#order-total").inner_text() == "¥2,478.00"
    shoot(page, "11-bulk-submitted")
    sign_out(page)

    sign_in(page, live_server, "demo-org-approver", "org_approver", "/org")
    submit(page, f"a[href='/org/bulk-orders/{order_id}']")
    page.fill("input[name=note]", "同意，用于职工食堂")
    submit(page, "#approve")
    page.wait_for_selector("h1 .status-badge[data-status=awaiting_payment]")
    shoot(page, "12-bulk-approved")
    sign_out(page)

    sign_in(page, live_server, "demo-operator", "operator", "/operator/bulk-orders")
    submit(page, f"a[href='/org/bulk-orders/{order_id}']")
    for reference, amount in (("ICBC-20261126-0001", "2000.00"), ("ICBC-20261127-0002", "478")):
        page.fill("#mark-paid input[name=bank_reference]", reference)
        page.fill("#mark-paid input[name=amount]", amount)
        submit(page, "#mark-paid button")
        page.wait_for_selector(".sf-flash")
        if reference.endswith("1"):
            assert page.locator("#outstanding").inner_text() == "¥478.00"
            assert page.locator("h1 .status-badge").get_attribute("data-status") == "awaiting_payment"
    assert page.locator("h1 .status-badge").get_attribute("data-status") == "paid"
    assert page.locator("#receipts li").count() == 2
    shoot(page, "13-bulk-paid-by-two-transfers")
    submit(page, "text=登记已送达")
    page.wait_for_selector("h1 .status-badge[data-status=fulfilled]")
    page.goto(url(live_server, "/operator/orgs"))
    shoot(page, "14-operator-units-behind-quota")
    sign_out(page)

    sign_in(page, live_server, "demo-org-approver", "org_approver", "/org")
    shoot(page, "15-org-quota-dashboard")
    with page.expect_download() as downloaded:
        page.click("#certificate-link")
    pdf = downloaded.value.path().read_bytes()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)

    year = live_server.clock.now().astimezone(SHANGHAI).year
    with live_server.db.unit_of_work() as session:
        org_id = session.scalar(select(Order.organization_id).where(Order.id == order_id))
        assert session.get(Order, order_id).status == "fulfilled"
        org = session.get(Organization, org_id)
        ledger = session.execute(
            select(RevenueEntry.county_code, func.sum(RevenueEntry.amount_fen))
            .where(RevenueEntry.organization_id == org_id, RevenueEntry.period.like(f"{year}-%"))
            .group_by(RevenueEntry.county_code)
        ).all()
    total = sum(amount for _county, amount in ledger)
    assert total == 247_800
    assert f"合计 Total\n{format_fen(total)}" in text or f"合计 Total {format_fen(total)}" in text
    assert org.name_zh in text and org.credit_code in text
    for county_name, amount in (("普安县", 128_000), ("龙井市", 119_800)):
        assert county_name in text and format_fen(amount) in text

    digest = re.search(r"Hash: ([0-9a-f]{64})", text).group(1)
    page.goto(url(live_server, f"/verify/certificate/{digest}"))
    assert page.locator("#verified-total").inner_text() == format_fen(total)
    shoot(page, "16-certificate-verified")
