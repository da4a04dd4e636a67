"""Console pages of user accounts: the list, a new account (the password policy of the CLI),
another role, a new password and deactivation (confirmed first) — through kiosk_api.auth.service,
as `dongxi users create|set-password|deactivate` do. Changes are the admin's alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import ApiToken, User
from accounts.roles import USER_ADMINS, USER_READERS
from core.labels import USER_ROLES
from kiosk_api.auth import service as accounts
from kiosk_api.console.access import console, page_roles, signed_in_user
from kiosk_api.console.forms import Form
from kiosk_api.database import get_clock, get_session
from sales.org_models import Organization, OrganizationMember

USER_FIELDS = {
    "username": "用户名 Username",
    "display_name": "姓名 Display name",
    "role": "角色 Role",
    "password": "密码 Password",
    "password_again": "再次输入密码 Password again",
    "_": "",
}
NOT_YOURSELF = {"_": "不能对自己的账号执行此操作 · not on your own account (ask another administrator)"}


def _is_admin() -> bool:
    user = signed_in_user()
    return user is not None and user.role in USER_ADMINS


@console.get("/users")
@page_roles(*USER_READERS)
def users() -> str:
    """Every account with its role, unit and whether it may sign in."""
    rows = (
        get_session()
        .execute(
            select(User, Organization.name_zh)
            .outerjoin(OrganizationMember, OrganizationMember.user_id == User.id)
            .outerjoin(Organization, Organization.id == OrganizationMember.organization_id)
            .order_by(User.active.desc(), User.role, User.username)
        )
        .all()
    )
    return render_template("console/users.html", rows=rows, roles=USER_ROLES, admin=_is_admin())


def _passwords_match(reader: Form) -> bool:
    """The password typed twice the same (as typed: a password's spaces are its own)."""
    if reader.data.get("password", "") != reader.data.get("password_again", ""):
        reader.fail("password_again", "两次输入的密码不一致", "the passwords differ")
        return False
    return True


@console.route("/users/new", methods=["GET", "POST"])
@page_roles(*USER_ADMINS)
def user_new() -> Any:
    """Create an account with a role and a password that passes the policy of `dongxi users create`."""
    session, reader = get_session(), Form(request.form)
    fields = ("username", "display_name", "role", "password", "password_again")
    form = {k: request.form.get(k, "") if k.startswith("password") else reader.text(k) for k in fields}
    status = 200
    if request.method == "POST":
        user = _passwords_match(reader) and reader.write(
            lambda: accounts.create_user(
                session,
                get_clock(),
                username=form["username"],
                role=form["role"],
                password=form["password"],
                display_name=form["display_name"],
            )
        )
        if user:
            flash(f"已创建账号 · account created: {user.username}")
            return redirect(url_for("console.user_page", user_id=user.id))
        status = reader.status
    form["password"] = form["password_again"] = ""  # a password is never sent back
    html = render_template(
        "console/user_new.html", form=form, errors=reader.errors, names=USER_FIELDS, roles=USER_ROLES
    )
    return html, status


def _user(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _user_page(user: User, status: int = 200, **extra: Any) -> Any:
    """An account's page: its role, unit and tokens, and the admin's forms to change them."""
    session = get_session()
    live_tokens = session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.id)
    ).all()
    unit = session.execute(
        select(Organization, OrganizationMember.role)
        .join(OrganizationMember, OrganizationMember.organization_id == Organization.id)
        .where(OrganizationMember.user_id == user.id)
    ).first()
    extra.setdefault("errors", {})
    me = signed_in_user()
    html = render_template(
        "console/user.html",
        account=user,
        tokens=live_tokens,
        unit=unit,
        roles=USER_ROLES,
        names=USER_FIELDS,
        admin=_is_admin(),
        yourself=me is not None and me.id == user.id,
        **extra,
    )
    return html, status


@console.get("/users/<int:user_id>")
@page_roles(*USER_READERS)
def user_page(user_id: int) -> Any:
    """An account with its role, unit and live tokens."""
    return _user_page(_user(user_id))


def _change(user: User, form_name: str, change: Callable[[Session], str]) -> Any:
    """Run one change of an account (which says what it did); a refusal re-renders the page with
    the error, nothing written."""
    reader = Form(request.form)
    done = reader.write(lambda: change(get_session()))
    if done is None:
        return _user_page(user, reader.status, errors=reader.errors, failed=form_name)
    flash(done)
    return redirect(url_for("console.user_page", user_id=user.id))


@console.post("/users/<int:user_id>/role")
@page_roles(*USER_ADMINS)
def user_role(user_id: int) -> Any:
    """Give an account another role (a member of a unit keeps an org role)."""
    user, role = _user(user_id), request.form.get("role", "")
    if user.id == signed_in_user().id:  # type: ignore[union-attr]
        return _user_page(user, 409, errors=NOT_YOURSELF, failed="role")

    def change(session: Session) -> str:
        accounts.set_role(session, user.username, role)
        return f"角色已改为 · role now: {' · '.join(USER_ROLES[role])}"

    return _change(user, "role", change)


@console.post("/users/<int:user_id>/password")
@page_roles(*USER_ADMINS)
def user_password(user_id: int) -> Any:
    """Give an account a new password (the policy of create); every session of theirs is ended."""
    user, reader = _user(user_id), Form(request.form)
    if not _passwords_match(reader):
        return _user_page(user, 422, errors=reader.errors, failed="password")
    password = request.form.get("password", "")

    def change(session: Session) -> str:
        accounts.set_password(session, user.username, password)
        return "已设置新密码，该用户的所有登录已结束 · new password set, every session of theirs ended"

    return _change(user, "password", change)


@console.post("/users/<int:user_id>/deactivate")
@page_roles(*USER_ADMINS)
def user_deactivate(user_id: int) -> Any:
    """Deactivate an account: the first post asks to confirm; the confirmed one ends every session
    and revokes every bearer token, as `dongxi users deactivate` does."""
    user = _user(user_id)
    if user.id == signed_in_user().id:  # type: ignore[union-attr]
        return _user_page(user, 409, errors=NOT_YOURSELF, failed="deactivate")
    if request.form.get("confirm") != "1":
        return _user_page(user, confirm_deactivate=True)

    def change(session: Session) -> str:
        _user, revoked = accounts.deactivate_user(session, get_clock(), user.username)
        return (
            f"已停用 · deactivated: {user.username} — 所有登录已结束，已吊销 {revoked} 个令牌"
            f" · every session ended, {revoked} token(s) revoked"
        )

    return _change(user, "deactivate", change)
