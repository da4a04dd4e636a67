"""Bulk orders and quota progress as dictionaries, for the API schemas, the pages and the invoice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from catalogue.models import Region
from core.labels import ORDER_EVENTS
from core.money import format_fen
from kiosk_api.console.names import actor_names
from sales import bulk
from sales.models import Order
from sales.org_models import ORG_KINDS, BulkOrder, Organization
from sales.org_quota import QuotaProgress

# Where bulk-order transfers go. DEMO values; production sets BULK_PAYEE_NAME/BANK/ACCOUNT.
DEMO_PAYEE = {
    "name": "宁波市东西部协作消费帮扶运营中心（演示）",
    "bank": "中国工商银行宁波分行（演示）",
    "account": "3901 0000 0000 0000 000（演示）",
}


def payee() -> dict[str, str]:
    """The account bulk orders are paid to, from the configuration (demo values by default)."""
    config = current_app.config
    return {key: str(config.get(f"BULK_PAYEE_{key.upper()}") or value) for key, value in DEMO_PAYEE.items()}


def org_view(org: Organization) -> dict[str, Any]:
    _buyer, zh, en = ORG_KINDS[org.kind]
    return {
        "id": org.id,
        "name": {"zh": org.name_zh, "en": org.name_en},
        "kind": org.kind,
        "kind_name": {"zh": zh, "en": en},
        "buyer_kind": org.buyer_kind,
        "credit_code": org.credit_code,
        "city": org.city_code,
        "active": org.active,
    }


def _user_name(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id else None
    return user.display_name if user else None


# The step an order's status change is, when its reason is a person's note (an approver's, a courier's).
STEPS = {
    ("awaiting_approval", "awaiting_payment"): "approved",
    ("awaiting_approval", "rejected"): "rejected",
    ("paid", "fulfilled"): "delivered",
}


def _people(session: Session, actors: list[str]) -> dict[str, str | None]:
    """Each actor's display name, or None when no person did it (a job, a provider, "user:None")."""
    names = actor_names(session, actors)
    return {a: (names[a] if names.get(a, a) != a else None) for a in actors}


def bulk_view(session: Session, order: Order, record: BulkOrder) -> dict[str, Any]:
    """A bulk order with its lines, delivery, invoice, transfers and history."""
    people = _people(session, [e.actor for e in order.events])
    codes = {line.county_code for line in order.lines}
    counties = {r.code: r for r in session.scalars(select(Region).where(Region.code.in_(codes)))}
    figures = bulk.summary(session, order, record)
    return {
        **figures,
        "total": format_fen(order.total_fen),
        "organization": org_view(record.organization),
        "delivery": {
            "contact_name": record.contact_name,
            "phone": record.phone,
            "address": record.delivery_address,
            "invoice_title": record.invoice_title,
            "tax_id": record.tax_id,
            "note": record.note,
        },
        "drafted_by": _user_name(session, record.drafted_by),
        "decided_by": _user_name(session, record.decided_by),
        "decided_at": record.decided_at,
        "decision_note": record.decision_note,
        "delivered_at": record.delivered_at,
        "delivery_note": record.delivery_note,
        "created_at": order.created_at,
        "lines": [
            {
                "product": line.product_id,
                "sku": line.sku,
                "name_zh": line.name_zh,
                "name_en": line.name_en,
                "county": line.county_code,
                "county_zh": counties[line.county_code].name_zh if line.county_code in counties else "",
                "county_en": counties[line.county_code].name_en if line.county_code in counties else "",
                "qty": line.qty,
                "unit_price_fen": line.unit_price_fen,
                "line_total_fen": line.line_total_fen,
            }
            for line in order.lines
        ],
        "receipts": [
            {"reference": r.reference, "amount_fen": r.amount_fen, "at": r.at, "recorded_by": r.recorded_by}
            for r in bulk.receipts(session, order.id)
        ],
        "events": [
            {
                "from": e.from_status,
                "to": e.to_status,
                "at": e.at,
                "actor": e.actor,
                "actor_name": people.get(e.actor),  # None: the system (the page says 系统)
                "reason": e.reason,
                # What happened, as a code of core.labels.ORDER_EVENTS; and a person's note, if any.
                "what": e.reason if e.reason in ORDER_EVENTS else STEPS.get((e.from_status, e.to_status)),
                "note": "" if e.reason in ORDER_EVENTS else e.reason,
            }
            for e in order.events
        ],
    }


def progress_view(progress: QuotaProgress) -> dict[str, Any]:
    """A unit's quota progress for the API."""
    return {
        "organization": org_view(progress.organization),
        "year": progress.year,
        "quota": progress.quota,
        "purchased_fen": progress.purchased_fen,
        "expected_to_date_fen": progress.expected_to_date_fen,
        "shortfall_fen": progress.shortfall_fen,
        "percent": progress.percent,
        "behind": progress.behind,
        "months": progress.months,
        "counties": [
            {"code": c.code, "name": {"zh": c.name_zh, "en": c.name_en}, "amount_fen": c.amount_fen}
            for c in progress.counties
        ],
        "channels": progress.channels,
    }


def invoice_pdf(session: Session, order: Order, record: BulkOrder, at: datetime) -> bytes:
    """The pro-forma invoice PDF of a bulk order."""
    from sales.invoice_pdf import render_invoice

    view = bulk_view(session, order, record)
    return render_invoice(
        view,
        organization={"name_zh": record.organization.name_zh},
        buyer=view["delivery"],
        lines=view["lines"],
        payee=payee(),
        issued_at=at,
    )
