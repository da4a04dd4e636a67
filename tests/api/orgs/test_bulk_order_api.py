"""The bulk-order endpoints of the design, end to end: draft, approve, transfers by an operator,
delivery, invoice and certificate, with the roles each step needs."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from sqlalchemy import func, select

from core.money import format_fen
from sales.models import RevenueEntry
from tests.integration.orgs.factories import product

DELIVERY = {
    "contact_name": "王科长",
    "phone": "0574-87000000",
    "address": "宁波市鄞州区某路 1 号",
    "invoice_title": "宁波市某区机关事务管理局",
    "tax_id": "11330200MB0A12345G",
}


def test_draft_approve_pay_by_two_transfers_deliver_and_certify(client, auth, session, units) -> None:
    org_id = units["a"].org.id
    rice, tea = product(session, "YB-RICE-5KG"), product(session, "QXN-PUAN-RED-250G")
    body = {"lines": [{"product": rice.id, "qty": 10}, {"product": tea.id, "qty": 4}], "delivery": DELIVERY}
    created = client.post(f"/api/v1/orgs/{org_id}/bulk-orders", json=body, headers=auth("org_buyer"))
    assert created.status_code == 201, created.get_json()
    order = created.get_json()
    assert (
        order["status"] == "awaiting_approval"
        and order["total_fen"] == 10 * rice.price_fen + 4 * tea.price_fen
    )
    order_id, total = order["order_id"], order["total_fen"]

    assert (
        client.post(f"/api/v1/bulk-orders/{order_id}/approve", json={}, headers=auth("org_buyer")).status_code
        == 403
    )
    approved = client.post(
        f"/api/v1/bulk-orders/{order_id}/approve", json={"note": "同意"}, headers=auth("org_approver")
    )
    assert approved.status_code == 200 and approved.get_json()["status"] == "awaiting_payment"

    invoice = client.get(f"/api/v1/bulk-orders/{order_id}/invoice", headers=auth("org_buyer"))
    invoice_text = PdfReader(io.BytesIO(invoice.data)).pages[0].extract_text()
    assert (
        invoice.mimetype == "application/pdf"
        and order["number"] in invoice_text
        and format_fen(total) in invoice_text
    )

    transfer = {"bank_reference": "ICBC-20261126-7", "amount_fen": total - 10_000}
    for role in ("org_buyer", "org_approver", "auditor"):
        assert (
            client.post(
                f"/api/v1/bulk-orders/{order_id}/mark-paid", json=transfer, headers=auth(role)
            ).status_code
            == 403
        )
    first = client.post(
        f"/api/v1/bulk-orders/{order_id}/mark-paid", json=transfer, headers=auth("operator")
    ).get_json()
    assert (first["recorded"], first["paid_now"], first["order"]["outstanding_fen"]) == (True, False, 10_000)
    repeat = client.post(
        f"/api/v1/bulk-orders/{order_id}/mark-paid", json=transfer, headers=auth("operator")
    ).get_json()
    assert (repeat["recorded"], repeat["order"]["transferred_fen"]) == (False, total - 10_000)
    float_amount = {"bank_reference": "ICBC-20261126-8", "amount_fen": 100.5}
    assert (
        client.post(
            f"/api/v1/bulk-orders/{order_id}/mark-paid", json=float_amount, headers=auth("operator")
        ).status_code
        == 422
    )
    rest = {"bank_reference": "ICBC-20261126-8", "amount_fen": 10_000}
    paid = client.post(
        f"/api/v1/bulk-orders/{order_id}/mark-paid", json=rest, headers=auth("admin")
    ).get_json()
    assert (paid["paid_now"], paid["order"]["status"], paid["order"]["captured_fen"]) == (True, "paid", total)
    assert [r["amount_fen"] for r in paid["order"]["receipts"]] == [total - 10_000, 10_000]

    delivered = client.post(
        f"/api/v1/bulk-orders/{order_id}/deliver", json={"note": "已签收"}, headers=auth("operator")
    )
    assert delivered.get_json()["status"] == "fulfilled"

    certificate = client.get(f"/api/v1/orgs/{org_id}/certificate?year=2026", headers=auth("org_approver"))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(certificate.data)).pages)
    session.expire_all()
    ledger = session.scalar(
        select(func.sum(RevenueEntry.amount_fen)).where(RevenueEntry.organization_id == org_id)
    )
    assert ledger == total and format_fen(ledger) in text
    digest = re.search(r"Hash: ([0-9a-f]{64})", text).group(1)
    page = client.get(f"/verify/certificate/{digest}")
    assert page.status_code == 200 and format_fen(ledger) in page.get_data(as_text=True)
    assert client.get(f"/verify/certificate/{'0' * 64}").status_code == 404


def test_operators_register_units_members_and_quotas(client, auth, session) -> None:
    created = client.post(
        "/api/v1/orgs",
        json={
            "name_zh": "宁波某中学",
            "kind": "school",
            "credit_code": "12330200MA0TQ0009",
            "city": "330200",
        },
        headers=auth("operator"),
    )
    assert created.status_code == 422 and "credit_code" in created.get_json()["error"]["fields"]
    from catalogue.validators import credit_code_check_char

    code = "12330200MA0TQ0009" + credit_code_check_char("12330200MA0TQ0009")
    created = client.post(
        "/api/v1/orgs",
        json={"name_zh": "宁波某中学", "kind": "school", "credit_code": code, "city": "330200"},
        headers=auth("operator"),
    )
    assert created.status_code == 201 and created.get_json()["buyer_kind"] == "school"
    org_id = created.get_json()["id"]
    quota = client.put(
        f"/api/v1/orgs/{org_id}/quotas/2026",
        json={"kind": "budget_share", "budget_fen": 80_000_000, "share_bp": 1000},
        headers=auth("operator"),
    )
    assert quota.get_json()["amount_fen"] == 8_000_000
    wrong = client.put(
        f"/api/v1/orgs/{org_id}/quotas/2026",
        json={"kind": "per_member", "members": 3, "per_member_fen": 1},
        headers=auth("operator"),
    )
    assert wrong.status_code == 422
    member = client.post(
        f"/api/v1/orgs/{org_id}/members",
        json={"username": "demo-restocker", "role": "buyer"},
        headers=auth("operator"),
    )
    assert member.status_code == 422 and member.get_json()["error"]["code"] == "not_org_role"
    for role in ("org_buyer", "auditor"):
        assert client.post("/api/v1/orgs", json={}, headers=auth(role)).status_code == 403
    behind = client.get("/api/v1/orgs/behind-quota?year=2026", headers=auth("auditor")).get_json()
    assert org_id in [unit["organization"]["id"] for unit in behind]
    assert client.get("/api/v1/orgs/behind-quota", headers=auth("org_buyer")).status_code == 403


def test_a_transfer_amount_beyond_any_sane_total_is_a_422_naming_the_field(
    client, auth, session, units
) -> None:
    response = client.post(
        f"/api/v1/bulk-orders/{units['order_a']}/mark-paid",
        json={"bank_reference": "ICBC-HUGE-1", "amount_fen": 10**19},
        headers=auth("operator"),
    )
    assert response.status_code == 422, response.get_json()
    assert "amount_fen" in response.get_json()["error"]["fields"]
