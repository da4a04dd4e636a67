"""Organizations, quotas, bulk orders (以购代捐) and certificates of consumption assistance.

Members see and act on their own unit only: another unit's ids answer 404, as if they did not
exist. Operators and admins register units, set quotas, record bank transfers and deliveries;
auditors read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app

from accounts.models import User
from accounts.roles import STAFF_READERS, STAFF_WRITERS
from catalogue.service import today
from core.errors import Conflict, Unauthenticated
from kiosk_api.auth.http import current_user, require_roles
from kiosk_api.auth.service import member_account
from kiosk_api.blueprints.base import Blueprint
from kiosk_api.database import get_clock, get_db, get_session
from kiosk_api.payments_ext import get_provider
from kiosk_api.schemas.orgs import (
    BulkOrderIn,
    BulkOrderOut,
    MarkPaidIn,
    MarkPaidOut,
    MemberIn,
    MemberOut,
    NoteIn,
    OnlinePaymentOut,
    OrgIn,
    OrgOut,
    QuotaIn,
    QuotaOut,
    QuotaProgressOut,
    RejectIn,
    YearQuery,
)
from kiosk_api.storefront.presenters import bulk_view, invoice_pdf, org_view, progress_view
from payments.errors import PaymentProviderError
from payments.models import Payment
from sales import bulk, certificates, org_quota, organizations
from sales.orders import get_order
from sales.org_models import BulkOrder, Organization
from sales.payment_flow import start_payment

F = TypeVar("F", bound=Callable[..., Any])
orgs = Blueprint("orgs", __name__, url_prefix="/api/v1/orgs", description="单位 · Organizations (以购代捐)")
bulk_orders = Blueprint(
    "bulk_orders", __name__, url_prefix="/api/v1/bulk-orders", description="单位采购订单 · Bulk orders"
)
BLUEPRINTS = (orgs, bulk_orders)

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
_MEMBER_DOC = {
    "security": [{"bearerAuth": []}, {"sessionCookie": []}],
    "responses": {
        "401": {"description": "Not signed in, or an unknown token", "content": _ERROR},
        "403": {"description": "The member's role may not do this", "content": _ERROR},
        "404": {"description": "No such unit or order — or not the caller's unit's", "content": _ERROR},
    },
}


def members(view: F) -> F:
    """Document a view open to the unit's members (and, for reads, staff)."""
    return Blueprint.doc(**_MEMBER_DOC)(view)  # type: ignore[return-value]


def _caller() -> User:
    user = current_user()
    if user is None:
        raise Unauthenticated("sign in or send a bearer token")
    return user


def readable_org(session: Any, org_id: int) -> Organization:
    """The unit, if the caller is staff or one of its members; 404 otherwise."""
    user = _caller()
    if user.role not in STAFF_READERS:
        organizations.require_member(session, user.id, org_id)
    return organizations.get_organization(session, org_id)


def readable_bulk(session: Any, order_id: str) -> tuple[Any, BulkOrder]:
    """The bulk order, if the caller is staff or a member of its unit; 404 otherwise."""
    user = _caller()
    if user.role in STAFF_READERS:
        return bulk.get_bulk_order(session, order_id)
    return bulk.bulk_order_for_member(session, order_id, user.id)


def _year(args: dict[str, Any]) -> int:
    return int(args.get("year") or today(get_clock()).year)


def _pdf(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"attachment; filename={filename}", "Cache-Control": "no-store"},
    )


# --- organizations ---------------------------------------------------------------------------


@orgs.route("")
@require_roles(*STAFF_READERS)
@orgs.response(200, OrgOut(many=True))
def list_orgs() -> Any:
    """List the registered units."""
    return [org_view(o) for o in organizations.list_organizations(get_session())]


@orgs.route("", methods=["POST"])
@require_roles(*STAFF_WRITERS)
@orgs.arguments(OrgIn)
@orgs.response(201, OrgOut)
def create_org(data: dict[str, Any]) -> Any:
    """Register a unit with its unified social credit code and city."""
    session = get_session()
    org = organizations.create_organization(session, get_clock(), **data)
    session.flush()  # the answer carries the new id
    return org_view(org)


@orgs.route("/<int:org_id>")
@members
@orgs.response(200, OrgOut)
def read_org(org_id: int) -> Any:
    """Show a unit (its members and staff only)."""
    return org_view(readable_org(get_session(), org_id))


@orgs.route("/<int:org_id>/members", methods=["POST"])
@require_roles(*STAFF_WRITERS)
@orgs.arguments(MemberIn)
@orgs.response(201, MemberOut)
def add_member(data: dict[str, Any], org_id: int) -> Any:
    """Make a user a buyer or approver of the unit (one unit per user)."""
    session = get_session()
    user = member_account(session, data["username"])
    member = organizations.add_member(session, get_clock(), org_id, user_id=user.id, role=data["role"])
    return {"organization_id": org_id, "user_id": user.id, "role": member.role}


@orgs.route("/<int:org_id>/quotas/<int(min=2000, max=2100):year>", methods=["PUT"])
@require_roles(*STAFF_WRITERS)
@orgs.arguments(QuotaIn)
@orgs.response(200, QuotaOut)
def set_quota(data: dict[str, Any], org_id: int, year: int) -> Any:
    """Set a unit's quota for a year: fixed, per member (trade unions) or a budget share (budget units)."""
    quota = organizations.set_quota(get_session(), get_clock(), org_id, year=year, **data)
    return organizations.quota_basis(quota)


@orgs.route("/<int:org_id>/quota")
@members
@orgs.arguments(YearQuery, location="query")
@orgs.response(200, QuotaProgressOut)
def read_quota(args: dict[str, Any], org_id: int) -> Any:
    """A unit's purchases of the year against its quota, by month, county and channel."""
    session = get_session()
    readable_org(session, org_id)
    progress = org_quota.quota_progress(session, org_id, _year(args), today(get_clock()))
    return progress_view(progress)


@orgs.route("/behind-quota")
@require_roles(*STAFF_READERS)
@orgs.arguments(YearQuery, location="query")
@orgs.response(200, QuotaProgressOut(many=True))
def behind_quota(args: dict[str, Any]) -> Any:
    """The units whose purchases are behind their quota's share of the year so far."""
    found = org_quota.units_behind_quota(get_session(), _year(args), today(get_clock()))
    return [progress_view(p) for p in found]


@orgs.route("/<int:org_id>/certificate")
@members
@orgs.arguments(YearQuery, location="query")
@orgs.doc(responses={"200": {"description": "the certificate PDF", "content": _PDF}})
def certificate(args: dict[str, Any], org_id: int) -> Any:
    """The certificate of consumption assistance of a unit's year, as a PDF with a verification QR code."""
    session = get_session()
    readable_org(session, org_id)
    user = _caller()
    issued = certificates.issue_certificate(
        session, get_clock(), org_id, _year(args), actor=f"user:{user.username}"
    )
    base = current_app.config["PUBLIC_BASE_URL"]
    from sales.org_pdf import render_certificate  # reportlab only in the processes that render

    pdf = render_certificate(
        issued.figures,
        verify_url=f"{base}/verify/{issued.content_hash}",
        content_hash=issued.content_hash,
        issued_at=issued.issued_at,
    )
    return _pdf(pdf, f"certificate-{org_id}-{issued.year}.pdf")


# --- bulk orders -----------------------------------------------------------------------------


@orgs.route("/<int:org_id>/bulk-orders", methods=["POST"])
@members
@orgs.arguments(BulkOrderIn)
@orgs.response(201, BulkOrderOut)
def create_bulk_order(data: dict[str, Any], org_id: int) -> Any:
    """A buyer of the unit drafts a bulk order (submitted for approval unless `submit` is false)."""
    session, user = get_session(), _caller()
    order, record = bulk.draft_bulk_order(
        session,
        get_clock(),
        org_id=org_id,
        user_id=user.id,
        lines=[(line["product"], line["qty"]) for line in data["lines"]],
        delivery=bulk.Delivery(**data["delivery"]),
        submit=data["submit"],
    )
    return bulk_view(session, order, record)


@orgs.route("/<int:org_id>/bulk-orders")
@members
@orgs.response(200, BulkOrderOut(many=True))
def list_org_bulk_orders(org_id: int) -> Any:
    """A unit's bulk orders, newest first."""
    session = get_session()
    readable_org(session, org_id)
    return [bulk_view(session, o, b) for o, b in bulk.list_bulk_orders(session, org_id=org_id)]


@bulk_orders.route("")
@require_roles(*STAFF_READERS)
@bulk_orders.response(200, BulkOrderOut(many=True))
def list_all_bulk_orders() -> Any:
    """Every unit's bulk orders, newest first (operators: transfers to record, deliveries to make)."""
    session = get_session()
    return [bulk_view(session, o, b) for o, b in bulk.list_bulk_orders(session)]


@bulk_orders.route("/<string:order_id>")
@members
@bulk_orders.response(200, BulkOrderOut)
def read_bulk_order(order_id: str) -> Any:
    """A bulk order, to its unit's members and staff."""
    session = get_session()
    return bulk_view(session, *readable_bulk(session, order_id))


def _member_action(order_id: str, action: Callable[[Any, int], Any]) -> Any:
    session, user = get_session(), _caller()
    action(session, user.id)
    return bulk_view(session, *bulk.get_bulk_order(session, order_id))


@bulk_orders.route("/<string:order_id>/submit", methods=["POST"])
@members
@bulk_orders.response(200, BulkOrderOut)
def submit(order_id: str) -> Any:
    """A buyer sends a draft for approval."""
    return _member_action(
        order_id, lambda s, uid: bulk.submit_bulk_order(s, get_clock(), order_id, user_id=uid)
    )


@bulk_orders.route("/<string:order_id>/approve", methods=["POST"])
@members
@bulk_orders.arguments(NoteIn)
@bulk_orders.response(200, BulkOrderOut)
def approve(data: dict[str, Any], order_id: str) -> Any:
    """An approver of the same unit approves; the stock is reserved at a warehouse for 7 days."""
    return _member_action(
        order_id,
        lambda s, uid: bulk.approve_bulk_order(s, get_clock(), order_id, user_id=uid, note=data["note"]),
    )


@bulk_orders.route("/<string:order_id>/reject", methods=["POST"])
@members
@bulk_orders.arguments(RejectIn)
@bulk_orders.response(200, BulkOrderOut)
def reject(data: dict[str, Any], order_id: str) -> Any:
    """An approver of the same unit rejects, with a reason."""
    return _member_action(
        order_id,
        lambda s, uid: bulk.reject_bulk_order(s, get_clock(), order_id, user_id=uid, reason=data["reason"]),
    )


@bulk_orders.route("/<string:order_id>/cancel", methods=["POST"])
@members
@bulk_orders.response(200, BulkOrderOut)
def cancel(order_id: str) -> Any:
    """A member cancels an unpaid order; held stock is released."""
    return _member_action(
        order_id, lambda s, uid: bulk.cancel_bulk_order(s, get_clock(), order_id, user_id=uid)
    )


@bulk_orders.route("/<string:order_id>/mark-paid", methods=["POST"])
@require_roles(*STAFF_WRITERS)
@bulk_orders.arguments(MarkPaidIn)
@bulk_orders.response(200, MarkPaidOut)
def mark_paid(data: dict[str, Any], order_id: str) -> Any:
    """Record a bank transfer (reference, amount); transfers add up, and cover the order once paid in full."""
    session, user = get_session(), _caller()
    result = bulk.record_bank_transfer(session, get_clock(), order_id, actor=f"user:{user.username}", **data)
    session.commit()  # a completed transfer cancels open online payments at the provider, after commit
    cancel_online_payments(result.stale_online_payments)
    view = bulk_view(session, *bulk.get_bulk_order(session, order_id))
    return {"recorded": result.recorded, "paid_now": result.paid_now, "order": view}


def cancel_online_payments(payment_ids: list[int]) -> None:
    """Cancel at the provider the online payments a completed bank transfer left open (best effort)."""
    db, provider = get_db(), get_provider()
    for payment_id in payment_ids:
        with db.unit_of_work() as session:
            payment = session.get(Payment, payment_id)
            if payment is None or payment.provider != provider.name or not payment.provider_ref:
                continue
            ref, key = payment.provider_ref, payment.idempotency_key
        try:
            provider.cancel(ref, idempotency_key=f"{key}-cancel")
        except PaymentProviderError as exc:
            current_app.logger.warning("could not cancel payment %s: %s", payment_id, exc)
            continue
        with db.unit_of_work() as session:
            session.get(Payment, payment_id).status = "canceled"


@bulk_orders.route("/<string:order_id>/pay-online", methods=["POST"])
@members
@bulk_orders.response(200, OnlinePaymentOut)
def pay_online(order_id: str) -> Any:
    """A member pays the order online through the configured provider; answers the pay page's link."""
    session, clock, provider, user = get_session(), get_clock(), get_provider(), _caller()
    payment, _created = bulk.online_payment(session, clock, order_id, user_id=user.id, provider=provider.name)
    payment_id, started = payment.id, payment.provider_ref is not None
    session.commit()  # the provider is called outside our transaction
    if not started:
        start_payment(get_db(), clock, provider, payment_id, description="dongxi bulk order")
    session.expire_all()  # start_payment recorded the provider's answer in a unit of work of its own
    order, payment = get_order(session, order_id), session.get(Payment, payment_id)
    base = current_app.config["PUBLIC_BASE_URL"]
    return {
        "provider": provider.name,
        "pay_url": f"{base}/pay/{order.pay_token}",
        "client_secret": payment.client_secret,
    }


@bulk_orders.route("/<string:order_id>/deliver", methods=["POST"])
@require_roles(*STAFF_WRITERS)
@bulk_orders.arguments(NoteIn)
@bulk_orders.response(200, BulkOrderOut)
def deliver(data: dict[str, Any], order_id: str) -> Any:
    """Record that a paid bulk order was delivered."""
    session, user = get_session(), _caller()
    bulk.record_delivery(session, get_clock(), order_id, actor=f"user:{user.username}", note=data["note"])
    return bulk_view(session, *bulk.get_bulk_order(session, order_id))


@bulk_orders.route("/<string:order_id>/invoice")
@members
@bulk_orders.doc(responses={"200": {"description": "the pro-forma invoice PDF", "content": _PDF}})
def invoice(order_id: str) -> Any:
    """The pro-forma invoice of an approved bulk order, as a PDF."""
    session = get_session()
    order, record = readable_bulk(session, order_id)
    if order.status in ("draft", "awaiting_approval", "rejected"):
        raise Conflict("the invoice is issued once the order is approved", code="not_approved")
    return _pdf(invoice_pdf(session, order, record, get_clock().now()), f"invoice-{record.number}.pdf")
