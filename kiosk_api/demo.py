"""`dongxi demo load`: the demo catalogue and one demo account per role."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.roles import ROLES
from catalogue.demo import Progress, load_demo_catalogue
from catalogue.models import Supplier
from core.clock import Clock
from inventory.demo import load_demo_inventory
from kiosk_api.auth.service import create_user
from kiosk_api.storefront.demo import load_demo_organizations

# Demo accounts only: `make run` prints them. A production database never runs `demo load`.
DEMO_PASSWORD_SUFFIX = "-demo-2026"


def demo_password(role: str) -> str:
    return f"{role}{DEMO_PASSWORD_SUFFIX}"


def load_demo(session: Session, clock: Clock, progress: Progress = lambda _msg: None) -> dict[str, int]:
    """Load every part of the demo that is missing."""
    added = load_demo_catalogue(session, clock, progress)
    added.update(load_demo_inventory(session, clock, progress))
    added["users"] = 0
    for role, (zh, _en) in ROLES.items():
        username = f"demo-{role}".replace("_", "-")
        if session.scalar(select(User.id).where(User.username == username)) is None:
            create_user(
                session,
                clock,
                username=username,
                role=role,
                password=demo_password(role),
                display_name=f"{zh}（演示）",
            )
            added["users"] += 1
    _link_demo_accounts(session)
    progress(f"users: {added['users']} added")
    added.update(load_demo_organizations(session, clock))  # after the users: demo buyers join a unit
    progress(f"organizations: {added['organizations']} added")
    return added


def demo_accounts() -> list[tuple[str, str, str]]:
    """Return (username, password, role) of every demo account."""
    return [(f"demo-{role}".replace("_", "-"), demo_password(role), role) for role in ROLES]


# The demo supplier account reads the statements of the Xiji potato cooperative, the demo county
# account those of Xiji county (640422): both real demo rows, so their pages are not empty.
DEMO_SUPPLIER_CREDIT_PREFIX = "93640422"
DEMO_COUNTY = "640422"


def _link_demo_accounts(session: Session) -> None:
    supplier_user = session.scalar(select(User).where(User.username == "demo-supplier"))
    if supplier_user is not None and supplier_user.supplier_id is None:
        supplier_user.supplier_id = session.scalar(
            select(Supplier.id)
            .where(Supplier.credit_code.startswith(DEMO_SUPPLIER_CREDIT_PREFIX))
            .order_by(Supplier.id)
        )
    county_user = session.scalar(select(User).where(User.username == "demo-county"))
    if county_user is not None and county_user.county_code is None:
        county_user.county_code = DEMO_COUNTY
