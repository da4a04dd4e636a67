"""The console's stock forms (receipt, transfer, count, write-off): a summary first, written on
「确认」 exactly as the API writes the same request; a bad field is a 422 naming it, writing nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from catalogue.models import Product
from inventory.models import StockMovement
from tests.api.test_login import csrf_from, sign_in

API = "/api/v1/inventory"


def pid(session, sku: str) -> str:
    return str(session.scalar(select(Product.id).where(Product.sku == sku)))


def written(session, after: int) -> list[tuple]:
    """The movements written after id `after`, as what they say (not their ids or times)."""
    session.expire_all()
    rows = session.scalars(select(StockMovement).where(StockMovement.id > after).order_by(StockMovement.id))
    places = ("from_location_id", "from_slot_id", "to_location_id", "to_slot_id")
    return [
        (m.kind, m.product_id, m.lot.code, m.qty, m.reason, m.actor, *(getattr(m, p) for p in places))
        for m in rows
    ]


def last_id(session) -> int:
    return session.scalar(select(func.coalesce(func.max(StockMovement.id), 0)))


def post(client, kind: str, form: dict[str, str]):
    token = csrf_from(client.get(f"/console/inventory/{kind}").data)
    return client.post(f"/console/inventory/{kind}", data={"csrf_token": token, **form})


def through_api(connection, session, client, auth, path: str, body: dict) -> list[tuple]:
    """What the API writes for this body, rolled back afterwards so the console starts from the same stock."""
    session.rollback()  # the test's own session reads afresh on both sides of the probe
    connection.exec_driver_sql("SAVEPOINT api_probe")
    before = last_id(session)
    response = client.post(f"{API}/{path}", json=body, headers=auth("operator"))
    assert response.status_code == 201, response.get_json()
    movements = written(session, before)
    session.rollback()
    connection.exec_driver_sql("ROLLBACK TO SAVEPOINT api_probe")
    session.expire_all()
    return movements


def receipt(session) -> tuple[dict, dict]:
    honey = pid(session, "GY-HONEY-500G")
    form = {"location": "FZ-WH-01", "product": honey, "lot": "FZ-HONEY-2705", "expires_on": "2027-05-31"}
    return {**form, "qty": "12", "note": ""}, {**form, "product": int(honey), "qty": 12}


CASES = {
    "receipt": (
        "receipts",
        lambda s: receipt(s),
        ["福州消费帮扶中心仓", "FZ-HONEY-2705", "2027-05-31", "12 件"],
    ),
    "transfer": (
        "transfers",
        lambda s: (
            {"from": "FZ-WH-01", "to": "FZ-0001/C2", "product": "", "lot": "", "qty": "3"},
            {"from": "FZ-WH-01", "to": "FZ-0001", "to_slot": "C2", "qty": 3},
        ),
        ["调入", "货道 C2", "3 件"],
    ),
    "count": (
        "counts",
        lambda s: (
            {"location": "FZ-0001/A1", "counted": "3"},
            {"location": "FZ-0001", "slot": "A1", "counted": 3},
        ),
        ["账面数量", "5 件", "-2 件"],
    ),
    "writeoff": (
        "writeoffs",
        lambda s: (
            {"location": "FZ-0001/A3", "qty": "2", "reason": "expired"},
            {"location": "FZ-0001", "slot": "A3", "qty": 2, "reason": "expired"},
        ),
        ["过期 · Expired", "2 件"],
    ),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_a_stock_form_shows_a_summary_then_writes_what_the_api_writes(
    kind, connection, session, client, auth
) -> None:
    path, make, shown = CASES[kind]
    form, body = make(session)
    expected = through_api(connection, session, client, auth, path, body)
    sign_in(client, "operator")
    before = last_id(session)
    summary = post(client, kind, form)
    html = summary.get_data(as_text=True)
    assert summary.status_code == 200 and "确认 Confirm" in html
    for text in shown:
        assert text in html
    assert written(session, before) == [], "the summary wrote something"
    done = client.post(
        f"/console/inventory/{kind}", data={"csrf_token": csrf_from(summary.data), **form, "confirm": "1"}
    )
    assert done.status_code == 303
    assert written(session, before) == expected
    assert client.get(done.headers["Location"]).status_code == 200


BAD = [
    ("receipt", {"qty": "twelve"}, "qty", "请输入整数"),
    ("receipt", {"qty": "0"}, "qty", "应在 1 到 100000 之间"),
    ("receipt", {"expires_on": "", "lot": "NEW-LOT"}, "expires_on", "新批次须填写到期日"),
    ("receipt", {"location": "FZ-0001"}, "location", "应为仓库或特产馆"),
    ("receipt", {"expires_on": "31/05/2027"}, "expires_on", "请输入日期，如 2026-12-31"),
    ("transfer", {"qty": "7"}, "qty", "货道 C2 已有 0 件，容量 6 件"),
    ("transfer", {"to": ""}, "to", "必填"),
    ("count", {"counted": "-1"}, "counted", "应在 0 到 100000 之间"),
    ("count", {"lot": "NO-SUCH-LOT"}, "lot", "该商品没有这个批次"),
    ("writeoff", {"reason": ""}, "reason", "必填"),
    ("writeoff", {"qty": "9"}, "qty", "此处只有 2 件已过期的可用"),
]


@pytest.mark.parametrize(("kind", "change", "field", "message"), BAD)
@pytest.mark.parametrize("confirm", ["", "1"])
def test_a_bad_field_is_a_422_naming_it_and_nothing_is_written(
    kind, change, field, message, confirm, session, client
) -> None:
    sign_in(client, "operator")
    form, _body = CASES[kind][1](session)
    before = last_id(session)
    response = post(client, kind, {**form, **change, "confirm": confirm})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="err-{field}"' in html and message in html
    assert f'name="{field}"' in html  # the form again, its values kept
    assert written(session, before) == []


def test_a_refused_form_keeps_what_was_typed(session, client) -> None:
    sign_in(client, "operator")
    form, _ = receipt(session)
    html = post(client, "receipt", {**form, "qty": "x"}).get_data(as_text=True)
    assert 'value="FZ-HONEY-2705"' in html and 'value="2027-05-31"' in html
    assert f'<option value="{form["product"]}" selected>' in html


@pytest.mark.parametrize("kind", list(CASES))
def test_the_auditor_sees_the_forms_but_may_not_post_them(kind, session, client) -> None:
    sign_in(client, "auditor")
    page = client.get(f"/console/inventory/{kind}")
    assert page.status_code == 200 and "只读" in page.get_data(as_text=True)
    form, _ = CASES[kind][1](session)
    before = last_id(session)
    refused = client.post(
        f"/console/inventory/{kind}", data={"csrf_token": csrf_from(page.data), **form, "confirm": "1"}
    )
    assert refused.status_code == 403
    assert written(session, before) == []


def test_the_forms_choose_by_name_never_by_typed_id(session, client) -> None:
    sign_in(client, "operator")
    html = client.get("/console/inventory/transfer").get_data(as_text=True)
    assert "福州火车站北广场消费帮扶专柜（演示） · FZ-0001 · 货道 C2" in html
    assert "GY-OATS-1KG" in html and 'name="product"' in html and '<select name="product"' in html
    assert "到期" in html
