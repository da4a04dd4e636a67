"""The demo stock: two warehouses with lots near expiry, two stocked Fuzhou kiosks, loaded once."""

from sqlalchemy import select

from inventory import service
from inventory.demo import load_demo_inventory
from inventory.models import Location
from tests.integration.inventory.factories import ledger_problems


def test_loading_the_demo_stock_again_adds_nothing(session, clock) -> None:
    assert load_demo_inventory(session, clock) == {"locations": 0, "slots": 0, "stock_movements": 0}


def test_both_warehouses_hold_lots_near_expiry(session, clock) -> None:
    soon = service.list_alerts(session, clock, within_days=7)
    near = {a.location.code for a in soon if a.kind == "expiring_soon" and a.location.kind == "warehouse"}
    assert near == {"FZ-WH-01", "NB-WH-01"}


def test_the_kiosks_are_restocked_from_fuzhou_on_one_route(session) -> None:
    kiosks = session.scalars(select(Location).where(Location.kind == "kiosk").order_by(Location.code)).all()
    demo = [k for k in kiosks if k.code in ("FZ-0001", "FZ-0002")]
    assert [(k.code, k.mode, k.warehouse.code, k.route, k.partner_code) for k in demo] == [
        ("FZ-0001", "vend", "FZ-WH-01", "FZ-R1", "350100"),
        ("FZ-0002", "open_door", "FZ-WH-01", "FZ-R1", "350100"),
    ]


def test_the_demo_ledger_explains_every_balance(session) -> None:
    assert ledger_problems(session) == []
