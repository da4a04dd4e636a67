"""Input that would not fit a column is refused with a 422 naming the field, and nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sales.models import Order
from tests.integration.orgs.factories import product

CONTACT = {"name": "林", "phone": "13800138000", "address": "福州市鼓楼区某路 1 号"}


def test_an_idempotency_key_over_128_characters_is_a_422_naming_the_header(client, session) -> None:
    honey = product(session, "GY-HONEY-500G")
    before = session.scalar(select(func.count()).select_from(Order))
    response = client.post(
        "/api/v1/orders",
        json={"lines": [{"product": honey.id, "qty": 1}], "contact": CONTACT},
        headers={"Idempotency-Key": "k" * 129},
    )
    assert response.status_code == 422, response.get_json()
    assert "Idempotency-Key" in response.get_json()["error"]["fields"]
    assert session.scalar(select(func.count()).select_from(Order)) == before


def test_a_key_of_exactly_128_characters_is_accepted(client, session) -> None:
    honey = product(session, "GY-HONEY-500G")
    body = {"lines": [{"product": honey.id, "qty": 1}], "contact": CONTACT}
    first = client.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k" * 128})
    again = client.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k" * 128})
    assert first.status_code == again.status_code == 201
    assert first.get_json()["order_id"] == again.get_json()["order_id"]


# --- every input bounded where it is declared (issue 13 item 1): one test per 5xx the probe found ---

INT32_PAST = 2**31
INT64_PAST = 2**63


def _error(response) -> dict:  # type: ignore[no-untyped-def]
    body = response.get_json()
    assert body is not None and "error" in body, response.data[:200]
    return body["error"]


def _refused(response, field: str, status: int = 422) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.data[:300]
    assert field in _error(response)["fields"], _error(response)


def _orders(session) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Order))


@pytest.mark.parametrize("product_id", [INT32_PAST, INT64_PAST, 10**30])
def test_a_path_id_past_the_column_is_a_404(client, product_id) -> None:
    for path in (f"/api/v1/products/{product_id}", f"/shop/products/{product_id}"):
        response = client.get(path)
        assert response.status_code == 404, (path, response.status_code)


def test_a_page_past_any_offset_is_a_422_naming_page(client) -> None:
    _refused(client.get(f"/api/v1/products?page={2**62}"), "page")


def test_a_product_id_of_2_to_the_63_in_an_order_is_a_422_and_writes_nothing(client, session) -> None:
    before = _orders(session)
    body = {"lines": [{"product": INT64_PAST, "qty": 1}], "contact": CONTACT}
    _refused(client.post("/api/v1/orders", json=body), "lines.0.product")
    body = {"lines": [{"product": INT32_PAST, "qty": 1}], "contact": CONTACT}
    _refused(client.post("/api/v1/orders", json=body), "lines.0.product")
    assert _orders(session) == before


def test_an_audit_offset_past_the_database_range_is_a_422(client, auth) -> None:
    _refused(client.get(f"/api/v1/audit?offset={INT64_PAST}", headers=auth("auditor")), "offset")


def test_households_linked_past_the_column_is_a_422(client, auth) -> None:
    from tests.api.test_catalogue_writes import VALID_CREDIT_CODE

    body = {
        "name_zh": "测试合作社（测试）",
        "kind": "cooperative",
        "county": "640422",
        "credit_code": VALID_CREDIT_CODE,
        "households_linked": INT32_PAST,
    }
    _refused(client.post("/api/v1/suppliers", json=body, headers=auth("operator")), "households_linked")


def test_quota_figures_past_their_columns_are_a_422(client, auth, session) -> None:
    org_id = _demo_org_id(session)
    for body, field in (
        ({"kind": "fixed", "fixed_fen": INT64_PAST}, "fixed_fen"),
        ({"kind": "per_member", "members": INT32_PAST, "per_member_fen": 100}, "members"),
    ):
        _refused(client.put(f"/api/v1/orgs/{org_id}/quotas/2026", json=body, headers=auth("operator")), field)
    assert (
        client.put(
            f"/api/v1/orgs/{org_id}/quotas/{INT64_PAST}",
            json={"kind": "fixed", "fixed_fen": 1},
            headers=auth("operator"),
        ).status_code
        == 404
    )


def _demo_org_id(session) -> int:  # type: ignore[no-untyped-def]
    from sales.org_models import Organization

    return session.scalars(select(Organization.id).order_by(Organization.id)).first()


def test_a_non_ascii_order_token_is_a_404_not_a_500(client, session) -> None:
    honey = product(session, "GY-HONEY-500G")
    placed = client.post(
        "/api/v1/orders", json={"lines": [{"product": honey.id, "qty": 1}], "contact": CONTACT}
    )
    assert placed.status_code == 201
    order_id = placed.get_json()["order_id"]
    fresh = type(client)(client.application)  # another browser: not the one that placed it
    assert fresh.get(f"/api/v1/orders/{order_id}?token=%C3%A9").status_code == 404
    assert fresh.get(f"/shop/orders/{order_id}?token=%C3%A9").status_code == 404


def test_nul_in_a_search_is_a_422_naming_q(client) -> None:
    _refused(client.get("/api/v1/products?q=tu%00dou"), "q")
    _refused(client.get("/shop?q=tu%00dou"), "q")


def test_nul_in_a_pay_link_is_a_404(client) -> None:
    assert client.get("/pay/%00").status_code == 404
    assert client.get("/pay/ab%00cd").status_code == 404


def test_nul_in_a_login_username_is_a_422(client) -> None:
    from tests.api.test_login import csrf_from

    token = csrf_from(client.get("/login").data)
    response = client.post("/login", data={"username": "demo\x00", "password": "x", "csrf_token": token})
    _refused(response, "username")


def test_nul_or_a_lone_surrogate_in_a_patch_is_a_422_naming_the_field(client, auth, session) -> None:
    honey = product(session, "GY-HONEY-500G")
    for raw in (b'{"name_zh": "\\u0000"}', b'{"name_zh": "\\ud800"}', b'{"keywords": "a\\udfffb"}'):
        response = client.patch(
            f"/api/v1/products/{honey.id}",
            data=raw,
            headers={**auth("operator"), "Content-Type": "application/json"},
        )
        field = "name_zh" if b"name_zh" in raw else "keywords"
        _refused(response, field)
    session.expire_all()
    assert product(session, "GY-HONEY-500G").name_zh == honey.name_zh


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_json_nested_a_thousand_deep_is_refused_before_it_is_parsed(client, session) -> None:
    before = _orders(session)
    body = b'{"lines": ' + _nested(1000) + b', "contact": {}}'
    response = client.post("/api/v1/orders", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.data[:200]
    assert "deep" in _error(response)["message"]
    deep_dict = b'{"a":' * 5000 + b"1" + b"}" * 5000
    response = client.post("/api/v1/orders", data=deep_dict, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert _orders(session) == before


def test_a_body_past_the_limit_is_a_413(client, session) -> None:
    before = _orders(session)
    lines = [{"product": 1, "qty": 1}] * 20_000  # ~0.5 MB of JSON
    response = client.post("/api/v1/orders", json={"lines": lines, "contact": CONTACT})
    assert response.status_code == 413 and _error(response)["code"] == "too_large"
    response = client.post("/login", data={"username": "x" * (3 * 1024 * 1024), "password": "y"})
    assert response.status_code == 413
    assert _orders(session) == before


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/statements/reconciliation", "period=0000-01"),
        ("/api/v1/statements/reconciliation", "period=9999-12"),
        ("/api/v1/statements", "period=0000-01"),
    ],
)
def test_periods_outside_real_months_are_a_422(client, auth, path, query) -> None:
    _refused(client.get(f"{path}?{query}", headers=auth("auditor")), "period")


def test_issuing_a_month_that_never_had_sales_is_refused_and_freezes_nothing(client, auth, session) -> None:
    from sales.statements.models import StatementPeriod

    for period, status in (("0000-01", 422), ("9999-12", 422), ("0001-01", 422), ("2001-01", 409)):
        response = client.post(f"/api/v1/statements/{period}/issue", headers=auth("admin"))
        assert response.status_code == status, (period, response.get_json())
        assert "period" in _error(response)["fields"]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(StatementPeriod)) == 0


def test_a_region_name_longer_than_its_column_is_a_422(client, auth, session) -> None:
    from catalogue.models import Region

    body = {
        "code": "640499",
        "name_zh": "县" * 65,
        "name_en": "X County",
        "level": "county",
        "parent": "640400",
    }
    _refused(client.post("/api/v1/regions", json=body, headers=auth("admin")), "name_zh")
    session.expire_all()
    assert session.get(Region, "640499") is None


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/inventory/balances?product=1", None),
        ("/api/v1/inventory/lots?product=1", None),
        ("/api/v1/inventory/movements?product=1", None),
        ("/api/v1/products?supplier=1", None),
        ("/api/v1/statements?supplier=1", None),
    ],
)
def test_integer_query_filters_are_accepted(client, auth, path, field) -> None:
    response = client.get(path, headers=auth("admin"))
    assert response.status_code == 200, response.get_json()


def test_integer_query_filters_past_the_column_are_a_422(client, auth) -> None:
    _refused(client.get(f"/api/v1/inventory/balances?product={INT32_PAST}", headers=auth("admin")), "product")
    _refused(client.get(f"/api/v1/products?supplier={INT64_PAST}"), "supplier")


def test_an_id_past_the_column_is_404_even_where_another_method_shares_the_path(client, auth) -> None:
    """Not 405: the id is no row, whatever the other rules of the same path allow."""
    for method, path in (
        ("PATCH", "/api/v1/suppliers/2147483648"),
        ("PATCH", "/api/v1/products/2147483648"),
        ("GET", "/api/v1/orgs/2147483648/bulk-orders"),
    ):
        answer = client.open(path, method=method, json={}, headers=auth("operator"))
        assert answer.status_code == 404, (method, path, answer.get_json())
        assert answer.get_json()["error"]["code"] == "not_found"
