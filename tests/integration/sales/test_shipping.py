"""A paid web-shop order goes pick → pack → ship → delivered, in that order only, each step with
who and when; the stock left the ledger at capture and no step moves it again; a waybill number
must fit its carrier; a shipped order not yet delivered can still be refunded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from catalogue.models import Product
from core.errors import InvalidInput
from inventory.models import StockBalance, StockMovement
from payments.models import Payment
from payments.providers.simulated import SimulatedProvider
from sales.models import OrderEvent
from sales.orders import LineRequest, get_order, new_order
from sales.payment_flow import apply_event, request_refund, start_payment
from sales.shipping import IllegalStep, check_tracking, fulfilment_queue, record_step, shipment_of
from tests.integration.sales.shipping_factories import paid_order, placed_order, simulated_provider


@pytest.fixture
def provider(db, clock) -> SimulatedProvider:  # type: ignore[no-untyped-def]
    return simulated_provider(db, clock)


def step(db, clock, order_id: str, name: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as session:
        record_step(session, clock, order_id, name, actor=kwargs.pop("actor", "demo-operator"), **kwargs)


def ship_all_the_way(db, clock, order_id: str) -> None:  # type: ignore[no-untyped-def]
    step(db, clock, order_id, "picked")
    step(db, clock, order_id, "packed")
    step(db, clock, order_id, "shipped", carrier="sf", tracking_no="SF1234567890123")


def stock_trail(db, order_id: str) -> list[tuple[str, int, int | None, int | None]]:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as session:
        return [
            (m.kind, m.qty, m.from_location_id, m.to_location_id)
            for m in session.scalars(
                select(StockMovement).where(StockMovement.reference == order_id).order_by(StockMovement.id)
            )
        ]


def warehouse_on_hand(db, order_id: str) -> int:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as session:
        order = get_order(session, order_id)
        balances = session.scalars(
            select(StockBalance).where(
                StockBalance.location_id == order.location_id,
                StockBalance.product_id == order.lines[0].product_id,
            )
        )
        return sum(b.on_hand for b in balances)


def test_the_steps_go_in_order_and_record_who_and_when(db, clock, provider) -> None:
    order_id = paid_order(db, clock, provider)
    start = clock.now()
    for minutes, (name, who) in enumerate(
        [("picked", "picker"), ("packed", "packer"), ("shipped", "shipper"), ("delivered", "courier-desk")], 1
    ):
        clock.set(start + timedelta(minutes=10 * minutes))
        extra = {"carrier": "sf", "tracking_no": "sf 1234 5678 90123"} if name == "shipped" else {}
        step(db, clock, order_id, name, actor=who, **extra)
    with db.unit_of_work() as session:
        shipment = shipment_of(session, order_id)
        assert shipment.step == "delivered"
        assert [shipment.picked_by, shipment.packed_by, shipment.shipped_by, shipment.delivered_by] == [
            "picker",
            "packer",
            "shipper",
            "courier-desk",
        ]
        assert [shipment.picked_at, shipment.packed_at, shipment.shipped_at, shipment.delivered_at] == [
            start + timedelta(minutes=m) for m in (10, 20, 30, 40)
        ]
        assert (shipment.carrier, shipment.tracking_no) == ("sf", "SF1234567890123")
        order = get_order(session, order_id)
        assert order.status == "fulfilled"
        last = session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id)).all()[-1]
        assert (last.from_status, last.to_status, last.actor) == ("paid", "fulfilled", "courier-desk")


@pytest.mark.parametrize(
    ("done", "attempt"),
    [
        ([], "packed"),
        ([], "shipped"),
        ([], "delivered"),
        (["picked"], "picked"),
        (["picked"], "shipped"),
        (["picked", "packed"], "delivered"),
        (["picked", "packed", "shipped"], "packed"),
    ],
)
def test_a_step_out_of_order_is_refused_and_changes_nothing(db, clock, provider, done, attempt) -> None:
    order_id = paid_order(db, clock, provider)
    for name in done:
        extra = {"carrier": "ems", "tracking_no": "EA123456789CN"} if name == "shipped" else {}
        step(db, clock, order_id, name, **extra)
    extra = {"carrier": "ems", "tracking_no": "EA123456789CN"} if attempt == "shipped" else {}
    with pytest.raises(IllegalStep) as refused:
        step(db, clock, order_id, attempt, **extra)
    assert "step" in refused.value.fields
    with db.unit_of_work() as session:
        shipment = shipment_of(session, order_id)
        assert (shipment.step if shipment else None) == (done[-1] if done else None)
        assert get_order(session, order_id).status == "paid"


def test_an_unpaid_or_kiosk_order_is_not_shipped(db, clock, provider) -> None:
    unpaid, _payment = placed_order(db, clock, provider)
    with pytest.raises(IllegalStep) as refused:
        step(db, clock, unpaid, "picked")
    assert refused.value.fields == {"order": "订单未付款 · the order is not paid"}
    with db.unit_of_work() as session:
        product = session.scalar(select(Product).where(Product.name_zh == "西吉马铃薯"))
        kiosk = new_order(
            session,
            at=clock.now(),
            channel="kiosk",
            status="awaiting_payment",
            actor="test",
            lines=[LineRequest(product, 1)],
        )
        session.flush()
        kiosk_id = kiosk.id
    with pytest.raises(IllegalStep):
        step(db, clock, kiosk_id, "picked")
    with db.unit_of_work() as session:
        assert shipment_of(session, unpaid) is None and shipment_of(session, kiosk_id) is None


def test_the_sale_is_written_at_capture_and_no_step_moves_stock_again(db, clock, provider) -> None:
    order_id, _payment = placed_order(db, clock, provider, qty=3)
    before_capture = warehouse_on_hand(db, order_id)
    assert stock_trail(db, order_id) == []  # held only, while the shopper pays
    with db.unit_of_work() as session:
        payment = session.scalar(select(Payment).where(Payment.order_id == order_id))
        payment_id = payment.id
    ref = start_payment(db, clock, provider, payment_id).provider_ref
    with db.unit_of_work() as session:
        apply_event(session, clock, provider.name, provider.simulate_pay(ref))
        warehouse = get_order(session, order_id).location_id
    sold = stock_trail(db, order_id)
    assert [(kind, from_) for kind, _qty, from_, _to in sold] == [("sale", warehouse)] * len(sold)
    assert sum(qty for _k, qty, _f, _t in sold) == 3
    assert warehouse_on_hand(db, order_id) == before_capture - 3
    for name in ("picked", "packed", "shipped", "delivered"):
        extra = {"carrier": "yto", "tracking_no": "YT1234567890123"} if name == "shipped" else {}
        step(db, clock, order_id, name, **extra)
        assert stock_trail(db, order_id) == sold, f"{name} moved stock"
        assert warehouse_on_hand(db, order_id) == before_capture - 3


@pytest.mark.parametrize(
    ("carrier", "typed", "kept"),
    [
        ("sf", "SF1234567890123", "SF1234567890123"),
        ("sf", " sf 1234-5678-90123 ", "SF1234567890123"),
        ("ems", "ea123456789cn", "EA123456789CN"),
        ("ems", "1151234567890", "1151234567890"),
        ("jd", "JDVA12345678901", "JDVA12345678901"),
        ("zto", "773012345678901", "773012345678901"),
        ("yto", "YT1234567890123", "YT1234567890123"),
        ("yunda", "4312345678901", "4312345678901"),
    ],
)
def test_a_waybill_number_of_its_carriers_shape_is_accepted(carrier, typed, kept) -> None:
    assert check_tracking(carrier, typed) == (carrier, kept)


@pytest.mark.parametrize(
    ("carrier", "typed", "field"),
    [
        ("", "SF1234567890123", "carrier"),
        ("dhl", "SF1234567890123", "carrier"),
        ("sf", "", "tracking_no"),
        ("sf", "1234567890123", "tracking_no"),
        ("sf", "SF12345", "tracking_no"),
        ("ems", "EA123456789US", "tracking_no"),
        ("yto", "YT12345678901234567", "tracking_no"),
        ("yunda", "12345678901234", "tracking_no"),
        ("zto", "运单１２３４５６７８９０１２", "tracking_no"),
    ],
)
def test_a_waybill_number_off_its_shape_is_refused_by_field(carrier, typed, field) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_tracking(carrier, typed)
    assert field in refused.value.fields


def test_shipping_with_a_bad_waybill_number_leaves_the_order_packed(db, clock, provider) -> None:
    order_id = paid_order(db, clock, provider)
    step(db, clock, order_id, "picked")
    step(db, clock, order_id, "packed")
    with pytest.raises(InvalidInput) as refused:
        step(db, clock, order_id, "shipped", carrier="sf", tracking_no="12345")
    assert list(refused.value.fields) == ["tracking_no"]
    with db.unit_of_work() as session:
        shipment = shipment_of(session, order_id)
        assert (shipment.step, shipment.carrier, shipment.tracking_no) == ("packed", None, None)


def test_a_shipped_order_not_yet_delivered_can_be_refunded(db, clock, provider) -> None:
    order_id = paid_order(db, clock, provider, qty=2)
    ship_all_the_way(db, clock, order_id)
    sold = stock_trail(db, order_id)
    with db.unit_of_work() as session:
        order = get_order(session, order_id, lock=True)
        payment = session.scalar(select(Payment).where(Payment.order_id == order_id))
        request_refund(session, clock, order, payment, [(order.lines[0], 1)], reason="crushed", actor="op")
    assert stock_trail(db, order_id) == sold  # money only: the parcel is on its way
    step(db, clock, order_id, "delivered")
    with db.unit_of_work() as session:
        assert shipment_of(session, order_id).step == "delivered"
        assert get_order(session, order_id).status == "partially_refunded"  # it keeps saying so


def test_a_fully_refunded_order_goes_no_further_and_leaves_the_list(db, clock, provider) -> None:
    order_id = paid_order(db, clock, provider, qty=1)
    step(db, clock, order_id, "picked")
    with db.unit_of_work() as session:
        order = get_order(session, order_id, lock=True)
        payment = session.scalar(select(Payment).where(Payment.order_id == order_id))
        request_refund(
            session, clock, order, payment, [(order.lines[0], 1)], reason="changed mind", actor="op"
        )
    with pytest.raises(IllegalStep) as refused:
        step(db, clock, order_id, "packed")
    assert "order" in refused.value.fields
    with db.unit_of_work() as session:
        listed = [order.id for entries in fulfilment_queue(session).values() for order, _s in entries]
    assert order_id not in listed


def test_the_fulfilment_list_groups_orders_by_where_they_wait(db, clock, provider) -> None:
    orders = [paid_order(db, clock, provider, qty=1) for _ in range(5)]
    for order_id, steps in zip(orders, range(5), strict=True):
        for name in ("picked", "packed", "shipped", "delivered")[:steps]:
            extra = {"carrier": "jd", "tracking_no": "JD0012345678901"} if name == "shipped" else {}
            step(db, clock, order_id, name, **extra)
    with db.unit_of_work() as session:
        queues = fulfilment_queue(session)
        where = {
            order.id: name
            for name, entries in queues.items()
            for order, _shipment in entries
            if order.id in orders
        }
    assert where == dict(zip(orders, ["to_pick", "to_pack", "to_ship", "shipped", "delivered"], strict=True))
