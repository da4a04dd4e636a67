"""The console's orders: found by id, short id, phone, unit and Beijing dates; a refund of a line is
confirmed first with its amount; a refused one is an error (409/422), never a success."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from core.clock import SHANGHAI
from payments.models import Refund
from sales.models import Order
from sales.org_models import Organization
from tests.api.console.factories import paid_order
from tests.api.test_login import csrf_from, sign_in

MORNING = datetime(2026, 11, 20, 0, 30, tzinfo=SHANGHAI)  # 19 November in UTC, 20 November in Beijing


@pytest.fixture
def orders(session, clock):  # type: ignore[no-untyped-def]
    """A web-shop order with a phone, a unit's bulk order, and a kiosk order left unpaid."""
    unit = session.scalar(select(Organization).where(Organization.kind == "hospital"))
    made = {
        "phone": paid_order(session, clock, at=MORNING, phone="13812345678"),
        "unit": paid_order(
            session, clock, at=datetime(2026, 11, 22, 10, tzinfo=SHANGHAI), channel="bulk", unit=unit
        ),
        "unpaid": paid_order(
            session, clock, at=datetime(2026, 11, 23, 10, tzinfo=SHANGHAI), channel="kiosk", paid=False
        ),
    }
    session.commit()
    clock.set(datetime(2026, 11, 26, 15, tzinfo=SHANGHAI))
    return made


def _found(client, query: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(f"/console/orders?{query}")
    assert response.status_code == 200, query
    return response.get_data(as_text=True)


def test_orders_are_found_by_short_id_full_id_phone_unit_and_beijing_date(client, orders) -> None:
    sign_in(client, "operator")
    phone, unit, unpaid = orders["phone"], orders["unit"], orders["unpaid"]
    listing = _found(client, "")
    assert f"<code>{phone.id[:8]}</code>" in listing  # the short id the list shows
    by_short = _found(client, f"q={phone.id[:8].upper()}")
    assert phone.id in by_short and unit.id not in by_short
    assert phone.id in _found(client, f"q={phone.id}")
    by_phone = _found(client, "q=1381234")
    assert phone.id in by_phone and unpaid.id not in by_phone and "13812345678" in by_phone
    by_unit = _found(client, "unit=福州某医院")
    assert unit.id in by_unit and phone.id not in by_unit and "福州某医院（演示）" in by_unit
    by_day = _found(client, "from=2026-11-20&to=2026-11-20")  # Beijing's 20 November, UTC's 19th
    assert phone.id in by_day and unit.id not in by_day and unpaid.id not in by_day
    assert phone.id not in _found(client, "from=2026-11-19&to=2026-11-19")


def test_orders_filter_by_channel_and_status_shown_by_label(client, orders) -> None:
    sign_in(client, "operator")
    kiosk = _found(client, "channel=kiosk&status=awaiting_payment")
    assert orders["unpaid"].id in kiosk and orders["phone"].id not in kiosk
    assert "待付款" in kiosk and "awaiting_payment</td>" not in kiosk
    assert '<option value="kiosk" selected>无人售货柜 · Kiosk</option>' in kiosk


def test_a_bad_date_is_named_with_422(client, orders) -> None:
    sign_in(client, "operator")
    response = client.get("/console/orders?from=20-11-2026")
    assert response.status_code == 422 and "起始日期" in response.get_data(as_text=True)


def test_a_refund_shows_line_units_and_amount_before_it_is_written(session, client, orders) -> None:
    token = sign_in(client, "operator")
    order = orders["phone"]
    line = order.lines[0]
    form = {"csrf_token": token, "line": str(line.id), "qty": "2", "reason": "破损 damaged"}
    asked = client.post(f"/console/orders/{order.id}/refund", data=form)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "确认退款" in html and line.name_zh in html
    assert f"¥{line.unit_price_fen * 2 // 100:,}.{line.unit_price_fen * 2 % 100:02d}" in html
    session.expire_all()
    assert session.get(Order, order.id).refunded_fen == 0  # nothing yet
    done = client.post(f"/console/orders/{order.id}/refund", data={**form, "confirm": "1"})
    assert done.status_code == 302
    session.expire_all()
    assert session.get(Order, order.id).refunded_fen == line.unit_price_fen * 2
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已申请退款" in page and "破损 damaged" in page


@pytest.mark.parametrize(
    ("which", "form", "status", "words"),
    [
        ("phone", {"line": "", "qty": "1"}, 422, "请选择商品行"),
        ("phone", {"qty": "0"}, 422, "数量 Qty"),
        ("phone", {"qty": "9"}, 409, "退款数量超过可退数量"),
        ("unpaid", {"qty": "1"}, 409, "订单尚未收款"),
    ],
)
def test_a_refused_refund_is_an_error_not_a_success(
    session, client, orders, which, form, status, words
) -> None:
    token = sign_in(client, "operator")
    order = orders[which]
    data = {"csrf_token": token, "line": str(order.lines[0].id), **form}
    for confirm in ({}, {"confirm": "1"}):
        response = client.post(f"/console/orders/{order.id}/refund", data={**data, **confirm})
        html = response.get_data(as_text=True)
        assert response.status_code == status and words in html
        assert 'class="error form-errors" role="alert"' in html and "退款未执行" in html
        assert "已申请退款" not in html and 'class="flash"' not in html
    session.expire_all()
    assert session.get(Order, order.id).refunded_fen == 0


def test_a_failed_refund_is_shown_with_its_status_label(session, client, orders) -> None:
    token = sign_in(client, "operator")
    order = orders["phone"]
    data = {"csrf_token": token, "line": str(order.lines[0].id), "qty": "1", "confirm": "1"}
    assert client.post(f"/console/orders/{order.id}/refund", data=data).status_code == 302
    refund = session.scalar(select(Refund).order_by(Refund.id.desc()))
    refund.status = "failed"
    session.commit()
    page = client.get(f"/console/orders/{order.id}").get_data(as_text=True)
    assert "退款失败 · Refund failed" in page and "refund-state-failed" in page


def test_the_order_page_names_things_and_shows_beijing_time(client, orders) -> None:
    sign_in(client, "operator")
    html = client.get(f"/console/orders/{orders['unit'].id}").get_data(as_text=True)
    assert "福州某医院（演示）" in html and "单位集采 · Bulk order" in html and "北京时间" in html
    assert "已付款 · Paid" in html and "¥" in html


def test_the_auditor_may_not_refund(session, client, orders) -> None:
    sign_in(client, "auditor")
    order = orders["phone"]
    page = client.get(f"/console/orders/{order.id}")
    assert page.status_code == 200 and "下一步：核对金额" not in page.get_data(as_text=True)
    data = {"csrf_token": csrf_from(page.data), "line": str(order.lines[0].id), "qty": "1", "confirm": "1"}
    assert client.post(f"/console/orders/{order.id}/refund", data=data).status_code == 403
    session.expire_all()
    assert session.get(Order, order.id).refunded_fen == 0
