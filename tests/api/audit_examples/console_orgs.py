"""Examples of the console's unit forms (register, edit, members, quota) and the admin's account forms."""

from __future__ import annotations

from sqlalchemy import select

from accounts.models import User
from catalogue.validators import credit_code_check_char
from tests.api.audit_examples import Ctx, demo_user, example
from tests.api.audit_examples.setups import lone_user, unit
from tests.audit_watch import Seen

PASSWORD = "Maple-quarry-41-tundra"


@example("POST /console/orgs/new")
def register_a_unit_in_the_console(ctx: Ctx) -> Seen:
    first17 = "12330200MA0TQ0011"
    form = {
        "name_zh": "宁波某小学",
        "kind": "school",
        "credit_code": first17 + credit_code_check_char(first17),
    }
    return ctx.page("operator", "/console/orgs/new", {**form, "city": "330200"})


@example("POST /console/orgs/<int:org_id>")
def rename_a_unit(ctx: Ctx) -> Seen:
    org = unit(ctx).org
    form = {"name_zh": org.name_zh + "（改）", "name_en": org.name_en or "", "kind": org.kind}
    return ctx.page(
        "operator", f"/console/orgs/{org.id}", {**form, "credit_code": org.credit_code, "city": org.city_code}
    )


@example("POST /console/orgs/<int:org_id>/members")
def add_a_member_in_the_console(ctx: Ctx) -> Seen:
    office, username = unit(ctx), lone_user(ctx)
    return ctx.page(
        "operator", f"/console/orgs/{office.org.id}/members", {"username": username, "role": "buyer"}
    )


@example("POST /console/orgs/<int:org_id>/members/<int:user_id>/remove")
def remove_a_member(ctx: Ctx) -> Seen:
    office = unit(ctx)
    return ctx.page("operator", f"/console/orgs/{office.org.id}/members/{office.buyer.id}/remove")


@example("POST /console/orgs/<int:org_id>/quota")
def set_a_quota_in_the_console(ctx: Ctx) -> Seen:
    form = {"year": "2027", "kind": "budget_share", "budget_fen": "1,000,000", "share_bp": "12.5"}
    return ctx.page("operator", f"/console/orgs/{unit(ctx).org.id}/quota", form)


def _user_id(ctx: Ctx, role: str) -> int:
    return ctx.session.scalar(select(User.id).where(User.username == demo_user(role)))


@example("POST /console/users/new")
def create_an_account(ctx: Ctx) -> Seen:
    form = {"username": "li.na", "display_name": "李娜", "role": "restocker"}
    return ctx.page("admin", "/console/users/new", {**form, "password": PASSWORD, "password_again": PASSWORD})


@example("POST /console/users/<int:user_id>/role")
def change_a_role(ctx: Ctx) -> Seen:
    return ctx.page("admin", f"/console/users/{_user_id(ctx, 'restocker')}/role", {"role": "operator"})


@example("POST /console/users/<int:user_id>/password")
def reset_a_password(ctx: Ctx) -> Seen:
    form = {"password": PASSWORD, "password_again": PASSWORD}
    return ctx.page("admin", f"/console/users/{_user_id(ctx, 'operator')}/password", form)


@example("POST /console/users/<int:user_id>/deactivate")
def deactivate_an_account(ctx: Ctx) -> Seen:
    """Confirmed: the restocker's sessions end and their bearer token (tests.conftest's) is revoked."""
    return ctx.page("admin", f"/console/users/{_user_id(ctx, 'restocker')}/deactivate", {"confirm": "1"})
