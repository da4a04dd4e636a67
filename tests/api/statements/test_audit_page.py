"""The audit log page: filtered by who, what and when; rows named, before/after in words."""

from __future__ import annotations

import re

from tests.api.test_login import sign_in


def _change_prices(client, auth) -> int:  # type: ignore[no-untyped-def]
    before = client.get("/api/v1/products/1").get_json()["price_fen"]
    assert (
        client.patch("/api/v1/products/1", json={"price_fen": 123456}, headers=auth("operator")).status_code
        == 200
    )
    assert (
        client.patch("/api/v1/regions/640422", json={"name_en": "Xiji"}, headers=auth("admin")).status_code
        == 200
    )
    return before


def test_the_page_shows_who_changed_what_as_a_readable_diff(client, auth) -> None:
    before = _change_prices(client, auth)
    name = client.get("/api/v1/products/1").get_json()["name"]["zh"]
    sign_in(client, "auditor")
    page = client.get("/console/audit?actor=demo-operator")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "demo-operator" in text and "运营人员" in text and "接口" in text  # who, their role, via the API
    assert f"商品 · {name}" in text  # the product by name, not by id
    assert "¥1,234.56" in text and f"¥{before / 100:,.2f}" in text  # the price before and after, in ¥
    assert "PATCH /api/v1/products/&lt;int:product_id&gt;" in text and "Change a product" in text
    assert "demo-admin" not in text.split("共")[1]  # the admin's region change is filtered out
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} 北京时间", text)
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text)  # no raw ISO timestamp


def test_the_page_filters_by_what_and_when(client, auth, clock) -> None:
    _change_prices(client, auth)
    sign_in(client, "admin")
    regions = client.get("/console/audit?target_type=regions").get_data(as_text=True)
    assert "行政区划 · 西吉县" in regions and "Xiji" in regions
    assert '<span class="badge">修改</span> 商品' not in regions
    today = clock.now().date().isoformat()
    later = client.get("/console/audit?since=2099-01-01").get_data(as_text=True)
    assert "没有符合条件的记录" in later
    assert "demo-operator" in client.get(f"/console/audit?since={today}&until={today}").get_data(as_text=True)


def test_a_bad_date_is_a_422_naming_the_field(client) -> None:
    sign_in(client, "auditor")
    page = client.get("/console/audit?since=28/11/2026")
    assert page.status_code == 422 and "从 From：请输入日期" in page.get_data(as_text=True)


def test_the_api_filters_the_same_way(client, auth) -> None:
    _change_prices(client, auth)
    rows = client.get(
        "/api/v1/audit?actor=demo-admin&target_type=regions", headers=auth("auditor")
    ).get_json()
    assert rows and all(r["actor"] == "demo-admin" and r["target_type"] == "regions" for r in rows)
    assert client.get("/api/v1/audit?since=2099-01-01", headers=auth("auditor")).get_json() == []
    assert client.get("/api/v1/audit?via=carrier-pigeon", headers=auth("auditor")).status_code == 422
