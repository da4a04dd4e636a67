"""One unit's members cannot read or act on another unit's orgs, orders or certificates by changing ids:
every such call answers 404, exactly as for an id that does not exist."""

from __future__ import annotations

import pytest

DELIVERY = {
    "contact_name": "张",
    "phone": "0512-60000000",
    "address": "苏州市工业园区某路 9 号",
    "invoice_title": "宁波市某区机关事务管理局",
    "tax_id": "11330200MB0A12345G",
}


def calls(org: int, order: str) -> list[tuple[str, str, dict | None]]:
    return [
        ("GET", f"/api/v1/orgs/{org}", None),
        ("GET", f"/api/v1/orgs/{org}/quota", None),
        ("GET", f"/api/v1/orgs/{org}/certificate?year=2026", None),
        ("GET", f"/api/v1/orgs/{org}/bulk-orders", None),
        (
            "POST",
            f"/api/v1/orgs/{org}/bulk-orders",
            {"lines": [{"product": 1, "qty": 1}], "delivery": DELIVERY},
        ),
        ("GET", f"/api/v1/bulk-orders/{order}", None),
        ("GET", f"/api/v1/bulk-orders/{order}/invoice", None),
        ("POST", f"/api/v1/bulk-orders/{order}/submit", None),
        ("POST", f"/api/v1/bulk-orders/{order}/approve", {"note": "ok"}),
        ("POST", f"/api/v1/bulk-orders/{order}/reject", {"reason": "no"}),
        ("POST", f"/api/v1/bulk-orders/{order}/cancel", None),
        ("POST", f"/api/v1/bulk-orders/{order}/pay-online", None),
    ]


@pytest.mark.parametrize("who", ["b_buyer", "b_approver"])
def test_another_units_members_get_404_for_everything_of_unit_a(client, units, who) -> None:
    for method, path, body in calls(units["a"].org.id, units["order_a"]):
        response = client.open(path, method=method, json=body, headers=units[who])
        assert response.status_code == 404, (method, path, response.get_json())
        assert response.get_json()["error"]["code"] in ("organization_not_found", "bulk_order_not_found")


def test_unit_a_is_untouched_and_readable_by_its_own_members(client, units, auth) -> None:
    order = client.get(f"/api/v1/bulk-orders/{units['order_a']}", headers=auth("org_buyer")).get_json()
    assert order["status"] == "awaiting_payment" and order["organization"]["id"] == units["a"].org.id
    for path in (f"/api/v1/orgs/{units['a'].org.id}", f"/api/v1/orgs/{units['a'].org.id}/quota"):
        assert client.get(path, headers=auth("org_approver")).status_code == 200
    pdf = client.get(f"/api/v1/orgs/{units['a'].org.id}/certificate?year=2026", headers=auth("org_buyer"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_unit_bs_members_read_their_own_unit(client, units) -> None:
    own = client.get(f"/api/v1/orgs/{units['b'].org.id}/bulk-orders", headers=units["b_buyer"])
    assert own.status_code == 200 and own.get_json() == []


def test_the_ids_of_nothing_answer_like_the_ids_of_others(client, units) -> None:
    for method, path, body in calls(999_999, "00000000-0000-0000-0000-000000000000"):
        assert client.open(path, method=method, json=body, headers=units["b_buyer"]).status_code == 404


def test_anonymous_callers_are_401(client, units) -> None:
    for method, path, body in calls(units["a"].org.id, units["order_a"]):
        assert client.open(path, method=method, json=body).status_code == 401, path
