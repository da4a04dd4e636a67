"""The operator console: pages for staff, read-only for the auditor, statements for suppliers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accounts.models import User
from tests.api.test_login import csrf_from, sign_in

PAGES = [
    "/console/",
    "/console/catalogue",
    "/console/catalogue/1",
    "/console/kiosks",
    "/console/inventory",
    "/console/orders",
    "/console/orders?channel=bulk",
    "/console/statements?period=2026-10",
    "/console/reconciliation?period=2026-10",
    "/console/ledger?period=2026-10",
    "/console/ledger/stock",
    "/console/ledger/payments",
]


def test_anonymous_visitors_are_sent_to_sign_in(client) -> None:
    response = client.get("/console/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["operator", "auditor"])
def test_every_console_page_renders_for_staff(client, role, issued_october) -> None:
    sign_in(client, role)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path


def test_the_dashboard_draws_its_charts_as_svg(client, issued_october) -> None:
    sign_in(client, "admin")
    html = client.get("/console/").get_data(as_text=True)
    assert html.count("<svg") == 2 and "各原产县" in html and "<script" not in html


def test_a_statement_page_draws_its_charts(client, auth, issued_october) -> None:
    sign_in(client, "operator")
    statement = next(s for s in issued_october if s["scope"] == "county")
    html = client.get(f"/console/statements/2026-10/county/{statement['key']}").get_data(as_text=True)
    assert html.count("<svg") == 2 and statement["content_hash"] in html


def test_a_kiosk_page_shows_slots_and_pick_list(client) -> None:
    sign_in(client, "operator")
    html = client.get("/console/kiosks/FZ-0001").get_data(as_text=True)
    assert "货道" in html and "补货单" in html


def test_the_auditor_reads_but_does_not_change(client, issued_october) -> None:
    sign_in(client, "auditor")
    form = client.get("/console/catalogue/1")
    assert "disabled" in form.get_data(as_text=True)
    token = csrf_from(form.data)
    refused = client.post("/console/catalogue/1", data={"csrf_token": token, "name_zh": "x", "price": "1.00"})
    assert refused.status_code == 403
    assert client.get("/console/audit").status_code == 200


def test_an_operator_refunds_an_order_from_the_console(session, client, issued_october) -> None:
    sign_in(client, "operator")
    orders = client.get("/console/orders").get_data(as_text=True)
    assert "/console/orders/" in orders
    from sales.models import Order

    order = session.scalar(select(Order).where(Order.refunded_fen == 0).order_by(Order.created_at))
    page = client.get(f"/console/orders/{order.id}")
    line = order.lines[0]
    form = {"csrf_token": csrf_from(page.data), "line": str(line.id), "qty": "1", "reason": "damaged"}
    confirm = client.post(f"/console/orders/{order.id}/refund", data=form)
    assert confirm.status_code == 200 and "确认退款" in confirm.get_data(as_text=True)
    response = client.post(f"/console/orders/{order.id}/refund", data={**form, "confirm": "1"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Order, order.id).refunded_fen == line.unit_price_fen


def test_a_supplier_only_reaches_its_statements(session, client, issued_october) -> None:
    mine = next(s for s in issued_october if s["scope"] == "supplier")
    user = session.scalar(select(User).where(User.role == "supplier"))
    user.supplier_id = int(mine["key"])
    session.commit()
    sign_in(client, "supplier")
    assert client.get("/console/").status_code == 403
    html = client.get("/console/statements?period=2026-10").get_data(as_text=True)
    assert mine["subject"]["zh"] in html
    other = next(s for s in issued_october if s["scope"] == "supplier" and s["key"] != mine["key"])
    assert client.get(f"/console/statements/2026-10/supplier/{other['key']}").status_code == 404


def test_a_price_typed_in_yuan_is_saved_as_fen_and_a_bad_one_is_refused(session, client) -> None:
    from catalogue.models import Product
    from kiosk_api.console.catalogue_pages import product_form_values

    sign_in(client, "operator")
    product = session.get(Product, 1)
    name = product.name_zh
    form = client.get("/console/catalogue/1")
    yuan, fen = divmod(product.price_fen, 100)
    assert f'name="price" id="f-price" value="{yuan}.{fen:02d}"' in form.get_data(as_text=True)
    token = csrf_from(form.data)
    values = {**product_form_values(product), "csrf_token": token, "name_zh": name}
    refused = client.post("/console/catalogue/1", data={**values, "price": "12.345"})
    assert refused.status_code == 422 and "请输入金额" in refused.get_data(as_text=True)
    saved = client.post("/console/catalogue/1", data={**values, "price": "¥1,234.50"})
    assert saved.status_code == 303
    session.expire_all()
    assert session.get(Product, 1).price_fen == 123450


def test_a_refused_issue_shows_the_month_with_its_reason_and_writes_nothing(session, client) -> None:
    from sales.statements.models import StatementPeriod

    sign_in(client, "operator")
    token = csrf_from(client.get("/console/statements?period=2026-09").data)
    refused = client.post("/console/statements/2026-09/issue", data={"csrf_token": token})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "未签发 · Not issued" in html and "早于对账单的首月" in html
    assert session.scalar(select(StatementPeriod).where(StatementPeriod.period == "2026-09")) is None
