"""Load the demo stock (inventory/demo_data.py) once: places are created and stocked only if new."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import Product
from core.clock import Clock, FixedClock
from inventory import demo_data
from inventory.locations import add_slot, create_location, today
from inventory.models import Location
from inventory.stock import receive, transfer

Progress = Callable[[str], None]
ACTOR = "demo"


def _ago(clock: Clock, days: int) -> FixedClock:
    """A clock standing `days` ago, so the demo ledger has a history rather than one instant."""
    return FixedClock(clock.now() - timedelta(days=days))


def load_demo_inventory(
    session: Session, clock: Clock, progress: Progress = lambda _msg: None
) -> dict[str, int]:
    """Add the demo warehouses and kiosks that are missing, with their stock; return what was added."""
    added = {"locations": 0, "slots": 0, "stock_movements": 0}
    products = {p.sku: p for p in session.scalars(select(Product))}
    day = today(clock)
    new_warehouses = set()
    for row in demo_data.WAREHOUSES:
        if session.scalar(select(Location.id).where(Location.code == row["code"])) is None:
            create_location(session, clock, kind="warehouse", **row)
            new_warehouses.add(row["code"])
            added["locations"] += 1
    session.flush()  # receipts below look the warehouses up by code
    # Oldest receipt first, so that the ledger's order and its timestamps agree.
    for warehouse, sku, expires_in, received_ago, qty in sorted(
        demo_data.WAREHOUSE_LOTS, key=lambda r: -r[3]
    ):
        if warehouse not in new_warehouses or sku not in products:
            continue
        expires_on = day + timedelta(days=expires_in)
        receive(
            session,
            _ago(clock, received_ago),
            location=warehouse,
            product=products[sku].id,
            lot=f"L{expires_on:%Y%m%d}",
            expires_on=expires_on,
            qty=qty,
            actor=ACTOR,
            reference=f"DEMO-PO-{warehouse}",
        )
        added["stock_movements"] += 1
    progress(f"warehouses: {added['locations']} added")

    for kiosk in demo_data.KIOSKS:
        if session.scalar(select(Location.id).where(Location.code == kiosk["code"])) is not None:
            continue
        create_location(
            session,
            clock,
            code=kiosk["code"],
            kind="kiosk",
            mode=kiosk["mode"],
            name_zh=kiosk["name_zh"],
            name_en=kiosk["name_en"],
            address=kiosk["address"],
            partner=demo_data.KIOSK_PARTNER,
            warehouse=demo_data.KIOSK_WAREHOUSE,
            route=demo_data.KIOSK_ROUTE,
        )
        session.flush()  # slots below belong to the kiosk
        added["locations"] += 1
        for code, sku, capacity, par_level, _units in kiosk["slots"]:
            add_slot(
                session,
                kiosk["code"],
                code=code,
                product=products[sku].id,
                capacity=capacity,
                par_level=par_level,
            )
            added["slots"] += 1
        session.flush()  # transfers below look the slots up
        added["stock_movements"] += _stock_kiosk(session, clock, kiosk, products)
    progress(f"kiosks stocked: {added['slots']} slots added")
    return added


def _stock_kiosk(session: Session, clock: Clock, kiosk: dict, products: dict[str, Product]) -> int:
    moved = 0
    day = today(clock)
    for code, sku, units in kiosk["expired"]:
        expired_on = day - timedelta(days=1)
        moved += len(
            transfer(
                session,
                _ago(clock, 10),
                source=demo_data.KIOSK_WAREHOUSE,
                dest=kiosk["code"],
                dest_slot=code,
                product=products[sku].id,
                lot=f"L{expired_on:%Y%m%d}",
                qty=units,
                actor=ACTOR,
                reference=f"DEMO-RESTOCK-{kiosk['code']}-1",
            )
        )
    for code, _sku, _capacity, _par, units in kiosk["slots"]:
        if units:
            moved += len(
                transfer(
                    session,
                    _ago(clock, 2),
                    source=demo_data.KIOSK_WAREHOUSE,
                    dest=kiosk["code"],
                    dest_slot=code,
                    qty=units,
                    actor=ACTOR,
                    reference=f"DEMO-RESTOCK-{kiosk['code']}-2",
                )
            )
    return moved
