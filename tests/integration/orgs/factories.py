"""Factories for organization tests: the demo unit, a second unit with its own members, bulk orders."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from catalogue.models import Product
from catalogue.validators import credit_code_check_char
from core.clock import Clock
from kiosk_api.auth.service import create_token, create_user
from kiosk_api.storefront.demo import load_demo_organizations
from sales import bulk
from sales.models import Order
from sales.org_models import BulkOrder, Organization
from sales.organizations import add_member, create_organization

DEMO_ORG_CODE = "11330200MB0A12345G"
TAX_ID = DEMO_ORG_CODE


@dataclass
class Unit:
    org: Organization
    buyer: User
    approver: User


def credit_code(first17: str) -> str:
    """A valid unified social credit code from its first 17 characters."""
    return first17 + credit_code_check_char(first17)


def user_named(session: Session, username: str) -> User:
    return session.scalar(select(User).where(User.username == username))


def demo_unit(session: Session, clock: Clock) -> Unit:
    """The demo government office, with demo-org-buyer and demo-org-approver as its members."""
    load_demo_organizations(session, clock)
    org = session.scalar(select(Organization).where(Organization.credit_code == DEMO_ORG_CODE))
    return Unit(org, user_named(session, "demo-org-buyer"), user_named(session, "demo-org-approver"))


def other_unit(session: Session, clock: Clock, suffix: str = "b") -> Unit:
    """A second unit (an enterprise in Suzhou) with a buyer and an approver of its own."""
    org = create_organization(
        session,
        clock,
        name_zh=f"苏州某企业（测试{suffix}）",
        kind="enterprise",
        credit_code=credit_code(f"91320500MA0TQ{ord(suffix):04d}"),
        city="320500",
    )
    session.flush()
    people = []
    for role in ("buyer", "approver"):
        user = create_user(
            session,
            clock,
            username=f"suzhou-{role}-{suffix}",
            role=f"org_{role}",
            password="a-long-password-1",
        )
        session.flush()
        add_member(session, clock, org.id, user_id=user.id, role=role)
        people.append(user)
    session.flush()
    return Unit(org, *people)


def token(session: Session, clock: Clock, user: User) -> dict[str, str]:
    """Authorization headers for a user."""
    return {"Authorization": f"Bearer {create_token(session, clock, user.username, 'tests')}"}


def product(session: Session, sku: str) -> Product:
    return session.scalar(select(Product).where(Product.sku == sku))


def delivery(tax_id: str = TAX_ID) -> bulk.Delivery:
    return bulk.Delivery(
        contact_name="王科长",
        phone="0574-87000000",
        address="宁波市鄞州区某路 1 号",
        invoice_title="宁波市某区机关事务管理局",
        tax_id=tax_id,
    )


def drafted_order(
    session: Session, clock: Clock, unit: Unit, lines: list[tuple[int, int]], tax_id: str = TAX_ID
) -> tuple[Order, BulkOrder]:
    """A bulk order of (product id, qty) lines, drafted and submitted by the unit's buyer."""
    return bulk.draft_bulk_order(
        session, clock, org_id=unit.org.id, user_id=unit.buyer.id, lines=lines, delivery=delivery(tax_id)
    )


def approved_order(session: Session, clock: Clock, unit: Unit, lines: list[tuple[str, int]]):  # type: ignore[no-untyped-def]
    """A bulk order of the unit, drafted, submitted and approved (stock held)."""
    ids = [(product(session, sku).id, qty) for sku, qty in lines]
    order, record = drafted_order(session, clock, unit, ids, tax_id=unit.org.credit_code)
    bulk.approve_bulk_order(session, clock, order.id, user_id=unit.approver.id)
    session.flush()
    return order, record
