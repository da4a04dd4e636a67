"""Console pages of units (单位): register and edit them, add and remove their buyers and approvers,
set their annual quota; through the services the API and the CLI call."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from accounts.models import User
from accounts.roles import ORG_EDITORS, ORG_MEMBER_ACCOUNTS, STAFF_READERS
from catalogue.models import Region
from catalogue.regions import list_pairings
from catalogue.service import today
from core.errors import NotFound
from core.labels import MEMBER_ROLES, ORG_KINDS, QUOTA_KINDS
from kiosk_api.auth.service import member_account
from kiosk_api.console.access import can_edit, console, page_roles
from kiosk_api.console.forms import Form
from kiosk_api.console.quota_form import QUOTA_FIELDS, QUOTA_INPUT_FIELDS, quota_defaults, quota_inputs
from kiosk_api.database import get_clock, get_session
from kiosk_api.schemas.orgs import MemberIn, OrgIn
from sales import organizations
from sales.org_models import Organization, OrganizationMember

UNIT_FIELDS = {
    "name_zh": "中文名称 Name (zh)",
    "name_en": "英文名称 Name (en)",
    "kind": "类型 Kind",
    "credit_code": "统一社会信用代码 Credit code",
    "city": "所在城市 City",
}
UNIT_REQUIRED = ("name_zh", "kind", "credit_code", "city")
MEMBER_FIELDS = {"username": "用户名 Username", "role": "身份 Role", "user": "用户 User"}


def _cities(session: Any) -> list[Region]:
    """The eastern partners (cities and districts) of the pairings: where a unit can sit."""
    found = {p.east.code: p.east for p in list_pairings(session)}
    return sorted(found.values(), key=lambda r: r.code)


def _unit_form() -> dict[str, str]:
    return {field: request.form.get(field, "").strip() for field in UNIT_FIELDS}


@console.get("/orgs")
@page_roles(*STAFF_READERS)
def org_list() -> str:
    """Every unit with its kind, city, members and this year's quota."""
    session = get_session()
    year = today(get_clock()).year
    units = organizations.list_organizations(session)
    cities = dict(session.execute(select(Region.code, Region.name_zh)).all())
    quotas = {
        org.id: next((organizations.quota_amount_fen(q) for q in org.quotas if q.year == year), None)
        for org in units
    }
    return render_template(
        "console/orgs.html", units=units, cities=cities, quotas=quotas, year=year, editable=can_edit()
    )


@console.route("/orgs/new", methods=["GET", "POST"])
@page_roles(*ORG_EDITORS)
def org_new() -> Any:
    """Register a unit: its kind, names, unified social credit code and city."""
    session, reader = get_session(), Form(request.form)
    form, status = _unit_form(), 200
    if request.method == "POST":
        data = reader.load(OrgIn(), form, UNIT_REQUIRED)
        org = reader.save(data, lambda d: organizations.create_organization(session, get_clock(), **d))
        if org is not None:
            flash(f"已登记单位 · unit registered: {org.name_zh}")
            return redirect(url_for("console.org_page", org_id=org.id))
        status = reader.status
    html = render_template(
        "console/org_new.html",
        form=form,
        errors=reader.errors,
        names=UNIT_FIELDS,
        kinds=ORG_KINDS,
        cities=_cities(session),
    )
    return html, status


def _org_page(org: Organization, status: int = 200, **extra: Any) -> Any:
    """A unit's page: its details form, members, quotas and the forms to change them."""
    session = get_session()
    members = session.execute(
        select(OrganizationMember, User)
        .join(User, User.id == OrganizationMember.user_id)
        .where(OrganizationMember.organization_id == org.id)
        .order_by(OrganizationMember.id)
    ).all()
    candidates = session.scalars(
        select(User)
        .where(
            User.role.in_(ORG_MEMBER_ACCOUNTS),
            User.active.is_(True),
            User.id.not_in(select(OrganizationMember.user_id)),
        )
        .order_by(User.username)
    ).all()
    year = today(get_clock()).year
    for key in ("unit", "member", "quota"):
        extra.setdefault(f"{key}_errors", {})
    extra.setdefault(
        "unit_form",
        {
            "name_zh": org.name_zh,
            "name_en": org.name_en,
            "kind": org.kind,
            "credit_code": org.credit_code,
            "city": org.city_code,
        },
    )
    current = organizations.quota_for(session, org.id, year)
    extra.setdefault("quota_form", quota_defaults(current, year))
    html = render_template(
        "console/org.html",
        org=org,
        members=members,
        candidates=candidates,
        quotas=[(q, organizations.quota_amount_fen(q)) for q in org.quotas],
        year=year,
        kinds=ORG_KINDS,
        member_roles=MEMBER_ROLES,
        quota_kinds=QUOTA_KINDS,
        cities=_cities(session),
        unit_names=UNIT_FIELDS,
        member_names=MEMBER_FIELDS,
        quota_names=QUOTA_FIELDS,
        editable=can_edit(),
        **extra,
    )
    return html, status


def _get_org(org_id: int) -> Organization:
    try:
        return organizations.get_organization(get_session(), org_id)
    except NotFound:
        abort(404)


@console.get("/orgs/<int:org_id>")
@page_roles(*STAFF_READERS)
def org_page(org_id: int) -> Any:
    """A unit with its members and quotas; forms to change them for operators and admins."""
    return _org_page(_get_org(org_id))


@console.post("/orgs/<int:org_id>")
@page_roles(*ORG_EDITORS)
def org_edit(org_id: int) -> Any:
    """Change a unit's names, kind, credit code or city."""
    session, org, reader = get_session(), _get_org(org_id), Form(request.form)
    form = _unit_form()
    data = reader.load(OrgIn(), form, UNIT_REQUIRED)
    reader.save(data, lambda d: organizations.update_organization(session, org_id, **d))
    if not reader.errors:
        flash("已保存 · saved")
        return redirect(url_for("console.org_page", org_id=org_id))
    return _org_page(org, reader.status, unit_errors=reader.errors, unit_form=form)


@console.post("/orgs/<int:org_id>/members")
@page_roles(*ORG_EDITORS)
def org_member_add(org_id: int) -> Any:
    """Make a user (an org buyer or approver account) a buyer or approver of the unit."""
    session, org, reader = get_session(), _get_org(org_id), Form(request.form)
    form = {"username": reader.text("username"), "role": request.form.get("role", "")}

    def add(data: dict[str, Any]) -> User:
        user = member_account(session, data["username"])
        organizations.add_member(session, get_clock(), org_id, user_id=user.id, role=data["role"])
        return user

    user = reader.save(reader.load(MemberIn(), form, ("username", "role")), add)
    if user is None:
        return _org_page(org, reader.status, member_errors=reader.errors, member_form=form)
    flash(f"已添加成员 · member added: {user.display_name or user.username}")
    return redirect(url_for("console.org_page", org_id=org_id))


@console.post("/orgs/<int:org_id>/members/<int:user_id>/remove")
@page_roles(*ORG_EDITORS)
def org_member_remove(org_id: int, user_id: int) -> Any:
    """End a user's membership of the unit (their past purchases keep counting toward it)."""
    org, reader = _get_org(org_id), Form(request.form)
    reader.write(lambda: organizations.remove_member(get_session(), org_id, user_id))
    if reader.errors:
        return _org_page(org, reader.status, member_errors=reader.errors)
    flash("已移出单位 · member removed")
    return redirect(url_for("console.org_page", org_id=org_id))


@console.post("/orgs/<int:org_id>/quota")
@page_roles(*ORG_EDITORS)
def org_quota(org_id: int) -> Any:
    """Set (or replace) a unit's quota of a year: fixed, per member or a share of a canteen budget."""
    session, org, reader = get_session(), _get_org(org_id), Form(request.form)
    form = {k: reader.text(k) for k in ("year", "kind", *QUOTA_INPUT_FIELDS)}
    year, kind, inputs = quota_inputs(reader)
    if not reader.errors:
        reader.write(
            lambda: organizations.set_quota(session, get_clock(), org_id, year=year, kind=kind, **inputs)
        )
    if reader.errors:
        return _org_page(org, reader.status, quota_errors=reader.errors, quota_form=form)
    flash(f"已设定 {year} 年度定额 · quota of {year} set")
    return redirect(url_for("console.org_page", org_id=org_id))
