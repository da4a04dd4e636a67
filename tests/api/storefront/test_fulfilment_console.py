"""The console's fulfilment forms: each step through the order page, shipping after a confirmation,
and every refusal a page that names the field in Chinese (422, or 409 for a step out of turn)
with nothing written."""

from __future__ import annotations

import pytest

from payments.providers.simulated import SimulatedProvider
from sales.orders import get_order
from sales.shipping import record_step, shipment_of
from tests.api.test_login import csrf_from, sign_in
from tests.integration.sales.shipping_factories import paid_order, placed_order, simulated_provider


@pytest.fixture
def provider(db, clock) -> SimulatedProvider:  # type: ignore[no-untyped-def]
    return simulated_provider(db, clock)


@pytest.fixture
def order_id(db, clock, provider) -> str:  # type: ignore[no-untyped-def]
    return paid_order(db, clock, provider)


def take(db, clock, order_id: str, *steps: str) -> None:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as session:
        for step in steps:
            extra = {"carrier": "sf", "tracking_no": "SF1234567890123"} if step == "shipped" else {}
            record_step(session, clock, order_id, step, actor="demo-operator", **extra)


def step_of(db, order_id: str) -> str | None:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as session:
        shipment = shipment_of(session, order_id)
        return shipment.step if shipment else None


def post_step(client, order_id: str, **form: str):  # type: ignore[no-untyped-def]
    token = csrf_from(client.get(f"/console/orders/{order_id}").data)
    return client.post(f"/console/orders/{order_id}/fulfilment", data={"csrf_token": token, **form})


def test_the_order_page_shows_address_masked_phone_and_the_next_step(client, order_id) -> None:
    sign_in(client, "operator")
    html = client.get(f"/console/orders/{order_id}").get_data(as_text=True)
    assert "福建省福州市鼓楼区五一北路 1 号" in html and "林女士" in html
    assert "138****5678" in html and "13812345678" not in html
    assert "待拣货 · To pick" in html and 'name="step" value="picked"' in html
    assert '发货<span class="en"> Fulfilment</span>' in html  # the console's nav item


def test_an_operator_takes_every_step_through_the_forms(client, db, order_id) -> None:
    sign_in(client, "operator")
    for step in ("picked", "packed"):
        answer = post_step(client, order_id, step=step)
        assert answer.status_code == 302 and step_of(db, order_id) == step
    confirm = post_step(client, order_id, step="shipped", carrier="sf", tracking_no="sf 1234 5678 90123")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "确认发货" in html and "SF1234567890123" in html
    assert 'name="confirm" value="1"' in html and "顺丰速运" in html
    assert step_of(db, order_id) == "packed"  # nothing written before the confirmation
    shipped = post_step(
        client, order_id, step="shipped", carrier="sf", tracking_no="SF1234567890123", confirm="1"
    )
    assert shipped.status_code == 302 and step_of(db, order_id) == "shipped"
    page = client.get(f"/console/orders/{order_id}").get_data(as_text=True)
    assert "SF1234567890123" in page and "已发货 · Shipped" in page
    assert post_step(client, order_id, step="delivered").status_code == 302
    with db.unit_of_work() as session:
        assert get_order(session, order_id).status == "fulfilled"
    listing = client.get("/console/fulfilment").get_data(as_text=True)
    delivered = listing[listing.index('id="delivered"') :]
    assert order_id[:8] in delivered and "顺丰速运 SF1234567890123" in delivered


@pytest.mark.parametrize(
    ("carrier", "tracking_no", "named", "confirm"),
    [
        ("", "SF1234567890123", "承运商 Carrier：", ""),
        ("ups", "SF1234567890123", "承运商 Carrier：", "1"),
        ("sf", "", "运单号 Tracking number：", ""),
        ("sf", "1234567890123", "运单号 Tracking number：", "1"),
        ("ems", "EA123", "运单号 Tracking number：", ""),
    ],
)
def test_a_bad_carrier_or_waybill_number_is_422_naming_the_field_and_writes_nothing(
    client, db, clock, order_id, carrier, tracking_no, named, confirm
) -> None:
    take(db, clock, order_id, "picked", "packed")
    sign_in(client, "operator")
    answer = post_step(
        client, order_id, step="shipped", carrier=carrier, tracking_no=tracking_no, confirm=confirm
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert named in html and 'aria-invalid="true"' in html
    assert f'value="{tracking_no}"' in html  # what was typed is kept
    assert step_of(db, order_id) == "packed"


def test_a_step_out_of_turn_is_refused_as_an_error_and_writes_nothing(client, db, order_id) -> None:
    sign_in(client, "operator")
    answer = post_step(client, order_id, step="packed")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409 and "步骤 Step：" in html and "此订单待拣货，不能打包" in html
    assert step_of(db, order_id) is None
    unknown = post_step(client, order_id, step="teleported")
    assert unknown.status_code == 422 and "步骤 Step：" in unknown.get_data(as_text=True)
    assert step_of(db, order_id) is None


def test_the_fulfilment_list_groups_orders_by_step(client, db, clock, provider) -> None:
    waiting = paid_order(db, clock, provider)
    packed = paid_order(db, clock, provider)
    take(db, clock, packed, "picked", "packed")
    sign_in(client, "auditor")  # reads the list; takes no step
    html = client.get("/console/fulfilment").get_data(as_text=True)
    to_pick = html[html.index('id="to_pick"') : html.index('id="to_pack"')]
    to_ship = html[html.index('id="to_ship"') : html.index('id="shipped"')]
    assert waiting[:8] in to_pick and packed[:8] in to_ship and packed[:8] not in to_pick
    assert "138****5678" in html and "13812345678" not in html
    order_page = client.get(f"/console/orders/{waiting}").get_data(as_text=True)
    assert 'name="step"' not in order_page  # no form for a reader


def test_the_auditor_cannot_take_a_step(client, db, order_id) -> None:
    sign_in(client, "auditor")
    assert post_step(client, order_id, step="picked").status_code == 403
    assert step_of(db, order_id) is None


def test_the_shoppers_page_shows_each_step_in_beijing_time_and_the_tracking_number(
    client, db, clock, order_id
) -> None:
    with db.unit_of_work() as session:
        token = get_order(session, order_id).pay_token
    page = f"/shop/orders/{order_id}?token={token}"
    paid = client.get(page).get_data(as_text=True)
    assert "仓库正在备货" in paid and "尽快" not in paid
    assert paid.count('class="todo"') == 4  # picked, packed, shipped, delivered still to come
    take(db, clock, order_id, "picked", "packed", "shipped")
    shipped = client.get(page).get_data(as_text=True)
    assert "顺丰速运" in shipped and "SF1234567890123" in shipped
    assert shipped.count('class="done"') == 4 and shipped.count("北京时间") >= 4
    take(db, clock, order_id, "delivered")
    delivered = client.get(page).get_data(as_text=True)
    assert "已送达" in delivered and delivered.count('class="done"') == 5


def test_an_unpaid_web_order_shows_its_address_but_no_step_to_take(client, db, clock, provider) -> None:
    unpaid, _payment = placed_order(db, clock, provider)
    sign_in(client, "operator")
    html = client.get(f"/console/orders/{unpaid}").get_data(as_text=True)
    assert "福建省福州市鼓楼区五一北路 1 号" in html and "138****5678" in html
    assert 'name="step"' not in html and "待拣货" not in html
