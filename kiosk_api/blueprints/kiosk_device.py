"""The kiosk device API of KIOSK_PROTOCOL.md: catalogue, heartbeat, sessions, orders, reports."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import current_app, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from catalogue.models import Region
from core.clock import SHANGHAI
from core.errors import Conflict, NotFound
from devices.models import KioskDevice
from inventory import service as inventory
from inventory.models import Location, Slot
from kiosk_api.auth.device_http import current_kiosk, device_required
from kiosk_api.blueprints.base import Blueprint
from kiosk_api.database import get_clock, get_db, get_session
from kiosk_api.kiosks import service as kiosks
from kiosk_api.payments_ext import get_provider, settle_after_commit
from kiosk_api.schemas import kiosk as schemas
from sales import kiosk as kiosk_sales
from sales.models import Order
from sales.orders import Idempotency, find_by_idempotency, get_order, request_hash
from sales.payment_flow import payment_of, start_payment

device = Blueprint(
    "kiosk_device",
    __name__,
    url_prefix="/api/v1/kiosk",
    description="自助售货柜设备接口 · Kiosk device API (KIOSK_PROTOCOL.md)",
)


def rfc3339(at: Any) -> str | None:
    return at.astimezone(SHANGHAI).isoformat(timespec="seconds") if at else None


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


def _my_order(session: Any, order_id: str, *, lock: bool = False) -> Order:
    """Return the calling kiosk's order; another kiosk's order is 404, as if it did not exist."""
    try:
        order = get_order(session, order_id, lock=lock)
    except NotFound:
        order = None
    if order is None or order.location_id != current_kiosk().location_id:
        raise NotFound("no such order for this kiosk", code="order_not_found")
    return order


def _order_view(session: Any, order: Order) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "status": order.status,
        "total_fen": order.total_fen,
        "lines": _lines(order),
        "refunded_fen": order.refunded_fen,
        "expires_at": rfc3339(order.expires_at),
    }


def _payment_view(session: Any, order: Order) -> dict[str, Any]:
    payment = payment_of(session, order.id)
    if payment is None or payment.provider_ref is None:
        raise Conflict(
            "the payment for this request is still being created; retry shortly", code="request_in_progress"
        )
    return {"provider": payment.provider, "qr_payload": payment.qr_payload}


def catalogue_body(session: Any, kiosk: Location) -> dict[str, Any]:
    """The planogram the kiosk shows: slots, products, prices and what is available now."""
    clock = get_clock()
    available = inventory.slot_availability(session, clock, kiosk.id)
    today = inventory.today(clock)
    slots = session.scalars(select(Slot).where(Slot.location_id == kiosk.id, Slot.active).order_by(Slot.code))
    partner = session.get(Region, kiosk.partner_code)
    return {
        "kiosk": {
            "code": kiosk.code,
            "name": kiosk.name_zh,
            "mode": kiosk.mode,
            "partner": partner.name_zh if partner else None,
            "currency": "CNY",
        },
        "slots": [
            {
                "slot": slot.code,
                "capacity": slot.capacity,
                "available": available.get(slot.code, 0) if slot.product.active else 0,
                "product": {
                    "id": slot.product.id,
                    "sku": slot.product.sku,
                    "name": {"zh": slot.product.name_zh, "en": slot.product.name_en},
                    "spec": slot.product.spec,
                    "price_fen": slot.product.price_fen,
                    "certified": slot.product.is_certified(today),
                    "image_url": absolute_url(slot.product.image_url),
                    "county": {"code": slot.product.county.code, "name": slot.product.county.name_zh},
                    "supplier": slot.product.supplier.name_zh,
                },
            }
            for slot in slots
        ],
    }


def absolute_url(path: str | None) -> str | None:
    """The kiosk's screen is served from the cabinet itself: links to our files must be absolute."""
    if path and path.startswith("/"):
        return current_app.config["PUBLIC_BASE_URL"] + path
    return path


def etag_of(body: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return f'"{digest[:32]}"'


@device.route("/catalogue")
@device_required
@device.response(200, schemas.CatalogueOut)
@device.alt_response(304, description="Not modified (If-None-Match matched the ETag)")
def catalogue() -> Any:
    """The kiosk's planogram with an ETag; If-None-Match with the current tag gives 304."""
    session = get_session()
    body = catalogue_body(session, session.get(Location, current_kiosk().location_id))
    tag = etag_of(body)
    if tag in request.if_none_match or tag.strip('"') in request.if_none_match:
        return "", 304, {"ETag": tag}
    return body, 200, {"ETag": tag}


@device.route("/heartbeat", methods=["POST"])
@device_required
@device.arguments(schemas.HeartbeatIn)
@device.response(200, schemas.HeartbeatOut)
def heartbeat(report: dict[str, Any]) -> Any:
    """Record online status, door, temperature, software version and errors."""
    session = get_session()
    clock = get_clock()
    record = session.get(KioskDevice, current_kiosk().device_id)
    kiosks.record_heartbeat(record, clock, report)
    body = catalogue_body(session, record.location)
    return {"server_time": rfc3339(clock.now()), "catalogue_etag": etag_of(body)}


@device.route("/sessions", methods=["POST"])
@device_required
@device.arguments(schemas.SessionIn)
@device.response(201, schemas.SessionOut)
@device.alt_response(409, schema=None, description="out_of_stock (fields name the slot), or a reused key")
def start_session(body: dict[str, Any]) -> Any:
    """Vend mode: price the chosen slots, hold their stock, create the order and its payment."""
    db, clock, provider, kiosk = get_db(), get_clock(), get_provider(), current_kiosk()
    key = request.headers.get("Idempotency-Key")
    idem = Idempotency(f"kiosk:{kiosk.code}", key, request_hash(body)) if key else None
    with db.unit_of_work() as session:
        existing = find_by_idempotency(session, idem) if idem else None
        if existing is not None:
            return {**_order_view(session, existing), "payment": _payment_view(session, existing)}, 201
    try:
        with db.unit_of_work() as session:
            order, payment = kiosk_sales.start_vend_session(
                session,
                clock,
                kiosk=session.get(Location, kiosk.location_id),
                lines=body["lines"],
                hold_seconds=current_app.config["KIOSK_HOLD_SECONDS"],
                provider=provider.name,
                idempotency=idem,
            )
            session.flush()  # the payment's id is needed after commit
            order_id, payment_id = order.id, payment.id
    except IntegrityError:
        # The same key arrived twice at once: the other request created the order.
        with db.unit_of_work() as session:
            existing = find_by_idempotency(session, idem) if idem else None
            if existing is None:
                raise
            return {**_order_view(session, existing), "payment": _payment_view(session, existing)}, 201
    start_payment(db, clock, provider, payment_id, description=f"dongxi kiosk {kiosk.code}")
    with db.unit_of_work() as session:
        order = get_order(session, order_id)
        return {**_order_view(session, order), "payment": _payment_view(session, order)}, 201


@device.route("/door-sessions", methods=["POST"])
@device_required
@device.arguments(schemas.DoorSessionIn)
@device.response(201, schemas.DoorSessionOut)
def start_door_session(_body: dict[str, Any]) -> Any:
    """Open-door mode: start a visit; the door unlocks once the hold is authorized."""
    db, clock, provider, kiosk = get_db(), get_clock(), get_provider(), current_kiosk()
    with db.unit_of_work() as session:
        order, payment = kiosk_sales.start_door_visit(
            session,
            clock,
            kiosk=session.get(Location, kiosk.location_id),
            hold_fen=current_app.config["OPEN_DOOR_HOLD_FEN"],
            hold_seconds=current_app.config["KIOSK_HOLD_SECONDS"],
            provider=provider.name,
        )
        session.flush()  # the payment's id is needed after commit
        order_id, payment_id = order.id, payment.id
    start_payment(db, clock, provider, payment_id, description=f"dongxi open-door kiosk {kiosk.code}")
    with db.unit_of_work() as session:
        order = get_order(session, order_id)
        return {
            "order_id": order.id,
            "status": order.status,
            "hold_fen": order.hold_fen,
            "expires_at": rfc3339(order.expires_at),
            "payment": _payment_view(session, order),
        }, 201


@device.route("/orders/<string:order_id>")
@device_required
@device.response(200, schemas.KioskOrderOut)
def get_kiosk_order(order_id: str) -> Any:
    """The order's status, which the kiosk polls while the shopper pays."""
    session = get_session()
    order = _my_order(session, order_id)
    if (
        order.status in ("awaiting_payment", "awaiting_authorization")
        and order.expires_at <= get_clock().now()
    ):
        kiosk_sales.cancel_open_order(
            session,
            get_clock(),
            _my_order(session, order_id, lock=True),
            actor=f"kiosk:{current_kiosk().code}",
            expired=True,
        )
    return _order_view(session, order)


@device.route("/orders/<string:order_id>/cancel", methods=["POST"])
@device_required
@device.response(200, schemas.KioskOrderOut)
def cancel_order(order_id: str) -> Any:
    """Cancel while awaiting payment or authorization; releases held stock."""
    db, clock = get_db(), get_clock()
    with db.unit_of_work() as session:
        order = _my_order(session, order_id, lock=True)
        kiosk_sales.cancel_open_order(session, clock, order, actor=f"kiosk:{current_kiosk().code}")
    settle_after_commit(order_id)
    with db.unit_of_work() as session:
        return _order_view(session, _my_order(session, order_id))


@device.route("/orders/<string:order_id>/vend-results", methods=["POST"])
@device_required
@device.arguments(schemas.VendResultsIn)
@device.response(200, schemas.VendResultsOut)
def vend_results(body: dict[str, Any], order_id: str) -> Any:
    """After dispensing: refund at once every unit not dispensed, and restock or write it off."""
    db, clock = get_db(), get_clock()
    with db.unit_of_work() as session:
        order = _my_order(session, order_id, lock=True)
        kiosk_sales.record_vend_results(
            session,
            clock,
            order,
            report_id=body["report_id"],
            results=body["results"],
            actor=f"kiosk:{current_kiosk().code}",
        )
    settle_after_commit(order_id)
    with db.unit_of_work() as session:
        order = _my_order(session, order_id)
        return {"order_id": order.id, "status": order.status, "refunded_fen": order.refunded_fen}


@device.route("/orders/<string:order_id>/door-closed", methods=["POST"])
@device_required
@device.arguments(schemas.DoorClosedIn)
@device.response(200, schemas.DoorClosedOut)
def door_closed(body: dict[str, Any], order_id: str) -> Any:
    """After an open-door visit: sell what left each slot and capture exactly that."""
    db, clock = get_db(), get_clock()
    with db.unit_of_work() as session:
        order = _my_order(session, order_id, lock=True)
        kiosk = session.get(Location, current_kiosk().location_id)
        kiosk_sales.record_door_closed(
            session,
            clock,
            order,
            report_id=body["report_id"],
            taken=body["taken"],
            kiosk=kiosk,
            actor=f"kiosk:{current_kiosk().code}",
        )
    settle_after_commit(order_id)
    with db.unit_of_work() as session:
        order = _my_order(session, order_id)
        return {
            "order_id": order.id,
            "status": order.status,
            "total_fen": order.total_fen,
            "lines": _lines(order),
        }
