"""An order is held at one warehouse: the first, preferred cities' first, that has all of its lines."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from catalogue.models import Product
from inventory import service
from inventory.errors import OutOfStock
from inventory.models import Reservation

FUZHOU, NINGBO = "350100", "330200"
HONEY, RICE = "GY-HONEY-500G", "YB-RICE-5KG"  # demo stock: honey in Fuzhou's warehouse, rice in Ningbo's


def hold(session, clock, order_ref: str, lines: list[tuple[str, int]], prefer=()):  # type: ignore[no-untyped-def]
    ids = {p.sku: p.id for p in session.scalars(select(Product))}
    return service.reserve_at_first_warehouse(
        session,
        clock,
        order_ref=order_ref,
        lines=[(ids[sku], qty) for sku, qty in lines],
        expires_at=clock.now() + timedelta(minutes=15),
        prefer_partners=prefer,
    )


def held(session, order_ref: str) -> list[tuple[str, int]]:
    rows = session.scalars(select(Reservation).where(Reservation.order_ref == order_ref))
    return sorted((r.location.code, r.qty) for r in rows)


def test_the_preferred_citys_warehouse_holds_what_it_has(session, clock) -> None:
    warehouse = hold(session, clock, "WH-1", [(RICE, 2)], prefer={NINGBO})
    assert warehouse.code == "NB-WH-01" and held(session, "WH-1") == [("NB-WH-01", 2)]


def test_another_warehouse_holds_what_the_preferred_one_lacks(session, clock) -> None:
    warehouse = hold(session, clock, "WH-2", [(HONEY, 1)], prefer={NINGBO})
    assert warehouse.code == "FZ-WH-01" and held(session, "WH-2") == [("FZ-WH-01", 1)]


def test_without_a_preference_the_first_warehouse_with_everything_holds_it(session, clock) -> None:
    assert hold(session, clock, "WH-3", [(RICE, 1)]).code == "NB-WH-01"
    assert hold(session, clock, "WH-4", [(HONEY, 1)]).partner_code == FUZHOU


def test_an_order_no_single_warehouse_can_fill_holds_nothing_anywhere(session, clock) -> None:
    with pytest.raises(OutOfStock):
        hold(session, clock, "WH-5", [(HONEY, 1), (RICE, 1)], prefer={FUZHOU})
    assert held(session, "WH-5") == []
