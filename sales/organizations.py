"""Organizations (单位): registration, members with buyer and approver roles, and annual quotas.

A user belongs to at most one unit. Signed-in members' own storefront purchases carry the unit's id
and buyer kind into the revenue ledger (see `unit_of_member`, used by sales.storefront), as bulk
orders do. Quotas are one of three kinds:

- fixed: an amount for the year;
- per_member (trade unions): members × an amount per member;
- budget_share (budget units: offices, institutions, schools, hospitals): a share in basis points
  of the declared canteen food budget, rounded once, by core.money.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalogue.models import Region
from catalogue.validators import is_valid_credit_code
from core.clock import Clock
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.money import Money
from sales.org_models import (
    MEMBER_ROLES,
    ORG_KINDS,
    QUOTA_KINDS,
    Organization,
    OrganizationMember,
    OrganizationQuota,
)

BUDGET_UNIT_KINDS = ("government_office", "public_institution", "school", "hospital")
QUOTA_INPUTS: dict[str, tuple[str, ...]] = {
    "fixed": ("fixed_fen",),
    "per_member": ("members", "per_member_fen"),
    "budget_share": ("budget_fen", "share_bp"),
}


class OrganizationNotFound(NotFound):
    code = "organization_not_found"


class NotAMember(NotFound):
    """The caller is no member of that unit: to them it does not exist."""

    code = "organization_not_found"


def kind_names(kind: str) -> tuple[str, str]:
    """Return the Chinese and English names of an organization kind."""
    _buyer, zh, en = ORG_KINDS[kind]
    return zh, en


def _check_unit(session: Session, kind: str, credit_code: str, city: str, org_id: int | None = None) -> None:
    """The rules of a unit's kind, credit code (valid, not another unit's) and city (a known region)."""
    if kind not in ORG_KINDS:
        raise InvalidInput(
            f"unknown organization kind {kind}", fields={"kind": f"one of {', '.join(ORG_KINDS)}"}
        )
    if not is_valid_credit_code(credit_code):
        raise InvalidInput(
            "the unified social credit code is not valid",
            code="invalid_credit_code",
            fields={"credit_code": "not a valid unified social credit code (check character)"},
        )
    holder = session.scalar(select(Organization.id).where(Organization.credit_code == credit_code))
    if holder is not None and holder != org_id:
        raise Conflict(
            "a unit with this credit code exists", code="duplicate", fields={"credit_code": "taken"}
        )
    if session.get(Region, city) is None:
        raise InvalidInput(f"unknown region {city}", code="unknown_region", fields={"city": "unknown region"})


def create_organization(
    session: Session,
    clock: Clock,
    *,
    name_zh: str,
    kind: str,
    credit_code: str,
    city: str,
    name_en: str = "",
) -> Organization:
    """Register a unit with its unified social credit code and city."""
    _check_unit(session, kind, credit_code, city)
    org = Organization(
        name_zh=name_zh,
        name_en=name_en,
        kind=kind,
        credit_code=credit_code,
        city_code=city,
        created_at=clock.now(),
    )
    session.add(org)
    return org


def update_organization(
    session: Session,
    org_id: int,
    *,
    name_zh: str,
    kind: str,
    credit_code: str,
    city: str,
    name_en: str = "",
) -> Organization:
    """Change a unit's names, kind, credit code or city (the rules of registration apply).

    Its past revenue entries keep the buyer kind and partner they were written with."""
    org = get_organization(session, org_id)
    _check_unit(session, kind, credit_code, city, org_id=org_id)
    if kind != org.kind:
        for quota in org.quotas:
            _require_quota_fits(quota.kind, kind)
    org.name_zh, org.name_en, org.kind, org.credit_code, org.city_code = (
        name_zh,
        name_en,
        kind,
        credit_code,
        city,
    )
    return org


def get_organization(session: Session, org_id: int) -> Organization:
    """Return a unit by id."""
    org = session.get(Organization, org_id)
    if org is None:
        raise OrganizationNotFound(f"no organization {org_id}")
    return org


def list_organizations(session: Session) -> list[Organization]:
    """List every unit with its quotas."""
    return list(
        session.scalars(
            select(Organization).options(selectinload(Organization.quotas)).order_by(Organization.id)
        )
    )


def add_member(session: Session, clock: Clock, org_id: int, *, user_id: int, role: str) -> OrganizationMember:
    """Make a user a buyer or approver of a unit (a user belongs to one unit at most)."""
    get_organization(session, org_id)
    if role not in MEMBER_ROLES:
        raise InvalidInput(f"unknown member role {role}", fields={"role": "buyer or approver"})
    existing = membership(session, user_id)
    if existing is not None:
        if existing.organization_id == org_id and existing.role == role:
            return existing
        raise Conflict(
            "the user is already a member of a unit",
            code="already_member",
            fields={"user": "already a member"},
        )
    member = OrganizationMember(organization_id=org_id, user_id=user_id, role=role, created_at=clock.now())
    session.add(member)
    return member


def remove_member(session: Session, org_id: int, user_id: int) -> None:
    """End a user's membership of a unit; their past purchases keep counting toward it."""
    member = membership(session, user_id)
    if member is None or member.organization_id != org_id:
        raise NotFound(
            "the user is no member of this unit", code="member_not_found", fields={"user": "not a member"}
        )
    session.delete(member)


def membership(session: Session, user_id: int) -> OrganizationMember | None:
    """Return the user's membership, if any."""
    return session.scalar(select(OrganizationMember).where(OrganizationMember.user_id == user_id))


def unit_of_member(session: Session, user_id: int) -> Organization | None:
    """Return the active unit a user's purchases count toward, or None."""
    member = membership(session, user_id)
    if member is None or not member.organization.active:
        return None
    return member.organization


def partner_of(org: Organization) -> str:
    """The eastern partner a unit's purchases are credited to: the city (or district) it sits in.

    Its effort made the sale, whichever warehouse ships the goods."""
    return org.city_code


def require_member(
    session: Session, user_id: int, org_id: int, roles: tuple[str, ...] = MEMBER_ROLES
) -> OrganizationMember:
    """Return the user's membership of this unit; another unit's member learns nothing (404)."""
    member = membership(session, user_id)
    if member is None or member.organization_id != org_id:
        raise NotAMember("no such organization")
    if member.role not in roles:
        raise PermissionDenied(f"a {member.role} of this unit may not do this", code="forbidden")
    return member


# --- quotas ------------------------------------------------------------------------------------


def set_quota(
    session: Session, clock: Clock, org_id: int, *, year: int, kind: str, **inputs: Any
) -> OrganizationQuota:
    """Set (or replace) a unit's quota for a year."""
    org = get_organization(session, org_id)
    if kind not in QUOTA_KINDS:
        raise InvalidInput(f"unknown quota kind {kind}", fields={"kind": f"one of {', '.join(QUOTA_KINDS)}"})
    _require_quota_fits(kind, org.kind)
    wanted = QUOTA_INPUTS[kind]
    values: dict[str, int | None] = {}
    for field in ("fixed_fen", "members", "per_member_fen", "budget_fen", "share_bp"):
        value = inputs.get(field)
        if field in wanted:
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise InvalidInput(f"{field} must be a positive integer", fields={field: "positive integer"})
            values[field] = value
        else:
            values[field] = None
    if kind == "budget_share" and values["share_bp"] > 10000:  # type: ignore[operator]
        raise InvalidInput("a share is at most 100%", fields={"share_bp": "at most 10000"})
    if not 2000 <= year <= 2100:
        raise InvalidInput("year out of range", fields={"year": "2000–2100"})
    quota = quota_for(session, org_id, year)
    if quota is None:
        quota = OrganizationQuota(organization_id=org_id, year=year)
        session.add(quota)
    quota.kind = kind
    for field, value in values.items():
        setattr(quota, field, value)
    quota.updated_at = clock.now()
    return quota


def _require_quota_fits(quota_kind: str, org_kind: str) -> None:
    """A per-member quota is a trade union's; a share of a canteen budget is a budget unit's."""
    if quota_kind == "per_member" and org_kind != "trade_union":
        raise InvalidInput("only a trade union has a per-member quota", fields={"kind": "trade unions only"})
    if quota_kind == "budget_share" and org_kind not in BUDGET_UNIT_KINDS:
        raise InvalidInput(
            "only a budget unit has a share of a canteen budget", fields={"kind": "budget units only"}
        )


def quota_for(session: Session, org_id: int, year: int) -> OrganizationQuota | None:
    """Return a unit's quota of a year, if one is set."""
    return session.scalar(
        select(OrganizationQuota).where(
            OrganizationQuota.organization_id == org_id, OrganizationQuota.year == year
        )
    )


def quota_amount_fen(quota: OrganizationQuota) -> int:
    """Return the amount a quota asks for in the year, in fen."""
    if quota.kind == "fixed":
        return int(quota.fixed_fen or 0)
    if quota.kind == "per_member":
        return (Money(int(quota.per_member_fen or 0)) * int(quota.members or 0)).fen
    return Money(int(quota.budget_fen or 0)).apply_rate(int(quota.share_bp or 0)).fen


def quota_basis(quota: OrganizationQuota) -> dict[str, Any]:
    """Describe how a quota is reckoned, for pages and the API."""
    return {
        "kind": quota.kind,
        "fixed_fen": quota.fixed_fen,
        "members": quota.members,
        "per_member_fen": quota.per_member_fen,
        "budget_fen": quota.budget_fen,
        "share_bp": quota.share_bp,
        "amount_fen": quota_amount_fen(quota),
    }
