"""Inventory's public use cases, in one place. Each takes the session explicitly and never commits.

sales/ calls the order-facing ones: reserve, reserve_at_first_warehouse, free_at_warehouses,
fulfil_reservations, release_reservations, return_sold, record_taken and slot_availability.
"""

from inventory.alerts import Alert, list_alerts
from inventory.concurrency import call_with_retry, is_contention, run_in_transaction
from inventory.counts import CountResult, count
from inventory.errors import InsufficientStock, OutOfStock, StockBusy
from inventory.fulfilment import (
    catalogue_version_now,
    planogram,
    record_taken,
    return_sold,
    slot_availability,
)
from inventory.locations import (
    add_slot,
    create_location,
    get_location,
    list_locations,
    list_lots,
    location_names,
    set_open_door_hold,
    today,
    update_slot,
)
from inventory.models import Location, Lot, Reservation, Slot, StockBalance, StockMovement
from inventory.picklist import (
    PickList,
    RoutePickList,
    kiosk_pick_list,
    record_restock_visit,
    route_pick_list,
    visit_reference,
)
from inventory.queries import list_balances, list_movements, list_reservations
from inventory.reservations import (
    expire_reservations,
    fulfil_reservations,
    release_reservations,
    reserve,
    reserve_slots,
)
from inventory.stock import receive, transfer, write_off
from inventory.visits import VisitSheet, routes_today, visit_movements, visit_sheet
from inventory.warehouse_holds import free_at_warehouses, reserve_at_first_warehouse

__all__ = [
    "Alert",
    "CountResult",
    "InsufficientStock",
    "Location",
    "Lot",
    "OutOfStock",
    "PickList",
    "Reservation",
    "RoutePickList",
    "Slot",
    "StockBalance",
    "StockBusy",
    "StockMovement",
    "VisitSheet",
    "add_slot",
    "call_with_retry",
    "catalogue_version_now",
    "count",
    "create_location",
    "expire_reservations",
    "free_at_warehouses",
    "fulfil_reservations",
    "get_location",
    "is_contention",
    "kiosk_pick_list",
    "list_alerts",
    "list_balances",
    "list_locations",
    "list_lots",
    "list_movements",
    "list_reservations",
    "location_names",
    "planogram",
    "receive",
    "record_restock_visit",
    "record_taken",
    "release_reservations",
    "reserve",
    "reserve_at_first_warehouse",
    "reserve_slots",
    "return_sold",
    "route_pick_list",
    "routes_today",
    "run_in_transaction",
    "set_open_door_hold",
    "slot_availability",
    "today",
    "transfer",
    "update_slot",
    "visit_movements",
    "visit_reference",
    "visit_sheet",
    "write_off",
]
