"""The kiosk device API of KIOSK_PROTOCOL.md: catalogue, heartbeat, sessions, orders, reports.

Each view parses, calls one service with the request's unit of work (the device's authentication
is already in it) and renders: one transaction per request, the provider called after it commits.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request

from catalogue.categories import CATEGORIES
from core.clock import SHANGHAI
from inventory import service as inventory
from kiosk_api.auth.device_http import current_kiosk, device_required
from kiosk_api.blueprints.base import Blueprint
from kiosk_api.database import get_clock, get_session, request_unit_of_work
from kiosk_api.kiosks import service as kiosks
from kiosk_api.payments_ext import get_provider
from kiosk_api.schemas import kiosk as schemas
from sales import checkout
from sales.kiosk import Cabinet
from sales.models import Order
from sales.orders import Idempotency, request_hash
from sales.payment_flow import deposit_returned, is_deposit

device = Blueprint(
    "kiosk_device",
    __name__,
    url_prefix="/api/v1/kiosk",
    description="自助售货柜设备接口 · Kiosk device API (KIOSK_PROTOCOL.md)",
)

# Bumped when the catalogue body's shape changes, so that no kiosk keeps a body of the old shape
# (2: English names and categories; a vending slot holding expired units shows available 0 and
# `blocked`).
CATALOGUE_FORMAT = 2


def rfc3339(at: Any) -> str | None:
    return at.astimezone(SHANGHAI).isoformat(timespec="seconds") if at else None


def _cabinet() -> Cabinet:
    k = current_kiosk()
    return Cabinet(
        location_id=k.location_id,
        code=k.code,
        mode=k.mode,
        partner_code=k.partner_code,
        open_door_hold_fen=k.open_door_hold_fen,
    )


def _lines(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "slot": line.slot_code,
            "sku": line.sku,
            "name": {"zh": line.name_zh, "en": line.name_en},
            "qty": line.qty,
            "unit_price_fen": line.unit_price_fen,
            "line_total_fen": line.line_total_fen,
        }
        for line in order.lines
    ]


def _order_view(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "status": order.status,
        "total_fen": order.total_fen,
        "lines": _lines(order),
        "refunded_fen": order.refunded_fen,
        "expires_at": rfc3339(order.expires_at),
    }


def _payment_view(payment: Any) -> dict[str, Any]:
    return {"provider": payment.provider, "qr_payload": payment.qr_payload}


def absolute_url(path: str | None) -> str | None:
    """The kiosk's screen is served from the cabinet itself: links to our files must be absolute."""
    if path and path.startswith("/"):
        return current_app.config["PUBLIC_BASE_URL"] + path
    return path


def category_names(code: str) -> dict[str, str]:
    """{"zh", "en"} of a category code (the code itself if unknown)."""
    zh, en = CATEGORIES.get(code, (code, code))
    return {"zh": zh, "en": en}


def catalogue_etag(session: Any, location_id: int) -> str:
    """The kiosk's catalogue tag: its stored version and the day (certification and expiry turn with it)."""
    day = inventory.today(get_clock())
    version = inventory.catalogue_version_now(session, get_clock(), location_id)  # lapsed holds go first
    return f'"c{CATALOGUE_FORMAT}-{location_id}-{version}-{day:%Y%m%d}"'


def catalogue_body(session: Any, kiosk: Cabinet) -> dict[str, Any]:
    """The planogram the kiosk shows: slots, products, prices and what is available now (after
    `catalogue_etag`, which released the kiosk's lapsed holds)."""
    clock = get_clock()
    today = inventory.today(clock)
    names = inventory.location_names(session, kiosk.location_id)
    return {
        "kiosk": {
            "code": kiosk.code,
            "name": names.name_zh,
            "name_en": names.name_en,
            "mode": kiosk.mode,
            "partner": names.partner_zh,
            "partner_en": names.partner_en,
            "currency": "CNY",
        },
        "slots": [
            {
                "slot": slot.code,
                "capacity": slot.capacity,
                "available": stock.available,
                **({"blocked": stock.blocked} if stock.blocked else {}),
                "product": {
                    "id": slot.product.id,
                    "sku": slot.product.sku,
                    "name": {"zh": slot.product.name_zh, "en": slot.product.name_en},
                    "spec": slot.product.spec,
                    "price_fen": slot.product.price_fen,
                    "certified": slot.product.is_certified(today),
                    "image_url": absolute_url(slot.product.image_url),
                    "county": {
                        "code": slot.product.county.code,
                        "name": slot.product.county.name_zh,
                        "name_en": slot.product.county.name_en,
                    },
                    "supplier": slot.product.supplier.name_zh,
                    "category": slot.product.category,
                    "category_name": category_names(slot.product.category),
                },
            }
            for slot, stock in inventory.planogram(session, clock, kiosk.location_id, holds_expired=True)
        ],
    }


@device.route("/catalogue")
@device_required
@device.response(200, schemas.CatalogueOut)
@device.alt_response(304, description="Not modified (If-None-Match matched the ETag)")
def catalogue() -> Any:
    """The kiosk's planogram with an ETag; If-None-Match with the current tag gives 304."""
    session, kiosk = get_session(), _cabinet()
    tag = catalogue_etag(session, kiosk.location_id)
    if tag in request.if_none_match or tag.strip('"') in request.if_none_match:
        # A Response of its own: flask-smorest passes it through instead of dumping an empty body.
        return Response(status=304, headers={"ETag": tag})
    return catalogue_body(session, kiosk), 200, {"ETag": tag}


@device.route("/heartbeat", methods=["POST"])
@device_required
@device.arguments(schemas.HeartbeatIn)
@device.response(200, schemas.HeartbeatOut)
def heartbeat(report: dict[str, Any]) -> Any:
    """Record online status, door, temperature, software version and errors."""
    session, clock, kiosk = get_session(), get_clock(), current_kiosk()
    kiosks.record_heartbeat(session, clock, kiosk.device_id, report)
    return {"server_time": rfc3339(clock.now()), "catalogue_etag": catalogue_etag(session, kiosk.location_id)}


@device.route("/sessions", methods=["POST"])
@device_required
@device.arguments(schemas.SessionIn)
@device.response(201, schemas.SessionOut)
@device.alt_response(409, schema=None, description="out_of_stock (fields name the slot), or a reused key")
def start_session(body: dict[str, Any]) -> Any:
    """Vend mode: price the chosen slots, hold their stock, create the order and its payment."""
    kiosk = _cabinet()
    key = request.headers.get("Idempotency-Key")
    order, payment = checkout.start_vend_session(
        request_unit_of_work(),
        get_clock(),
        get_provider(),
        kiosk=kiosk,
        lines=body["lines"],
        hold_seconds=current_app.config["KIOSK_HOLD_SECONDS"],
        idempotency=Idempotency(f"kiosk:{kiosk.code}", key, request_hash(body)) if key else None,
    )
    return {**_order_view(order), "payment": _payment_view(payment)}, 201


@device.route("/door-sessions", methods=["POST"])
@device_required
@device.arguments(schemas.DoorSessionIn)
@device.response(201, schemas.DoorSessionOut)
def start_door_session(_body: dict[str, Any]) -> Any:
    """Open-door mode: start a visit; the door unlocks once the hold is authorized."""
    kiosk = _cabinet()
    order, payment = checkout.start_door_visit(
        request_unit_of_work(),
        get_clock(),
        get_provider(),
        kiosk=kiosk,
        hold_fen=kiosk.open_door_hold_fen or current_app.config["OPEN_DOOR_HOLD_FEN"],
        hold_seconds=current_app.config["KIOSK_HOLD_SECONDS"],
    )
    return {
        "order_id": order.id,
        "status": order.status,
        "hold_fen": order.hold_fen,
        "deposit": is_deposit(order),
        "expires_at": rfc3339(order.expires_at),
        "payment": _payment_view(payment),
    }, 201


@device.route("/orders/<string:order_id>")
@device_required
@device.response(200, schemas.KioskOrderOut)
def get_kiosk_order(order_id: str) -> Any:
    """The order's status, which the kiosk polls while the shopper pays."""
    order = checkout.poll_order(request_unit_of_work(), get_clock(), get_provider(), _cabinet(), order_id)
    return _order_view(order)


@device.route("/orders/<string:order_id>/cancel", methods=["POST"])
@device_required
@device.response(200, schemas.KioskOrderOut)
def cancel_order(order_id: str) -> Any:
    """Cancel while awaiting payment or authorization; releases held stock."""
    order = checkout.cancel_order(request_unit_of_work(), get_clock(), get_provider(), _cabinet(), order_id)
    return _order_view(order)


@device.route("/orders/<string:order_id>/vend-results", methods=["POST"])
@device_required
@device.arguments(schemas.VendResultsIn)
@device.response(200, schemas.VendResultsOut)
def vend_results(body: dict[str, Any], order_id: str) -> Any:
    """After dispensing: refund at once every unit not dispensed, and restock or write it off."""
    order = checkout.report_vend_results(
        request_unit_of_work(),
        get_clock(),
        get_provider(),
        _cabinet(),
        order_id,
        report_id=body["report_id"],
        results=body["results"],
    )
    return {"order_id": order.id, "status": order.status, "refunded_fen": order.refunded_fen}


@device.route("/orders/<string:order_id>/door-closed", methods=["POST"])
@device_required
@device.arguments(schemas.DoorClosedIn)
@device.response(200, schemas.DoorClosedOut)
def door_closed(body: dict[str, Any], order_id: str) -> Any:
    """After an open-door visit: sell what left each slot and capture exactly that."""
    order = checkout.report_door_closed(
        request_unit_of_work(),
        get_clock(),
        get_provider(),
        _cabinet(),
        order_id,
        report_id=body["report_id"],
        taken=body["taken"],
    )
    return {
        "order_id": order.id,
        "status": order.status,
        "total_fen": order.total_fen,
        "refunded_fen": deposit_returned(order),
        "lines": _lines(order),
    }
