"""What a unit's buyer and an operator are told when the bulk path refuses: an order beyond the stock
(the API and the portal form, nothing written), a GTIN for a product code, a bank transfer typed
wrong; and the history as people read it. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from accounts.models import User
from kiosk_api.demo import demo_password
from sales.models import Order, OrderEvent
from sales.org_models import BulkOrder
from sales.status import transition
from tests.api.test_login import csrf_from
from tests.integration.orgs.factories import approved_order, demo_unit, drafted_order, product

RICE, TEA = "YB-RICE-5KG", "QXN-PUAN-RED-250G"
RICE_GTIN = "6975314000111"
DELIVERY = {
    "contact_name": "王科长",
    "phone": "0574-87000000",
    "address": "宁波市鄞州区某路 1 号",
    "invoice_title": "宁波市某区机关事务管理局",
    "tax_id": "11330200MB0A12345G",
}


def _written(session) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return tuple(
        session.scalar(select(func.count()).select_from(table)) for table in (Order, BulkOrder, OrderEvent)
    )  # type: ignore[return-value]


def _sign_in(client, session, username: str) -> str:  # type: ignore[no-untyped-def]
    user = session.scalar(select(User).where(User.username == username))
    with client.session_transaction() as cookie:
        cookie.clear()
        cookie["user_id"], cookie["epoch"] = user.id, user.session_epoch
    return csrf_from(client.get("/login").data)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_api_refuses_an_order_beyond_the_stock_naming_the_product_and_writes_nothing(
    client, auth, session, clock
) -> None:
    unit = demo_unit(session, clock)
    rice, tea = product(session, RICE), product(session, TEA)
    session.commit()
    before = _written(session)
    body = {"lines": [{"product": tea.id, "qty": 2}, {"product": rice.id, "qty": 100}], "delivery": DELIVERY}
    answer = client.post(f"/api/v1/orgs/{unit.org.id}/bulk-orders", json=body, headers=auth("org_buyer"))
    assert answer.status_code == 409, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] == "out_of_stock"
    assert error["fields"] == {f"products.{RICE}": "Yanbian rice: 100 requested, 60 available"}
    assert "lines." not in answer.get_data(as_text=True)
    assert _written(session) == before


def test_the_form_refuses_an_order_beyond_the_stock_at_the_product_in_chinese_keeping_the_values(
    client, session, clock
) -> None:
    unit = demo_unit(session, clock)
    rice, tea = product(session, RICE), product(session, TEA)
    session.commit()
    csrf = _sign_in(client, session, unit.buyer.username)
    before = _written(session)
    form = {"csrf_token": csrf, f"qty_{rice.id}": "100", f"qty_{tea.id}": "3", **DELIVERY, "action": "submit"}
    page = client.post("/org/bulk-orders/new", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 409
    error = re.search(rf'id="qty-error-{rice.id}">([^<]+)<', html)
    assert error and error.group(1) == "延边大米：要 100 件，现有 60 件"
    assert f'name="qty_{rice.id}" value="100"' in html and f'name="qty_{tea.id}" value="3"' in html
    assert 'value="王科长"' in html
    assert "lines." not in html and "requested" not in html
    assert _written(session) == before

    english = client.post("/org/bulk-orders/new?lang=en", data=form).get_data(as_text=True)
    assert "Yanbian rice: 100 requested, 60 available" in english and "现有" not in _text(english)


def test_the_form_shows_what_each_product_has_for_a_bulk_order(client, session, clock) -> None:
    unit = demo_unit(session, clock)
    rice, honey = product(session, RICE), product(session, "QXN-PUAN-WHITE-100G")
    approved_order(session, clock, unit, [(RICE, 15)])  # held for another order of the unit
    session.commit()
    _sign_in(client, session, unit.buyer.username)
    html = client.get("/org/bulk-orders/new").get_data(as_text=True)
    row = html[html.index(f'name="qty_{rice.id}"') - 1500 : html.index(f'name="qty_{rice.id}"')]
    assert 'data-available="45"' in row and "现有 45 件" in _text(row)
    row = html[html.index(f'name="qty_{honey.id}"') - 1500 : html.index(f'name="qty_{honey.id}"')]
    assert 'data-available="0"' in row and "无货" in row


def test_a_gtin_is_taken_for_a_product_code_in_the_form_and_in_a_sheet(client, session, clock) -> None:
    unit = demo_unit(session, clock)
    rice, tea = product(session, RICE), product(session, TEA)
    session.commit()
    csrf = _sign_in(client, session, unit.buyer.username)
    added = client.post(
        "/org/bulk-orders/new",
        data={"csrf_token": csrf, "action": "add", "code": RICE_GTIN, "code_qty": "20", f"qty_{tea.id}": "4"},
    )
    html = added.get_data(as_text=True)
    assert added.status_code == 200
    assert f'name="qty_{rice.id}" value="20"' in html and f'name="qty_{tea.id}" value="4"' in html

    mistyped = client.post(
        "/org/bulk-orders/new",
        data={"csrf_token": csrf, "action": "add", "code": RICE_GTIN[:-1] + "2", "code_qty": "20"},
    )
    assert mistyped.status_code == 422
    assert "条码校验位不符" in mistyped.get_data(as_text=True)

    sheet = f"商品编码,数量\n{RICE_GTIN},20\n{tea.sku},10\n{RICE_GTIN[:-1]}2,1\n".encode()
    read = client.post(
        "/org/bulk-orders/new",
        data={"csrf_token": csrf, "action": "upload", "sheet": (io.BytesIO(sheet), "o.csv")},
        content_type="multipart/form-data",
    )
    html = read.get_data(as_text=True)
    assert f'name="qty_{rice.id}" value="20"' in html and f'name="qty_{tea.id}" value="10"' in html
    errors = _text(html[html.index('id="sheet-errors"') :])
    assert "4 sku 6975314000112 条码校验位不符" in errors and "没有这个商品" not in errors


def test_a_sheet_beyond_the_stock_names_the_product_at_its_row(client, session, clock) -> None:
    unit = demo_unit(session, clock)
    session.commit()
    csrf = _sign_in(client, session, unit.buyer.username)
    sheet = b"sku,qty\nQXN-PUAN-RED-250G,2\nYB-RICE-5KG,80\n"
    read = client.post(
        "/org/bulk-orders/new",
        data={"csrf_token": csrf, "action": "upload", "sheet": (io.BytesIO(sheet), "o.csv")},
        content_type="multipart/form-data",
    )
    assert read.status_code == 422
    errors = _text(read.get_data(as_text=True).split('id="sheet-errors"')[1])
    assert "3 qty 80 延边大米：要 80 件，现有 60 件" in errors


def test_a_bank_transfer_typed_wrong_is_refused_in_chinese_at_the_field(client, session, clock) -> None:
    unit = demo_unit(session, clock)
    order, _ = approved_order(session, clock, unit, [(RICE, 2)])
    session.commit()
    csrf = _sign_in(client, session, "demo-operator")
    for amount, message in (
        ("12.345", "请输入金额（元），最多两位小数，如 1234.50"),
        ("-5", "金额不能为负数"),
        ("abc", "请输入金额（元），最多两位小数，如 1234.50"),
        ("0", "金额不能为 ¥0.00"),
    ):
        page = client.post(
            f"/org/bulk-orders/{order.id}/mark-paid",
            data={"csrf_token": csrf, "bank_reference": "ICBC-1", "amount": amount},
        )
        html = page.get_data(as_text=True)
        assert page.status_code == 422, amount
        error = re.search(r'id="amount-error">([^<]+)<', html)
        assert error and error.group(1).startswith(message), (amount, error and error.group(1))
        assert "到账金额：" in _text(html) and 'value="ICBC-1"' in html
        assert "amount —" not in html and "填写的信息有误" not in html and "an amount" not in html
    session.expire_all()
    assert session.get(Order, order.id).status == "awaiting_payment"


def test_the_history_says_who_what_and_when_in_beijing_time(client, session, clock) -> None:
    unit = demo_unit(session, clock)
    order, _ = drafted_order(session, clock, unit, [(product(session, RICE).id, 2)])
    # No person: as a guest's order or a scheduled job records it.
    transition(order, "cancelled", actor="user:None", at=clock.now(), reason="cancelled by the unit")
    session.commit()
    _sign_in(client, session, unit.buyer.username)
    text = _text(client.get(f"/org/bulk-orders/{order.id}").get_data(as_text=True))
    history = text[text.index("订单记录") :]
    assert "user:" not in history and "created" not in history and "submitted" not in history
    assert f"创建订单 {unit.buyer.display_name} · 2026-" in history
    assert f"提交审批 {unit.buyer.display_name} · 2026-" in history
    assert "单位取消 系统 · 2026-" in history
    assert "北京时间" in history


def test_a_unit_buyer_lands_on_the_units_page_after_signing_in(client, session, clock) -> None:
    unit = demo_unit(session, clock)
    session.commit()
    token = csrf_from(client.get("/login").data)
    signed_in = client.post(
        "/login",
        data={"username": unit.buyer.username, "password": demo_password("org_buyer"), "csrf_token": token},
    )
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/org"
    assert unit.org.name_zh in client.get("/org").get_data(as_text=True)


def test_an_approval_the_stock_no_longer_covers_is_refused_naming_the_product(client, session, clock) -> None:
    unit = demo_unit(session, clock)
    order, _ = drafted_order(session, clock, unit, [(product(session, RICE).id, 40)])
    approved_order(session, clock, unit, [(RICE, 30)])  # 30 of the 60 are held for it now
    session.commit()
    csrf = _sign_in(client, session, unit.approver.username)
    page = client.post(f"/org/bulk-orders/{order.id}/approve", data={"csrf_token": csrf, "note": "同意"})
    html = page.get_data(as_text=True)
    assert page.status_code == 409
    assert "延边大米：要 40 件，现有 30 件" in _text(html) and "lines." not in html
    session.expire_all()
    assert session.get(Order, order.id).status == "awaiting_approval"


def test_an_empty_order_and_a_bad_file_are_told_in_chinese_without_field_codes(
    client, session, clock
) -> None:
    unit = demo_unit(session, clock)
    session.commit()
    csrf = _sign_in(client, session, unit.buyer.username)
    empty = client.post("/org/bulk-orders/new", data={"csrf_token": csrf, **DELIVERY, "action": "submit"})
    assert empty.status_code == 422 and "还没有选择商品" in empty.get_data(as_text=True)
    assert "lines" not in _text(empty.get_data(as_text=True))
    bad = client.post(
        "/org/bulk-orders/new",
        data={"csrf_token": csrf, "action": "upload", "sheet": (io.BytesIO(b"not a zip"), "o.xlsx")},
        content_type="multipart/form-data",
    )
    text = _text(bad.get_data(as_text=True))
    assert bad.status_code == 422 and "表格文件：不是 XLSX 文件" in text and "file —" not in text
