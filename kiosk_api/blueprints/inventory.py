"""Inventory endpoints: locations and slots, receipts, transfers, write-offs, counts, balances, the
ledger, holds, pick lists, restock visits and alerts. Writes retry when they lose a database race."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from flask import request

from accounts.roles import INVENTORY_EDITORS, INVENTORY_READERS, PICK_LIST_READERS, RESTOCK_RECORDERS
from inventory import service
from inventory.models import StockBalance
from kiosk_api.auth.http import current_user, require_roles
from kiosk_api.blueprints.base import Blueprint
from kiosk_api.database import get_clock, get_session
from kiosk_api.kiosks.service import kiosk_alerts
from kiosk_api.schemas import inventory as s
from sales.kiosk import uncollected_alerts
from sales.refunds import failed_refund_alerts

inventory = Blueprint(
    "inventory", __name__, url_prefix="/api/v1/inventory", description="库存 · Inventory and stock ledger"
)
kiosks = Blueprint("kiosks", __name__, url_prefix="/api/v1/kiosks", description="补货 · Kiosk restocking")
routes = Blueprint("routes", __name__, url_prefix="/api/v1/routes", description="补货路线 · Restock routes")
alerts = Blueprint("alerts", __name__, url_prefix="/api/v1/alerts", description="预警 · Stock alerts")
BLUEPRINTS = (inventory, kiosks, routes, alerts)

F = TypeVar("F", bound=Callable[..., Any])


def retried(view: F) -> F:
    """Run the view again, on a rolled-back session, when the database reports a lost race."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return service.call_with_retry(lambda: view(*args, **kwargs), get_session().rollback)

    return wrapper  # type: ignore[return-value]


def _actor() -> str:
    user = current_user()
    assert user is not None  # the role check ran first
    return user.username


def _balance_view(balance: StockBalance, day: date) -> dict[str, Any]:
    return {
        "location": balance.location.code,
        "slot": balance.slot.code if balance.slot else None,
        "product": balance.product,
        "lot": balance.lot.code,
        "expires_on": balance.lot.expires_on,
        "expired": balance.lot.is_expired(day),
        "on_hand": balance.on_hand,
        "reserved": balance.reserved,
        "available": balance.available,
    }


def _flushed(result: Any) -> Any:
    get_session().flush()  # the response needs the new rows' ids
    return result


# --- locations, slots and lots ---


@inventory.route("/locations")
@require_roles(*INVENTORY_READERS)
@inventory.arguments(s.LocationQuery, location="query")
@inventory.response(200, s.LocationOut(many=True))
def list_locations(args: dict[str, Any]) -> Any:
    """List warehouses, shops and kiosks (with their slots)."""
    return service.list_locations(get_session(), **args)


@inventory.route("/locations", methods=["POST"])
@require_roles(*INVENTORY_EDITORS)
@inventory.arguments(s.LocationIn)
@inventory.response(201, s.LocationOut)
@retried
def create_location(data: dict[str, Any]) -> Any:
    """Add a warehouse, shop or kiosk."""
    return _flushed(service.create_location(get_session(), get_clock(), **data))


@inventory.route("/locations/<string:code>")
@require_roles(*INVENTORY_READERS)
@inventory.response(200, s.LocationOut)
def get_location(code: str) -> Any:
    """Show a location and its slots."""
    return service.get_location(get_session(), code)


@inventory.route("/locations/<string:code>", methods=["PATCH"])
@require_roles(*INVENTORY_EDITORS)
@inventory.arguments(s.LocationPatch)
@inventory.response(200, s.LocationOut)
@retried
def update_location(data: dict[str, Any], code: str) -> Any:
    """Change a location's settings: an open-door kiosk's hold per visit."""
    return service.set_open_door_hold(get_session(), code, data["open_door_hold_fen"])


@inventory.route("/locations/<string:code>/slots", methods=["POST"])
@require_roles(*INVENTORY_EDITORS)
@inventory.arguments(s.SlotIn)
@inventory.response(201, s.SlotOut)
@retried
def add_slot(data: dict[str, Any], code: str) -> Any:
    """Add a slot to a kiosk: its product, capacity and par level."""
    return _flushed(service.add_slot(get_session(), code, **data))


@inventory.route("/locations/<string:code>/slots/<string:slot>", methods=["PATCH"])
@require_roles(*INVENTORY_EDITORS)
@inventory.arguments(s.SlotPatch)
@inventory.response(200, s.SlotOut)
@retried
def update_slot(changes: dict[str, Any], code: str, slot: str) -> Any:
    """Change a slot's product (only when empty), capacity, par level or use."""
    return _flushed(service.update_slot(get_session(), code, slot, changes))


@inventory.route("/lots")
@require_roles(*INVENTORY_READERS)
@inventory.arguments(s.LotQuery, location="query")
@inventory.response(200, s.LotOut(many=True))
def list_lots(args: dict[str, Any]) -> Any:
    """List lots and their expiry dates, earliest expiry first."""
    return service.list_lots(get_session(), **args)


# --- stock movements ---


@inventory.route("/receipts", methods=["POST"])
@require_roles(*INVENTORY_EDITORS)
@inventory.arguments(s.ReceiptIn)
@inventory.response(201, s.MovementOut)
@retried
def create_receipt(data: dict[str, Any]) -> Any:
    """Receive goods of one lot into a warehouse or shop (a new lot needs its expiry date)."""
    return _flushed(service.receive(get_session(), get_clock(), actor=_actor(), **data))


@inventory.route("/transfers", methods=["POST"])
@require_roles(*INVENTORY_EDITORS)
@inventory.arguments(s.TransferIn)
@inventory.response(201, s.MovementOut(many=True))
@retried
def create_transfer(data: dict[str, Any]) -> Any:
    """Move goods between locations or slots: the named lot, else unexpired lots earliest first."""
    return _flushed(service.transfer(get_session(), get_clock(), actor=_actor(), **data))


@inventory.route("/writeoffs", methods=["POST"])
@require_roles(*INVENTORY_EDITORS)
@inventory.arguments(s.WriteoffIn)
@inventory.response(201, s.MovementOut(many=True))
@retried
def create_writeoff(data: dict[str, Any]) -> Any:
    """Write goods off (expired, damaged, lost, recalled…)."""
    return _flushed(service.write_off(get_session(), get_clock(), actor=_actor(), **data))


@inventory.route("/counts", methods=["POST"])
@require_roles(*RESTOCK_RECORDERS)
@inventory.arguments(s.CountIn)
@inventory.response(201, s.CountOut)
@retried
def create_count(data: dict[str, Any]) -> Any:
    """Record a stock count (盘点); the difference is written as count movements."""
    result = service.count(get_session(), get_clock(), actor=_actor(), **data)
    get_session().flush()  # the response needs the movements' ids
    return {
        "previous": result.previous,
        "counted": result.counted,
        "difference": result.counted - result.previous,
        "movements": result.movements,
    }


# --- reading stock ---


@inventory.route("/balances")
@require_roles(*INVENTORY_READERS)
@inventory.arguments(s.BalanceQuery, location="query")
@inventory.response(200, s.BalanceOut(many=True))
@retried
def list_balances(args: dict[str, Any]) -> Any:
    """Stock per location, slot, product and lot: on hand, held and available (lapsed holds released)."""
    clock = get_clock()
    day = service.today(clock)
    return [_balance_view(b, day) for b in service.list_balances(get_session(), clock, **args)]


@inventory.route("/movements")
@require_roles(*INVENTORY_READERS)
@inventory.arguments(s.MovementQuery, location="query")
@inventory.response(200, s.MovementPage)
def list_movements(args: dict[str, Any]) -> Any:
    """Page through the append-only stock ledger in the order it was written."""
    page, per_page = args.pop("page"), args.pop("per_page")
    items, total = service.list_movements(get_session(), limit=per_page, offset=(page - 1) * per_page, **args)
    return {"items": items, "total": total, "page": page, "per_page": per_page}


@inventory.route("/reservations")
@require_roles(*INVENTORY_READERS)
@inventory.arguments(s.ReservationQuery, location="query")
@inventory.response(200, s.ReservationOut(many=True))
@retried
def list_reservations(args: dict[str, Any]) -> Any:
    """List holds on stock for orders awaiting payment (lapsed ones are released first)."""
    return service.list_reservations(get_session(), get_clock(), **args)


# --- restocking and alerts ---


@kiosks.route("/<string:code>/pick-list")
@require_roles(*PICK_LIST_READERS)
@kiosks.response(200, s.PickListOut)
@retried
def kiosk_pick_list(code: str) -> Any:
    """What to bring to a kiosk (to par, FEFO lots from its warehouse) and what expired to take out."""
    return service.kiosk_pick_list(get_session(), get_clock(), code)


@kiosks.route("/<string:code>/restock-visits", methods=["POST"])
@require_roles(*RESTOCK_RECORDERS)
@kiosks.arguments(s.RestockVisitIn)
@kiosks.response(201, s.RestockVisitOut)
@retried
def record_restock_visit(data: dict[str, Any], code: str) -> Any:
    """Record a restock visit in one go: removals written off, lots moved in from the warehouse.
    A repeat with the same Idempotency-Key answers the visit first recorded and writes nothing."""
    key = request.headers.get("Idempotency-Key")
    reference, movements = service.record_restock_visit(
        get_session(), get_clock(), kiosk=code, actor=_actor(), idempotency_key=key, **data
    )
    return _flushed({"reference": reference, "movements": movements})


@routes.route("/<string:route>/pick-list")
@require_roles(*PICK_LIST_READERS)
@routes.response(200, s.RoutePickListOut)
@retried
def route_pick_list(route: str) -> Any:
    """Pick lists for every kiosk of a route, and the lots to load; no unit is promised twice."""
    pick = service.route_pick_list(get_session(), get_clock(), route)
    load = [
        {
            "warehouse": w.code,
            "product": p,
            "lot": lq.lot.code,
            "expires_on": lq.lot.expires_on,
            "qty": lq.qty,
        }
        for w, p, lq in pick.load
    ]
    return {"route": pick.route, "generated_at": pick.generated_at, "load": load, "kiosks": pick.kiosks}


@alerts.route("")
@require_roles(*INVENTORY_READERS)
@alerts.arguments(s.AlertQuery, location="query")
@alerts.response(200, s.AlertOut(many=True))
@retried
def list_alerts(args: dict[str, Any]) -> Any:
    """Low or empty slots, expiring lots, expired goods, unrecorded takes, kiosks offline or left open."""
    session, clock = get_session(), get_clock()
    money = failed_refund_alerts(session) + uncollected_alerts(
        session, clock, within_days=args.get("within_days", 7)
    )
    return kiosk_alerts(session, clock) + money + service.list_alerts(session, clock, **args)
